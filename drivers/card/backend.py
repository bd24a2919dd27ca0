"""What the reader service needs from a reader stack, met by pcscd (`PcscBackend`)
and by the in-process slots (`drivers.card.inprocess.InProcessBackend`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol


class BackendUnavailable(Exception):
    """The reader stack is gone (pcscd stopped or restarting); the context must be redone."""


class ReaderState(NamedTuple):
    """A reader's state as last seen. `count` changes at every insertion and removal,
    so a card swapped between two looks is still seen as removed and inserted.

    A NamedTuple: one is made for every event of every reader, the insertion among
    them, on the path of the read that follows (and the service never compares two)."""

    present: bool
    atr: bytes = b""
    count: int = 0
    mute: bool = False  # present but gave no ATR
    raw: int = 0  # the backend's own state word, handed back when waiting
    # perf_counter() when the backend's wait returned with this state: the insertion
    # event, from which a read is timed; 0 when the backend does not say.
    seen_at: float = 0.0


class CardSession(Protocol):
    """A card opened exclusively for one read."""

    atr: bytes
    # time.monotonic() when the last APDU went out, None before the first: the service's
    # watchdog reads it to see a card that does not answer. Not cleared after the
    # answer: the next APDU follows within microseconds, and the read's end is known.
    sent_at: float | None

    def transmit(self, apdu: bytes) -> bytes:
        """Response data + SW; raises CardRemovedError / CardError."""

    def still_present(self) -> bool: ...

    def close(self) -> None: ...


class ReaderBackend(Protocol):
    name: str

    def establish(self) -> None:
        """Open a context; raises BackendUnavailable."""

    def release(self) -> None: ...

    def list_readers(self) -> list[str]:
        """Reader names; raises BackendUnavailable."""

    def wait(
        self, known: Mapping[str, ReaderState], readers: list[str]
    ) -> dict[str, ReaderState] | None:
        """Block until a reader in `readers` differs from `known` or the reader list
        changes; then the current state of each. None when cancelled."""

    def cancel(self) -> None:
        """Wake a `wait` in another thread (for close)."""

    def connect(self, reader: str) -> CardSession:
        """Open the card exclusively; raises CardError subclasses."""
