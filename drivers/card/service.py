"""The card reader service: one hardware thread follows readers and cards by
events (SCardGetStatusChange or the in-process slots' condition, never a busy
poll), reads each inserted card exclusively, checks it is still there after the
read, and posts events. pcscd going away is noticed; the context is made again.

Callbacks run on the hardware thread and must only post the event onwards
(ui/ re-emits them as Qt signals). The one exception is `CardRead(mute_card)`,
posted by the watchdog thread because a mute card holds the hardware thread in
the PC/SC stack until it is pulled.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from drivers.card.apdu import CardError
from drivers.card.backend import BackendUnavailable, CardSession, ReaderBackend, ReaderState
from drivers.card.events import (
    CardEvent,
    CardInserted,
    CardRead,
    CardRemoved,
    ReaderAttached,
    ReaderDetached,
)
from drivers.card.identity import CardIdentity
from drivers.card.profiles import CardReadErr, read_identity
from drivers.device import (
    Device,
    DeviceState,
    DeviceStatus,
    Err,
    Fact,
    HealthLevel,
    HealthResult,
    Ok,
    Outcome,
)

log = logging.getLogger(__name__)

RETRY_S = 0.5  # between attempts to reach a pcscd that is gone
MUTE_TIMEOUT_S = 3.0  # an APDU unanswered this long: the card is mute
JOIN_S = 1.0

ReadResult = Ok[CardIdentity] | Err


@lru_cache(maxsize=32)
def _working_status(busy: bool, card_present: bool, readers: int) -> DeviceStatus:
    """READY or BUSY with its facts; made once each, as every read passes through both.
    The facts are read-only: every listener is handed the same cached status."""
    facts = MappingProxyType(
        {"card": Fact.GOOD if card_present else Fact.BAD, "readers": str(readers)}
    )
    if busy:
        return DeviceStatus(DeviceState.BUSY, "reading a card", facts)
    return DeviceStatus(DeviceState.READY, "ready", facts)


def make_backend(name: str) -> ReaderBackend:
    if name == "pcsc":
        from drivers.card.pcsc import PcscBackend

        return PcscBackend()
    if name == "inprocess":
        from drivers.card.inprocess import InProcessBackend

        return InProcessBackend()
    raise ValueError(f"unknown card reader backend {name!r} (pcsc or inprocess)")


class _Watchdog:
    """Fires `on_fire(token)` when one APDU of a read stays unanswered `timeout_s`.

    The session keeps when its outstanding APDU went out (`sent_at`); per read the
    hardware thread only writes attributes here (no lock, no wake-up: this is on the
    path of every read). The watchdog thread wakes every half timeout to look, which
    is not a poll of any hardware.
    """

    def __init__(self, timeout_s: float, on_fire: Callable[[object], None]) -> None:
        self._timeout_s = timeout_s
        self._on_fire = on_fire
        self._cond = threading.Condition()
        self._token: object = None  # the read being watched, None when idle
        self._session: CardSession | None = None  # its card, which keeps `sent_at`
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="card-watchdog", daemon=True)
        self._thread.start()

    def begin(self, token: object, session: CardSession) -> None:
        self._token, self._session = token, session  # seen at the next wake-up (no notify)

    def end(self) -> None:
        self._token, self._session = None, None  # noticed at the next wake-up

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopped:
                    return
                token, session = self._token, self._session
                sent_at = session.sent_at if session is not None else None
                waited = time.monotonic() - sent_at if sent_at is not None else 0.0
                if token is None or waited < self._timeout_s:
                    # Woken only by stop(): waking the watchdog at each read would cost
                    # the read a thread switch. A mute card is seen within 1.5 timeouts.
                    self._cond.wait(max(self._timeout_s - waited, self._timeout_s / 2))
                    continue
                self._token = None
            self._on_fire(token)


class CardReaderService(Device):
    """Follows the readers of one backend and reads every card inserted in them."""

    def __init__(
        self,
        on_event: Callable[[CardEvent], None],
        backend: str = "pcsc",
        reader: str = "",
        mute_timeout_s: float = MUTE_TIMEOUT_S,
    ) -> None:
        super().__init__("card_reader")
        self._on_event = on_event
        self._backend = make_backend(backend)
        self._reader_filter = reader
        self._mute_timeout_s = mute_timeout_s
        self._states: dict[str, ReaderState] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watchdog: _Watchdog | None = None
        self._requests: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._current_read: tuple[str, bytes, float] | None = None  # reader, ATR, inserted at
        # The read the watchdog reported as mute: its late result is dropped. One read runs
        # at a time, so one id is enough, and an attribute write needs no lock.
        self._abandoned_read = 0
        self._mute_readers: set[str] = set()  # a mute card sits there until pulled
        self._read_ids = itertools.count(1)  # next() is atomic: no lock on the read path

    # -- Device ---------------------------------------------------------------

    def capabilities(self) -> Mapping[str, object]:
        return {
            "backend": self._backend.name,
            "profiles": ["pboc", "social_security"],
            "exclusive_read": True,
            "reader_filter": self._reader_filter,
        }

    def open(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._watchdog = _Watchdog(self._mute_timeout_s, self._on_mute)
        self._thread = threading.Thread(target=self._run, name="card-reader", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the hardware thread; returns within about a second whatever the card does."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        deadline = time.monotonic() + JOIN_S
        while thread.is_alive() and time.monotonic() < deadline:
            self._backend.cancel()  # again and again: a cancel between two waits is lost
            thread.join(0.05)
        if thread.is_alive():  # held by a mute card inside pcscd; it ends when pulled
            log.warning("card reader thread still held by the card; leaving it to end")
        if self._watchdog is not None:
            self._watchdog.stop()

    def health_check(self, level: HealthLevel = HealthLevel.INTERNAL) -> HealthResult:
        status = self.status
        details = {"state": str(status.state), "readers": ", ".join(self.readers())}
        if status.state not in (DeviceState.READY, DeviceState.BUSY):
            return self._health(
                level, Outcome.FAIL, "card reader not ready", status.reason, details
            )
        if level == HealthLevel.INTERNAL:
            return self._health(level, Outcome.PASS, "card reader ready", "", details)
        if level == HealthLevel.EXTERNAL:
            return self._external_check(details)
        return self._health(level, Outcome.SKIPPED, "insert a card to test the reader", "", details)

    def _external_check(self, details: dict[str, str]) -> HealthResult:
        level = HealthLevel.EXTERNAL
        with_card = [r for r, s in dict(self._states).items() if s.present]
        if not with_card:
            return self._health(level, Outcome.SKIPPED, "no card in a reader to test", "", details)
        future: Future[ReadResult] = Future()
        reader = with_card[0]
        atr = self._states[reader].atr
        self._requests.put(lambda: future.set_result(self._read(reader, time.perf_counter(), atr)))
        deadline = time.monotonic() + self._mute_timeout_s + 5
        result = None
        while time.monotonic() < deadline:
            self._backend.cancel()  # again until taken: a cancel between two waits is lost
            try:
                result = future.result(timeout=0.05)
                break
            except TimeoutError:
                continue
        if result is None:  # abandoned by the watchdog, or the hardware thread is held
            return self._health(
                level, Outcome.FAIL, "test read got no answer", "mute card", details
            )
        details["atr"] = atr.hex().upper()
        if result.ok:
            details["card_type"] = str(result.value.card_type)
            return self._health(
                level, Outcome.PASS, "test read of the card in the reader", "", details
            )
        return self._health(
            level,
            Outcome.WARN,
            "card in the reader could not be read",
            f"{result.code}: {result.message}",
            details,
        )

    def _health(
        self,
        level: HealthLevel,
        outcome: Outcome,
        summary: str,
        cause: str,
        details: dict[str, str],
    ) -> HealthResult:
        return HealthResult(self.name, level, outcome, summary, cause, details)

    def readers(self) -> list[str]:
        return sorted(self._states)

    # -- hardware thread --------------------------------------------------------

    def _post(self, event: CardEvent) -> None:
        if self._stop.is_set():
            return
        try:
            self._on_event(event)
        except Exception:  # a faulty subscriber must not stop the reader
            log.exception("card event handler failed on %s", type(event).__name__)

    def _run(self) -> None:
        connected = False
        while not self._stop.is_set():
            try:
                if not connected:
                    self._backend.establish()
                    connected = True
                self._step()
            except BackendUnavailable as exc:
                if connected or self.status.state != DeviceState.OFFLINE:
                    log.warning("card readers unavailable: %s", exc)
                connected = False
                self._lose_everything(str(exc))
                self._stop.wait(RETRY_S)
            except Exception:  # a bug must not end the reader for the kiosk's lifetime
                log.exception("card reader thread failed; starting over")
                connected = False
                self._lose_everything("internal error")
                self._stop.wait(RETRY_S)
        self._backend.release()

    def _step(self) -> None:
        readers = [r for r in self._backend.list_readers() if self._reader_filter in r]
        self._sync_readers(readers)
        self._run_requests()
        changes = self._backend.wait(self._states, readers)
        if changes is None or self._stop.is_set():
            return
        for reader, state in changes.items():
            if reader in self._states:
                self._on_reader_state(reader, state)

    def _run_requests(self) -> None:
        while True:
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                return
            request()

    def _sync_readers(self, readers: list[str]) -> None:
        for gone in [r for r in self._states if r not in readers]:
            self._forget(gone)
        for new in [r for r in readers if r not in self._states]:
            self._states[new] = ReaderState(present=False, count=-1, raw=0)
            self._post(ReaderAttached(new))
        self._update_status()

    def _forget(self, reader: str) -> None:
        self._mute_readers.discard(reader)
        state = self._states.pop(reader)
        if state.present:
            self._post(CardRemoved(reader))
        self._post(ReaderDetached(reader))

    def _lose_everything(self, reason: str) -> None:
        for reader in list(self._states):
            self._forget(reader)
        self._backend.release()
        self._set_status(DeviceStatus(DeviceState.OFFLINE, f"card readers unavailable: {reason}"))

    def _update_status(self, busy: bool = False) -> None:
        if self._mute_readers:
            self._set_status(
                DeviceStatus(DeviceState.USER_ERROR, "card does not answer: remove it")
            )
            return
        if not self._states:
            wanted = f" matching {self._reader_filter!r}" if self._reader_filter else ""
            self._set_status(DeviceStatus(DeviceState.NO_DEVICE, f"no card reader{wanted}"))
            return
        # Busy means a card is being read, so one is present: no need to look.
        present = busy or any(s.present for s in self._states.values())
        self._set_status(_working_status(busy, present, len(self._states)))

    def _on_reader_state(self, reader: str, new: ReaderState) -> None:
        old = self._states[reader]
        self._states[reader] = new
        inserted_at = new.seen_at or time.perf_counter()
        swapped = old.present and new.present and old.count >= 0 and new.count != old.count
        if old.present and (not new.present or swapped):
            self._mute_readers.discard(reader)
            self._post(CardRemoved(reader))
        if new.present and (not old.present or swapped):
            self._post(CardInserted(reader, new.atr))
            self._read_and_post(reader, new, inserted_at)
        self._update_status()

    def _read_and_post(self, reader: str, state: ReaderState, inserted_at: float) -> None:
        if state.mute:
            result: ReadResult = CardReadErr("mute_card", "card gives no ATR", atr=state.atr)
        else:
            self._update_status(busy=True)
            result = self._read(reader, inserted_at, state.atr)
        if result is None or (not result.ok and result.code == "mute_card"):
            self._mute_readers.add(reader)
        if result is not None:
            elapsed_ms = (time.perf_counter() - inserted_at) * 1000
            self._post(CardRead(reader, result, elapsed_ms))

    def _read(self, reader: str, inserted_at: float, atr: bytes = b"") -> ReadResult | None:
        """Open the card exclusively, read it, check it is still there and close it before
        its records are decoded. None if abandoned."""
        read_id = next(self._read_ids)
        try:
            session = self._backend.connect(reader)
        except CardError as exc:
            return CardReadErr(exc.code, str(exc), atr=atr)
        except BackendUnavailable as exc:
            return CardReadErr("pcsc_unavailable", str(exc), atr=atr)
        atr = atr or session.atr
        self._current_read = (reader, atr, inserted_at)

        watchdog = self._watchdog
        assert watchdog is not None
        watchdog.begin(read_id, session)
        released = False

        def let_go() -> None:
            nonlocal released
            released = True
            watchdog.end()
            self._current_read = None
            session.close()

        def release() -> CardReadErr | None:
            """The card has given its records: check it is still there, then let it go,
            before they are decoded."""
            try:
                present = session.still_present()
            finally:
                let_go()
            if not present:
                return CardReadErr("card_removed", "card removed during the read", atr=atr)
            return None

        try:
            result: ReadResult = read_identity(session.transmit, atr, release)
        except Exception as exc:  # a profile bug is a failed read, never a dead thread
            log.exception("card read failed unexpectedly")
            result = CardReadErr("card_error", f"internal error: {type(exc).__name__}", atr=atr)
        finally:
            if not released:  # the read ended before the records were in
                let_go()
        if self._abandoned_read == read_id:
            return None
        return result

    def _on_mute(self, token: object) -> None:
        """Watchdog thread: the card has not answered; report it and drop the read."""
        current = self._current_read
        if current is None:
            return
        self._abandoned_read = int(token)  # type: ignore[call-overload]
        reader, atr, inserted_at = current
        log.warning("card in %s does not answer (mute)", reader)
        self._mute_readers.add(reader)
        self._update_status()
        message = f"the card does not answer (no reply in {self._mute_timeout_s:g} s)"
        elapsed_ms = (time.perf_counter() - inserted_at) * 1000
        self._post(CardRead(reader, CardReadErr("mute_card", message, atr=atr), elapsed_ms))


def read_once(reader: str = "", timeout_s: float = 5, backend: str = "pcsc") -> ReadResult:
    """Read the card in a reader once (see `read_once_timed`)."""
    return read_once_timed(reader, timeout_s, backend)[0]


def read_once_timed(
    reader: str = "", timeout_s: float = 5, backend: str = "pcsc"
) -> tuple[ReadResult, float]:
    """Read the card in a reader once: (result, elapsed ms from insertion to identity).

    Fails at once with `pcsc_unavailable` or `no_reader`; waits up to `timeout_s`
    for a card (and for a mute card to be declared mute).
    """
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def on_event(event: CardEvent) -> None:
        if isinstance(event, CardRead) and "result" not in outcome:
            outcome["result"], outcome["elapsed"] = event.result, event.elapsed_ms
            done.set()

    def on_status(status: DeviceStatus) -> None:
        if status.state in (DeviceState.OFFLINE, DeviceState.NO_DEVICE):
            done.set()

    service = CardReaderService(
        on_event, backend=backend, reader=reader, mute_timeout_s=min(MUTE_TIMEOUT_S, timeout_s)
    )
    service.subscribe(on_status)
    service.open()
    try:
        done.wait(timeout_s)
    finally:
        service.close()
    if "result" in outcome:
        return outcome["result"], outcome["elapsed"]
    status = service.status
    if status.state == DeviceState.OFFLINE:
        return Err("pcsc_unavailable", status.reason), 0.0
    if status.state == DeviceState.NO_DEVICE:
        return Err("no_reader", status.reason), 0.0
    return Err("no_card", f"no card inserted within {timeout_s:g} s", retryable=True), 0.0
