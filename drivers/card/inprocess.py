"""The in-process reader backend: card slots in this process, for machines where
pcscd cannot run (and the demo). The service watches and reads them exactly as it
does pcscd readers, with the same profiles against the same card images.

    from drivers.card import inprocess
    inprocess.slot(0).insert("pboc_zhang")
    inprocess.slot(0).remove()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path

from drivers.card.apdu import CardError, CardRemovedError, MuteCardError
from drivers.card.backend import ReaderState
from drivers.card.emulator import CardEmulator, CardImage, load_image

MUTE_TIMEOUT_S = 3.0  # a mute in-process card blocks like a real one, for this long

_changed = threading.Condition()
_slots: dict[int, Slot] = {}
_generation = 0  # bumped on every insertion, removal and new slot


def _bump() -> None:
    global _generation
    _generation += 1
    _changed.notify_all()


class Slot:
    """One in-process reader slot, named like a reader ("In-process slot 0")."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.reader = f"In-process slot {index}"
        self.image: CardImage | None = None
        self.count = 0

    def insert(self, image: str | Path | CardImage) -> Slot:
        loaded = load_image(image)
        with _changed:
            if self.image is not None:
                self.count += 1  # the old card leaves first
            self.image = loaded
            self.count += 1
            _bump()
        return self

    def remove(self) -> None:
        with _changed:
            if self.image is None:
                return
            self.image = None
            self.count += 1
            _bump()

    def state(self) -> ReaderState:
        image = self.image
        return ReaderState(
            present=image is not None, atr=image.atr if image else b"", count=self.count
        )


def slot(index: int = 0) -> Slot:
    """The slot `index`, created (as an attached reader) on first use."""
    with _changed:
        if index not in _slots:
            _slots[index] = Slot(index)
            _bump()
        return _slots[index]


def reset() -> None:
    """Remove every card and slot (tests)."""
    with _changed:
        _slots.clear()
        _bump()


class InProcessSession:
    def __init__(self, target: Slot) -> None:
        with _changed:
            if target.image is None:
                raise CardRemovedError("no card in the slot")
            self._slot, self._count = target, target.count
            self.atr = target.image.atr
            self._emulator = CardEmulator(target.image)
        self.sent_at: float | None = None  # for the service's mute watchdog

    def transmit(self, apdu: bytes) -> bytes:
        self.sent_at = time.monotonic()
        if not self.still_present():
            raise CardRemovedError("card removed during the read")
        if self._emulator.image.mute:
            with _changed:  # as a real mute card: no answer until it is pulled
                _changed.wait_for(lambda: not self.still_present(), timeout=MUTE_TIMEOUT_S)
            if not self.still_present():
                raise CardRemovedError("card removed during the read")
            raise MuteCardError("card does not answer")
        return self._emulator.process(apdu)

    def still_present(self) -> bool:
        return self._slot.count == self._count and self._slot.image is not None

    def close(self) -> None:
        pass


class InProcessBackend:
    name = "inprocess"

    def __init__(self) -> None:
        self._cancelled = False
        self._seen_generation = -1

    def establish(self) -> None:
        self._cancelled = False

    def release(self) -> None:
        pass

    def list_readers(self) -> list[str]:
        with _changed:
            return [s.reader for _, s in sorted(_slots.items())]

    def wait(
        self, known: Mapping[str, ReaderState], readers: list[str]
    ) -> dict[str, ReaderState] | None:
        def differs() -> bool:  # as SCardGetStatusChange: the caller's view is out of date
            by_name = {s.reader: s for s in _slots.values()}
            return any(
                (by_name[r].count, by_name[r].image is not None)
                != (known[r].count, known[r].present)
                for r in readers
                if r in by_name and r in known
            )

        with _changed:
            _changed.wait_for(
                lambda: self._cancelled or _generation != self._seen_generation or differs()
            )
            if self._cancelled:
                self._cancelled = False
                return None
            self._seen_generation = _generation
            by_name = {s.reader: s for s in _slots.values()}
            return {r: by_name[r].state() for r in readers if r in by_name}

    def cancel(self) -> None:
        with _changed:
            self._cancelled = True
            _changed.notify_all()

    def connect(self, reader: str) -> InProcessSession:
        with _changed:
            target = next((s for s in _slots.values() if s.reader == reader), None)
        if target is None:
            raise CardError(f"no reader {reader!r}", code="no_reader")
        return InProcessSession(target)
