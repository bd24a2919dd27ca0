"""The core loop: one thread that owns the session state, feeds events to the pure
state machine and carries out its effects.

Devices post events from their hardware threads and the platform answers arrive
from a worker pool; all of them go through one queue, so the state is only ever
touched by this thread. Listeners (the UI bridge) get each new state and must
re-post it to their own thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from kiosk import session as s
from kiosk.flows import Flow, Step
from kiosk.messages import Words, new_reference, patient_message

log = logging.getLogger(__name__)

HOSPITAL_TZ = ZoneInfo("Asia/Shanghai")  # receipt times as the patient reads them

StateListener = Callable[[s.SessionState], None]


class PatientDirectory(Protocol):
    """Looks a card up on the platform; raises PatientLookupError with a patient message."""

    def look_up(self, card_type: str, card_number: str) -> s.PatientView: ...

    def look_up_qr(self, token: str) -> s.PatientView: ...


class FlowBackend(Protocol):
    """The flows' platform side (kiosk.flows.central.CentralFlows); raises FlowError."""

    def options(
        self, flow: Flow, step: Step, patient_id: str, picks: tuple[tuple[Step, s.Option], ...]
    ) -> tuple[s.Option, ...]: ...

    def carry_out(
        self,
        request: s.FlowRequest,
        who: Any,
        card_number: str | None,
        on_pending: Callable[[s.PaymentView], None],
        stopped: Callable[[], bool],
    ) -> s.Outcome: ...

    def stop_payment(self, order_id: str) -> None: ...


class ReceiptPrinter(Protocol):
    """What the flows need of the printer: can it print now, and print a document."""

    def ready(self) -> bool: ...

    def print(self, document: Any) -> bool: ...


class ReceiptJournal(Protocol):
    """Printed receipts in the journal (kiosk.flows.ports.OutboxTransactionLog)."""

    def record_receipt(
        self, document: Any, outcome: str, card_number: str | None, patient_id: str
    ) -> None: ...

    def recent_receipts(
        self, card_number: str | None, patient_id: str, limit: int
    ) -> list[tuple[datetime, Any]]: ...


RECENT_RECEIPTS = 5  # how many receipts the reprint step offers


class CashIntake(Protocol):
    """The cash acceptor's transaction (kiosk.cash_in.CashIn behind kiosk.services.CashPort)."""

    def start(
        self,
        patient_id: str,
        limit_fen: int,
        card_number: str | None,
        on_credit: Callable[[int], None],
    ) -> None: ...

    def end(self) -> int:
        """Stop taking notes; the total stacked (each note already in the outbox)."""
        ...


class PatientLookupError(Exception):
    def __init__(self, message_code: str, cause: str) -> None:
        super().__init__(cause)
        self.message_code = message_code
        self.cause = cause


class _Stop:
    pass


