"""A ccTalk bill validator (cash acceptor) as a kiosk device.

The hardware thread polls the buffered bill events (header 159) every
`poll_s`. Each event is delivered once, oldest first, to the bill listeners;
the event counter says which events are new. The cursor (the last counter
handled) is in memory here; the caller persists it with the money it records
and hands it back with `resume_from()` after a restart, which is how notes
stacked while the kiosk was down are found, and never counted twice.

A note held in escrow is stacked or returned according to the escrow policy
(by default: returned, so no note is taken unless a cash-in asked for it).
If a bill listener raises (the ledger could not record a note), acceptance is
switched off at once and the same events are offered again on the next poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

import serial

from drivers.cash.bus import CcTalkBus
from drivers.cash.cctalk import ROUTE_ESCROW_EMPTY, Header, Route, events_since
from drivers.cash.events import STATUS_CODES, BillEvent, BillEventKind
from drivers.device import (
    DeviceState,
    DeviceStatus,
    Err,
    Fact,
    HealthLevel,
    HealthResult,
    Ok,
    Outcome,
    Result,
)
from drivers.serialport.device import SerialDevice
from drivers.serialport.worker import PORT_ERRORS

log = logging.getLogger(__name__)

BillListener = Callable[[BillEvent], None]
EscrowPolicy = Callable[[BillEvent], bool]  # True: stack the note; False: hand it back

BUFFER_EVENTS = 5
MAX_BILL_TYPES = 16


class BillValidator(SerialDevice):
    kind = "cash acceptor"

    def __init__(
        self,
        port: str,
        baud: int = 9600,
        address: int = 40,
        *,
        name: str = "cash_acceptor",
        poll_s: float = 0.2,
        reply_timeout: float = 0.5,
        offline_after: int = 3,
    ) -> None:
        super().__init__(name, port, baud)
        self.address = address
        self._poll_s = poll_s
        self._reply_timeout = reply_timeout
        self._offline_after = offline_after
        self._bus: CcTalkBus | None = None
        self._identity: dict[str, str] = {}
        self._bill_values: dict[int, int] = {}
        self._cursor: int | None = None
        self._want_enabled = False
        self._failures = 0
        self._fault: tuple[DeviceState, str] | None = None
        self._stacker = Fact.UNKNOWN
        self._last_event = ""
        self._escrow_policy: EscrowPolicy = lambda _event: False
        self._bill_listeners: list[BillListener] = []
        self._polled = threading.Condition()
        self._polls = 0

    # -- public API (any thread) -----------------------------------------------------------------

    def capabilities(self) -> Mapping[str, object]:
        return {
            "protocol": "ccTalk",
            "address": self.address,
            "escrow": True,
            "notes_fen": dict(self._bill_values),
            **self._identity,
        }

    @property
    def bill_values(self) -> Mapping[int, int]:
        """Bill type → value in fen, as the validator reported them."""
        return dict(self._bill_values)

    @property
    def cursor(self) -> int | None:
        return self._cursor

    @property
    def bus_stats(self) -> Mapping[str, int]:
        return vars(self._bus.stats) if self._bus else {}

    def subscribe_bills(self, listener: BillListener) -> None:
        self._bill_listeners.append(listener)

    def set_escrow_policy(self, policy: EscrowPolicy | None) -> None:
        self._escrow_policy = policy or (lambda _event: False)

    def resume_from(self, counter: int | None) -> None:
        """Set the last event counter already handled (from durable storage)."""
        self._cursor = counter

    def enable(self) -> Result[None]:
        """Accept every known note type (from now on, and again after a validator reset)."""
        self._want_enabled = True
        return self._call(self._apply_inhibits)

    def disable(self) -> Result[None]:
        self._want_enabled = False
        return self._call(self._apply_inhibits)

    def reset(self) -> Result[None]:
        """Restart the validator (clears a jam); its counter goes to 0."""
        return self._call(lambda: self._command(Header.RESET_DEVICE))

    def wait_polls(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until the events have been read `count` more times; False on timeout."""
        with self._polled:
            target = self._polls + count
            return self._polled.wait_for(lambda: self._polls >= target, timeout)

    def health_check(
        self, level: HealthLevel = HealthLevel.INTERNAL, *, wait_s: float = 30.0
    ) -> HealthResult:
        if not self.port:
            return HealthResult(self.name, level, Outcome.SKIPPED, "no cash acceptor fitted")
        status = self.status
        details = {k: str(v) for k, v in self.bus_stats.items()}
        if level is HealthLevel.INTERNAL:
            outcome = Outcome.PASS if status.state is DeviceState.READY else Outcome.FAIL
            return HealthResult(
                self.name, level, outcome, f"cash acceptor {status.state}", status.reason, details
            )
        if level is HealthLevel.EXTERNAL:
            return self._external_check(details)
        return self._interactive_check(wait_s)

    # -- hardware thread ---------------------------------------------------------------------------

    def _call(self, fn: Callable[[], Result[None]]) -> Result[None]:
        if self._worker is None or not self._worker.connected:
            return Err("offline", "the cash acceptor is not connected", retryable=True)
        try:
            return self._worker.call(lambda _port: fn(), timeout=10.0)
        except PORT_ERRORS as exc:
            return Err("offline", f"the cash acceptor went away: {exc}", retryable=True)
        except TimeoutError:
            return Err("timeout", "the hardware thread did not answer", retryable=True)

    def _command(self, header: Header, data: bytes = b"") -> Result[None]:
        if self._bus is None:
            return Err("offline", "the cash acceptor is not connected", retryable=True)
        result = self._bus.request(header, data)
        return Ok(None) if result.ok else result

    def _on_open(self, port: serial.Serial) -> None:
        self._bus = CcTalkBus(port, self.address, reply_timeout=self._reply_timeout)
        self._identity = {}

    def _on_lost(self, reason: str, present: bool) -> None:
        self._bus = None
        self._identity = {}
        state = DeviceState.OFFLINE if present else DeviceState.NO_DEVICE
        wording = "cash acceptor not answering" if present else "cash acceptor unplugged"
        self._set_status(DeviceStatus(state, wording, self._facts()))
        log.debug("%s: %s", self.name, reason)

    def _step(self, _port: serial.Serial) -> None:
        try:
            if not self._identity and not self._identify():
                return
            reply = self._bus.request(Header.READ_BUFFERED_BILL_EVENTS)
            if not reply.ok:
                self._missed(reply)
                return
            self._failures = 0
            self._handle_buffer(reply.value)
            self._publish()
            with self._polled:
                self._polls += 1
                self._polled.notify_all()
        finally:
            time.sleep(self._poll_s)

    def _missed(self, err: Err) -> None:
        """A request failed after its retries. A validator we were talking to gets a few
        polls' grace; one that never answered since the port opened is offline at once."""
        self._failures += 1
        if self._failures >= self._offline_after or not self._identity:
            self._identity = {}
            self._set_status(
                DeviceStatus(DeviceState.OFFLINE, "cash acceptor not answering", self._facts())
            )
        log.debug("%s: poll failed: %s", self.name, err.message)

    def _identify(self) -> bool:
        category = self._bus.request(Header.REQUEST_EQUIPMENT_CATEGORY)
        if not category.ok:
            self._missed(category)
            return False
        if category.value.decode("ascii", "replace").strip() != "Bill Validator":
            self._set_status(
                DeviceStatus(DeviceState.HARDWARE_ERROR, "the device is not a bill validator")
            )
            return False
        identity = {"category": "Bill Validator"}
        for key, header in (
            ("manufacturer", Header.REQUEST_MANUFACTURER_ID),
            ("product", Header.REQUEST_PRODUCT_CODE),
            ("software", Header.REQUEST_SOFTWARE_REVISION),
        ):
            answer = self._bus.request(header)
            identity[key] = answer.value.decode("ascii", "replace") if answer.ok else "unknown"
        bill_values = self._read_bill_values()
        if bill_values is None:  # a half-read note table would make notes of unknown value
            self._missed(Err("no_reply", "could not read the note table", retryable=True))
            return False
        self._bill_values = bill_values
        applied = self._apply_inhibits()
        if not applied.ok:
            self._missed(applied)
            return False
        self._identity = identity
        self._failures = 0
        return True

    def _read_bill_values(self) -> dict[int, int] | None:
        """Bill type → fen from the bill ids ("CN0100A") and country scaling; None if the
        validator stopped answering half way."""
        values: dict[int, int] = {}
        scaling: dict[str, int] = {}
        for bill_type in range(1, MAX_BILL_TYPES + 1):
            answer = self._bus.request(Header.REQUEST_BILL_ID, bytes([bill_type]))
            if not answer.ok:
                return None
            code = answer.value.decode("ascii", "replace")
            if len(code) != 7 or not code[2:6].isdigit():
                continue  # "......." : this type is not programmed
            country = code[:2]
            if country not in scaling:
                reply = self._bus.request(Header.REQUEST_COUNTRY_SCALING, country.encode())
                if not reply.ok:
                    return None
                scaling[country] = int.from_bytes(reply.value[:2].ljust(2, b"\0"), "little")
            if scaling[country]:
                values[bill_type] = int(code[2:6]) * scaling[country]
        return values

    def _apply_inhibits(self) -> Result[None]:
        mask = sum(1 << (t - 1) for t in self._bill_values) if self._want_enabled else 0
        inhibits = self._command(Header.MODIFY_INHIBIT_STATUS, mask.to_bytes(2, "little"))
        if not inhibits.ok:
            return inhibits
        return self._command(Header.MODIFY_MASTER_INHIBIT, bytes([int(self._want_enabled)]))

    # -- events ----------------------------------------------------------------------------------

    def _handle_buffer(self, data: bytes) -> None:
        if len(data) != 1 + 2 * BUFFER_EVENTS:
            log.warning("%s: event buffer of %d bytes ignored", self.name, len(data))
            return
        counter = data[0]
        pairs = [(data[1 + 2 * i], data[2 + 2 * i]) for i in range(BUFFER_EVENTS)]
        if self._cursor is None:
            self._cursor = counter  # first sight of this validator: its history is not ours
            return
        if counter == 0:
            if self._cursor != 0:
                self._on_reset()
            return
        new = events_since(self._cursor, counter)
        if new > BUFFER_EVENTS:
            lost = BillEvent(
                BillEventKind.LOST,
                _counter_back(counter, BUFFER_EVENTS),
                f"{new - BUFFER_EVENTS} events lost: count the cashbox",
                lost=new - BUFFER_EVENTS,
            )
            if not self._deliver(lost):
                return
            new = BUFFER_EVENTS
        for age in range(new - 1, -1, -1):  # oldest first
            event = self._decode(_counter_back(counter, age), *pairs[age])
            if not self._deliver(event):
                return
            if event.kind is BillEventKind.ESCROW and age == 0:
                self._route_escrow(event)

    def _on_reset(self) -> None:
        event = BillEvent(BillEventKind.RESET, 0, "cash acceptor restarted")
        if self._deliver(event):
            self._fault = None
            self._apply_inhibits()  # a validator comes back from a reset inhibited

    def _decode(self, counter: int, a: int, b: int) -> BillEvent:
        if a:
            value = self._bill_values.get(a)
            if b == 1:
                return BillEvent(BillEventKind.ESCROW, counter, "note in escrow", a, value)
            return BillEvent(BillEventKind.STACKED, counter, "note stacked", a, value)
        kind, reason, _state = STATUS_CODES.get(b, (BillEventKind.FAULT, f"status {b}", None))
        return BillEvent(kind, counter, reason, status_code=b)

    def _deliver(self, event: BillEvent) -> bool:
        """Hand one event to the listeners; on failure stop taking notes and retry later."""
        for listener in list(self._bill_listeners):
            try:
                listener(event)
            except Exception:
                log.exception("%s: could not handle %s; acceptance stopped", self.name, event.kind)
                self._want_enabled = False
                self._apply_inhibits()
                self._fault = (DeviceState.HARDWARE_ERROR, "cannot record notes")
                return False
        self._cursor = event.counter
        self._note_fault(event)
        return True

    def _note_fault(self, event: BillEvent) -> None:
        self._last_event = event.reason
        if event.kind in (BillEventKind.ESCROW, BillEventKind.STACKED):
            if self._fault and "jam" in self._fault[1]:
                self._fault = None  # a note went through: the path is clear again
            return
        if event.status_code is None:
            return
        _kind, reason, state = STATUS_CODES.get(event.status_code, (None, "", None))
        if event.status_code in (10, 12):
            self._stacker, self._fault = Fact.GOOD, None
        elif event.status_code in (11, 13, 14, 15):
            self._stacker = Fact.BAD
        if state is not None and state is not DeviceState.READY:
            self._fault = (state, reason)

    def _route_escrow(self, event: BillEvent) -> None:
        try:
            stack = event.value_fen is not None and bool(self._escrow_policy(event))
        except Exception:
            log.exception("%s: escrow policy failed; returning the note", self.name)
            stack = False
        answer = self._bus.request(
            Header.ROUTE_BILL, bytes([Route.STACK if stack else Route.RETURN])
        )
        if answer.ok and answer.value[:1] == bytes([ROUTE_ESCROW_EMPTY]):
            log.info("%s: escrow already empty (timed out or routed before)", self.name)
        elif not answer.ok:
            log.warning("%s: route bill failed: %s", self.name, answer.message)

    def _facts(self) -> dict[str, Fact | str]:
        return {
            "port": self.port,
            "stacker": self._stacker,
            "accepting": Fact.GOOD if self._want_enabled else Fact.BAD,
            "last_event": self._last_event,
        }

    def _publish(self) -> None:
        idle = "accepting notes" if self._want_enabled else "idle, not accepting notes"
        state, reason = self._fault or (DeviceState.READY, idle)
        self._set_status(DeviceStatus(state, reason, self._facts()))

    # -- health ----------------------------------------------------------------------------------

    def _external_check(self, details: dict[str, str]) -> HealthResult:
        level = HealthLevel.EXTERNAL
        result = self._call(lambda: self._command(Header.SIMPLE_POLL))
        if not result.ok:
            return HealthResult(
                self.name, level, Outcome.FAIL, "no answer to a ccTalk poll", result.message
            )
        details.update(self._identity)
        outcome = Outcome.PASS if self.status.state is DeviceState.READY else Outcome.WARN
        return HealthResult(
            self.name, level, outcome, "answers ccTalk polls", self.status.reason, details
        )

    def _interactive_check(self, wait_s: float) -> HealthResult:
        """Ask for a note, recognise it, and hand it back: nothing is taken."""
        level = HealthLevel.INTERACTIVE
        seen: list[BillEvent] = []
        done = threading.Event()

        def hand_back(event: BillEvent) -> bool:
            seen.append(event)
            done.set()
            return False

        previous, was_enabled = self._escrow_policy, self._want_enabled
        self.set_escrow_policy(hand_back)
        try:
            enabled = self.enable()
            if not enabled.ok:
                return HealthResult(
                    self.name, level, Outcome.FAIL, "cannot enable", enabled.message
                )
            done.wait(wait_s)
        finally:
            self.set_escrow_policy(previous)
            if not was_enabled:
                self.disable()
        if not seen:
            return HealthResult(self.name, level, Outcome.FAIL, f"no note within {wait_s:.0f} s")
        value = seen[0].value_fen
        return HealthResult(
            self.name, level, Outcome.PASS, f"recognised a note of {value} fen and returned it"
        )


def _counter_back(counter: int, steps: int) -> int:
    """The counter `steps` events before `counter` (1..255 cycle)."""
    return (counter - 1 - steps) % 255 + 1