class KioskCore:
    def __init__(
        self,
        directory: PatientDirectory,
        idle_timeout_s: float,
        idle_warning_s: float,
        clock: Callable[[], float] = time.monotonic,
        flows: FlowBackend | None = None,
        printer: ReceiptPrinter | None = None,
        cash: CashIntake | None = None,
        receipt_header: Any = None,
        receipt_journal: ReceiptJournal | None = None,
    ) -> None:
        self._cash = cash
        self._receipt_journal = receipt_journal
        self._receipt_header = receipt_header  # kiosk.receipts.Header, for cash receipts
        self._directory = directory
        self._flows = flows
        self._printer = printer
        self._card_number: str | None = None  # the current card's, for the outbox only
        self._stopped_orders: set[str] = set()
        self._idle_timeout_s = idle_timeout_s
        self._idle_warning_s = min(idle_warning_s, idle_timeout_s)
        self._clock = clock
        self._events: queue.Queue[s.Event | _Stop] = queue.Queue()
        self._listeners: list[StateListener] = []
        # network calls and the one slow payment wait; never on this thread or the GUI's
        self._network = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kiosk-net")
        self._thread = threading.Thread(target=self._run, name="kiosk-core", daemon=True)
        self._warn_at: float | None = None
        self._timeout_at: float | None = None
        self.state = s.SessionState()

    # -- public, thread-safe --------------------------------------------------

    def subscribe(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    def post(self, event: s.Event) -> None:
        self._events.put(event)

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        """The loop thread runs (for the watchdog)."""
        return self._thread.is_alive()

    def stop(self) -> None:
        self._events.put(_Stop())
        self._thread.join(timeout=5)
        self._network.shutdown(wait=False, cancel_futures=True)

    # -- the loop -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                event = self._events.get(timeout=self._seconds_to_next_deadline())
            except queue.Empty:
                event = self._due_timer_event()
                if event is None:
                    continue
            if isinstance(event, _Stop):
                return
            self._apply(event)

    def _apply(self, event: s.Event) -> None:
        new_state, effects = s.step(self.state, event)
        for effect in effects:
            self._carry_out(effect)
        if new_state != self.state:
            log.info(
                "session %d: %s -> %s", new_state.session_no, self.state.screen, new_state.screen
            )
            if new_state.patient is None:
                self._card_number = None
            self.state = new_state
            for listener in list(self._listeners):
                try:
                    listener(new_state)
                except Exception:
                    log.exception("state listener failed")

    def _carry_out(self, effect: s.Effect) -> None:
        match effect:
            case s.LookUpPatient():
                self._card_number = effect.card_number
                self._network.submit(self._look_up, effect)
            case s.LookUpPatientByQr():
                self._card_number = None
                self._network.submit(self._look_up, effect)
            case s.LoadOptions() if effect.step is Step.RECEIPTS:
                self._network.submit(self._load_receipts, effect, self._card_number)
            case s.LoadOptions():
                self._network.submit(self._load_options, effect)
            case s.Submit():
                who = self._who(effect.session_no)
                self._network.submit(self._submit, effect, who, self._card_number)
            case s.StopPayment():
                self._stopped_orders.add(effect.order_id)
                if self._flows is not None:
                    self._network.submit(self._flows.stop_payment, effect.order_id)
            case s.PrintReceipt():
                patient_id = self.state.patient.patient_id if self.state.patient else ""
                self._network.submit(self._print, effect, self._card_number, patient_id)
            case s.StartCashIn():
                self._network.submit(self._start_cash_in, effect, self._card_number)
            case s.EndCashIn():
                who = self._who(effect.session_no)
                self._network.submit(self._end_cash_in, effect, who)
            case s.ArmIdleTimer():
                now = self._clock()
                self._timeout_at = now + self._idle_timeout_s
                self._warn_at = self._timeout_at - self._idle_warning_s
            case s.DisarmIdleTimer():
                self._warn_at = self._timeout_at = None

    def _look_up(self, effect: s.LookUpPatient | s.LookUpPatientByQr) -> None:
        """Runs on a network worker, never on the core or GUI thread."""
        try:
            if isinstance(effect, s.LookUpPatientByQr):
                patient = self._directory.look_up_qr(effect.token)
            else:
                patient = self._directory.look_up(effect.card_type, effect.card_number)
        except PatientLookupError as exc:
            reference = new_reference(exc.message_code)
            log.warning("patient lookup failed [%s]: %s", reference, exc.cause)
            error = s.ShownError(patient_message(exc.message_code), reference)
            self.post(s.LookupFailed(effect.session_no, error))
        except Exception as exc:  # a bug must still end in a calm screen, and be logged
            reference = new_reference("SERVICE-LIMITED")
            log.exception("patient lookup crashed [%s]: %s", reference, type(exc).__name__)
            error = s.ShownError(patient_message("SERVICE-LIMITED"), reference)
            self.post(s.LookupFailed(effect.session_no, error))
        else:
            self.post(s.PatientFound(effect.session_no, patient))

    # -- flows (network workers) -------------------------------------------------------

    def _who(self, session_no: int) -> Any:
        from kiosk import receipts

        patient = self.state.patient
        name = patient.display_name if patient else ""
        return receipts.Patient(name, self._card_number or "")

    def _failed(self, session_no: int, code: str, cause: str, platform_down: bool) -> None:
        reference = new_reference(code)
        log.warning("flow step failed [%s]: %s", reference, cause)
        if platform_down:
            self.post(s.HealthChanged(platform=False))
        self.post(s.FlowFailed(session_no, s.ShownError(patient_message(code), reference)))

    def _guarded(self, session_no: int, work: Callable[[], None]) -> None:
        """Any failure ends in a calm screen with a reference, and in the log."""
        from kiosk.flows.central import FlowError

        try:
            work()
        except FlowError as exc:
            self._failed(session_no, exc.code, exc.cause, exc.platform_down)
        except Exception as exc:  # a bug must still end in a calm screen, and be logged
            log.exception("flow crashed: %s", type(exc).__name__)
            self._failed(session_no, "SERVICE-LIMITED", type(exc).__name__, False)

    def _load_options(self, effect: s.LoadOptions) -> None:
        def work() -> None:
            assert self._flows is not None
            options = self._flows.options(effect.flow, effect.step, effect.patient_id, effect.picks)
            self.post(s.OptionsLoaded(effect.session_no, effect.step, options))

        self._guarded(effect.session_no, work)

    def _submit(self, effect: s.Submit, who: Any, card_number: str | None) -> None:
        request = effect.request

        def work() -> None:
            assert self._flows is not None
            # the receipt is checked before any money moves: out of paper is said first
            if request.print_receipt and self._printer is not None and not self._printer.ready():
                self.post(s.HealthChanged(printer=False))
                self.post(s.PrinterUnavailable(effect.session_no))
                return
            outcome = self._flows.carry_out(
                request,
                who,
                card_number,
                lambda payment: self.post(s.PaymentPending(effect.session_no, payment)),
                lambda: self._payment_stopped(effect.session_no),
            )
            self.post(s.FlowCompleted(effect.session_no, outcome))

        self._guarded(effect.session_no, work)

    def _start_cash_in(self, effect: s.StartCashIn, card_number: str | None) -> None:
        def work() -> None:
            assert self._cash is not None
            self._cash.start(
                effect.patient_id,
                effect.limit_fen,
                card_number,
                lambda total: self.post(s.CashCredited(effect.session_no, total)),
            )

        self._guarded(effect.session_no, work)

    def _end_cash_in(self, effect: s.EndCashIn, who: Any) -> None:
        def work() -> None:
            from kiosk.flows.central import cash_outcome

            assert self._cash is not None
            total = self._cash.end()
            if total > 0:
                outcome = cash_outcome(total, who, self._receipt_header)
                self.post(s.FlowCompleted(effect.session_no, outcome))

        self._guarded(effect.session_no, work)

    def _payment_stopped(self, session_no: int) -> bool:
        state = self.state  # one immutable snapshot, read from a worker
        payment = state.payment
        if state.session_no != session_no or state.patient is None:
            return True
        return payment is not None and payment.order_id in self._stopped_orders

    def _print(self, effect: s.PrintReceipt, card_number: str | None, patient_id: str) -> None:
        from kiosk import receipts

        document = effect.outcome.document
        if effect.outcome.reprint:
            document = receipts.reprint(document, datetime.now(UTC))
        ok = False
        try:
            ok = self._printer is not None and self._printer.print(document)
        except Exception:
            log.exception("printing failed")
        if not effect.outcome.reprint:
            self._journal_receipt(document, "printed" if ok else "print_failed",
                                  card_number, patient_id)  # fmt: skip
        self.post(s.ReceiptPrinted(effect.session_no, ok))

    def _journal_receipt(
        self, document: Any, outcome: str, card_number: str | None, patient_id: str
    ) -> None:
        """Kept for reprint; a journal failure must not cost the patient the receipt screen."""
        if self._receipt_journal is None:
            return
        try:
            self._receipt_journal.record_receipt(document, outcome, card_number, patient_id)
        except Exception:
            log.exception("could not journal receipt %s", document.reference)

    def _load_receipts(self, effect: s.LoadOptions, card_number: str | None) -> None:
        """This session's receipts first, then this card's earlier ones from the journal."""
        from kiosk.flows.receipt_text import receipt_lines

        session = self.state  # one immutable snapshot, read from a worker
        mine = tuple(reversed(session.receipts)) if session.session_no == effect.session_no else ()
        options = [s.receipt_option(o) for o in mine]
        seen = {o.document.reference for o in mine} | {o.reference for o in mine}
        earlier: list[tuple[datetime, Any]] = []
        if self._receipt_journal is not None:
            try:
                earlier = self._receipt_journal.recent_receipts(
                    card_number, effect.patient_id, RECENT_RECEIPTS + len(mine)
                )
            except Exception:
                log.exception("could not read receipts from the journal")
        for at, document in earlier:
            if document.reference in seen:
                continue
            seen.add(document.reference)
            options.append(_journal_receipt_option(at, document, receipt_lines(document)))
        loaded = tuple(options[:RECENT_RECEIPTS])
        self.post(s.OptionsLoaded(effect.session_no, effect.step, loaded))

    # -- idle timer ---------------------------------------------------------------

    def _seconds_to_next_deadline(self) -> float | None:
        deadlines = [d for d in (self._warn_at, self._timeout_at) if d is not None]
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - self._clock())

    def _due_timer_event(self) -> s.Event | None:
        now = self._clock()
        if self._timeout_at is not None and now >= self._timeout_at:
            self._warn_at = self._timeout_at = None
            return s.IdleTimeout()
        if self._warn_at is not None and now >= self._warn_at:
            self._warn_at = None
            return s.IdleWarning()
        return None


def _journal_receipt_option(at: datetime, document: Any, lines: tuple[str, ...]) -> s.Option:
    """A receipt of an earlier session on the reprint step: its title and when it was printed."""
    from drivers.printer.document import Title

    title = next((b.text for b in document.blocks if isinstance(b, Title)), document.kind)
    zh, _, en = title.partition(" ")
    local = at.astimezone(HOSPITAL_TZ)
    return s.Option(
        document.reference,
        Words(zh, en or zh),
        Words(
            f"{local:%m-%d %H:%M} · {document.reference}",
            f"{local:%d %b %H:%M} · {document.reference}",
        ),
        data=(("document", document), ("receipt_text", lines)),
    )
