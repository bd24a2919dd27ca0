"""The patient session as a pure state machine: `step(state, event) -> (state, effects)`.

No I/O and no clock here: the core loop (kiosk/core.py) feeds events in and carries
out the effects (ask the platform, pay, print, arm the idle timer). Every async
answer carries the session number it was asked for, so an answer that arrives after
the card was pulled is ignored instead of showing one patient's data to the next.

After the patient is identified the session is on the home screen (the greeting
with the flows on offer); each flow then walks its navigation map from
kiosk/flows. Card removal, the idle timeout and Finish end the session from any
state, and nothing of the patient is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from kiosk.flows import (
    LOADED_STEPS,
    MAPS,
    MAX_TOP_UP_FEN,
    TOP_UP_PRESETS_FEN,
    Flow,
    Health,
    Step,
    amount_limit_fen,
    first_step,
    next_step,
    offered_flows,
    payment_methods,
    previous_step,
)
from kiosk.messages import PatientMessage, Words, patient_message


class Screen(StrEnum):
    ATTRACT = "attract"  # "please insert your card"
    READING = "reading"  # card in, reading it and looking the patient up
    GREETING = "greeting"  # home: masked name, balance and the flows on offer
    ERROR = "error"  # a calm message with a reference; Home, Finish or a pull ends it
    DEPARTMENTS = "departments"
    DAYS = "days"
    SESSIONS = "sessions"
    BOOKINGS = "bookings"
    CHARGES = "charges"
    AMOUNT = "amount"
    CONFIRM = "confirm"
    BALANCE = "balance"
    RECEIPTS = "receipts"
    WORKING = "working"  # the platform is doing it: progress, no way back while money moves
    PAYMENT_QR = "payment_qr"  # QR code with its countdown
    SCAN_CODE = "scan_code"  # "hold your payment code under the scanner"
    CASH = "cash"  # notes go in; the running total; Done
    PRINTING = "printing"
    DONE = "done"  # the result, with the receipt on screen when it was not printed
    HOME = "greeting"  # alias: the greeting is the home screen


@dataclass(frozen=True)
class PatientView:
    """Only what the screens may show: already masked, money in integer fen."""

    display_name: str
    card_type: str
    masked_card_number: str
    balance_fen: int
    balance_as_of: str  # ISO 8601 with offset, from the platform
    patient_id: str = ""  # the platform's id (not personal data), for the flows' calls
    balance_last_known: bool = False  # from the cache while the platform is down


@dataclass(frozen=True)
class ShownError:
    message: PatientMessage
    reference: str


@dataclass(frozen=True)
class Option:
    """One choice on a step: a department, a session, a booking, a charge, a method."""

    key: str
    title: Words
    detail: Words = Words("", "")  # noqa: RUF009 (frozen, shared safely)
    amount_fen: int | None = None
    enabled: bool = True
    search: str = ""  # pinyin initials, for the department search
    data: tuple[tuple[str, Any], ...] = ()  # what the platform call needs, never shown

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.data).get(name, default)


@dataclass(frozen=True)
class PaymentView:
    order_id: str
    qr_content: str
    amount_fen: int
    expires_at: str  # ISO 8601 with offset


@dataclass(frozen=True)
class Outcome:
    """How a flow ended, as the patient is told, with the receipt when there is one."""

    flow: Flow
    success: bool
    headline: Words
    lines: tuple[Words, ...] = ()
    reference: str = ""
    document: Any = None  # drivers.printer.document.Document; masked data only
    receipt_text: tuple[str, ...] = ()  # the same receipt, for the screen
    refunded: bool = False
    reprint: bool = False


@dataclass(frozen=True)
class SessionState:
    screen: Screen = Screen.ATTRACT
    session_no: int = 0  # increases with every new session; stale answers are dropped
    patient: PatientView | None = None
    error: ShownError | None = None
    idle_warning: bool = False  # the countdown with "I need more time" is showing
    # what the terminal can do: survives the end of a session (not patient data)
    health: Health = Health()  # noqa: RUF009 (frozen, shared safely)
    configured: tuple[str, ...] = tuple(f.value for f in Flow)
    offered: tuple[Flow, ...] = ()
    # the flow under way
    flow: Flow | None = None
    options: tuple[Option, ...] = ()
    loading: bool = False  # the current step's options are on their way
    picks: tuple[tuple[Step, Option], ...] = ()
    selected: frozenset[str] = frozenset()  # charges chosen
    amount_fen: int = 0  # the amount on the confirm screen (or typed on the keypad)
    notice: PatientMessage | None = None  # a plain note on the current screen
    payment: PaymentView | None = None
    cash_in_fen: int = 0  # notes stacked so far in this cash-in
    outcome: Outcome | None = None
    receipts: tuple[Outcome, ...] = field(default=())  # this session's, for reprint

    def pick(self, step: Step) -> Option | None:
        return dict(self.picks).get(step)

    @property
    def banner(self) -> PatientMessage | None:
        """The plain banner while the platform is unreachable."""
        return None if self.health.platform else patient_message("OFFLINE")


# ---- events -----------------------------------------------------------------


@dataclass(frozen=True)
class CardInserted:
    pass


@dataclass(frozen=True)
class CardIdentified:
    card_type: str
    card_number: str  # unmasked: goes to the platform only, never into the state


@dataclass(frozen=True)
class QrPresented:
    """A patient QR code (electronic health card) under the scanner, on the attract screen."""

    token: str  # goes to the platform only, never into the state


@dataclass(frozen=True)
class PaymentCodeScanned:
    """The patient's own payment code (WeChat Pay / Alipay) under the scanner."""

    code: str = field(repr=False)  # goes to the platform only, never into the state


@dataclass(frozen=True)
class CashCredited:
    """A note was stacked and written to the outbox: it is the patient's now."""

    session_no: int
    total_fen: int


@dataclass(frozen=True)
class CardFailed:
    error: ShownError


@dataclass(frozen=True)
class PatientFound:
    session_no: int
    patient: PatientView


@dataclass(frozen=True)
class LookupFailed:
    session_no: int
    error: ShownError


@dataclass(frozen=True)
class CardRemoved:
    pass


@dataclass(frozen=True)
class IdleWarning:
    pass


@dataclass(frozen=True)
class IdleTimeout:
    pass


@dataclass(frozen=True)
class UserActivity:
    """Any tap: pushes the idle deadline back and hides the countdown."""


@dataclass(frozen=True)
class Finish:
    pass


@dataclass(frozen=True)
class Configure:
    """At start: the flows the terminal offers and what its devices allow."""

    configured: tuple[str, ...]
    health: Health


@dataclass(frozen=True)
class HealthChanged:
    printer: bool | None = None
    platform: bool | None = None
    cash: bool | None = None


@dataclass(frozen=True)
class ChooseFlow:
    flow: Flow


@dataclass(frozen=True)
class Pick:
    """A tap on an option of the current step (on the confirm step: the payment method)."""

    key: str


@dataclass(frozen=True)
class Toggle:
    """Choose or un-choose a charge."""

    key: str


@dataclass(frozen=True)
class SetAmount:
    fen: int


@dataclass(frozen=True)
class Next:
    """Go on from a step where the patient chose several things or typed an amount."""


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Home:
    pass


@dataclass(frozen=True)
class CancelPayment:
    pass


@dataclass(frozen=True)
class OptionsLoaded:
    session_no: int
    step: Step
    options: tuple[Option, ...]


@dataclass(frozen=True)
class FlowFailed:
    session_no: int
    error: ShownError


@dataclass(frozen=True)
class PrinterUnavailable:
    """Checked before any money moved: the receipt cannot be printed."""

    session_no: int


@dataclass(frozen=True)
class PaymentPending:
    session_no: int
    payment: PaymentView


@dataclass(frozen=True)
class FlowCompleted:
    session_no: int
    outcome: Outcome


@dataclass(frozen=True)
class ReceiptPrinted:
    session_no: int
    ok: bool


Event = (
    CardInserted
    | CardIdentified
    | CardFailed
    | QrPresented
    | PaymentCodeScanned
    | CashCredited
    | PatientFound
    | LookupFailed
    | CardRemoved
    | IdleWarning
    | IdleTimeout
    | UserActivity
    | Finish
    | Configure
    | HealthChanged
    | ChooseFlow
    | Pick
    | Toggle
    | SetAmount
    | Next
    | Back
    | Home
    | CancelPayment
    | OptionsLoaded
    | FlowFailed
    | PrinterUnavailable
    | PaymentPending
    | FlowCompleted
    | ReceiptPrinted
)

# ---- effects ----------------------------------------------------------------


@dataclass(frozen=True)
class LookUpPatient:
    session_no: int
    card_type: str
    card_number: str


@dataclass(frozen=True)
class LookUpPatientByQr:
    session_no: int
    token: str


@dataclass(frozen=True)
class ArmIdleTimer:
    pass


@dataclass(frozen=True)
class DisarmIdleTimer:
    pass


@dataclass(frozen=True)
class LoadOptions:
    session_no: int
    flow: Flow
    step: Step
    patient_id: str
    picks: tuple[tuple[Step, Option], ...]


@dataclass(frozen=True)
class FlowRequest:
    """Everything the platform call of a flow needs, decided by the patient's taps."""

    flow: Flow
    patient_id: str
    picks: tuple[tuple[Step, Option], ...]
    charge_ids: tuple[str, ...]
    amount_fen: int
    method: str  # card_balance | qr | cash | none
    print_receipt: bool
    offline: bool = False  # the platform is unreachable: complete under the offline policy
    payment_code: str = field(default="", repr=False)  # scanned from the patient's phone

    def pick(self, step: Step) -> Option | None:
        return dict(self.picks).get(step)


@dataclass(frozen=True)
class Submit:
    session_no: int
    request: FlowRequest


@dataclass(frozen=True)
class StopPayment:
    order_id: str


@dataclass(frozen=True)
class StartCashIn:
    session_no: int
    patient_id: str
    limit_fen: int


@dataclass(frozen=True)
class EndCashIn:
    """Stop taking notes; what was stacked is credited (and the flow completes)."""

    session_no: int


@dataclass(frozen=True)
class PrintReceipt:
    session_no: int
    outcome: Outcome


Effect = (
    LookUpPatient
    | LookUpPatientByQr
    | ArmIdleTimer
    | DisarmIdleTimer
    | LoadOptions
    | Submit
    | StopPayment
    | StartCashIn
    | EndCashIn
    | PrintReceipt
)

_BUSY = (Screen.WORKING, Screen.PAYMENT_QR, Screen.PRINTING)  # money or paper in flight
_FLOW_SCREENS = (
    *tuple(Screen(step.value) for step in Step),
    *_BUSY,
    Screen.SCAN_CODE,
    Screen.CASH,
    Screen.DONE,
)
_IN_SESSION = (Screen.READING, Screen.GREETING, Screen.ERROR, *_FLOW_SCREENS)

Result = tuple[SessionState, list[Effect]]


def _end_session(state: SessionState) -> Result:
    """Back to the attract screen with nothing of the patient kept."""
    effects: list[Effect] = [DisarmIdleTimer()]
    if state.payment is not None and state.screen is Screen.PAYMENT_QR:
        effects.append(StopPayment(state.payment.order_id))  # do not leave a QR payable
    if state.screen is Screen.CASH:
        effects.append(EndCashIn(state.session_no))  # stacked notes stay the patient's
    kept = SessionState(
        session_no=state.session_no, health=state.health, configured=state.configured
    )
    return kept, effects


def step(state: SessionState, event: Event) -> Result:
    match event:
        case Configure(configured, health):
            return replace(state, configured=tuple(configured), health=health), []
        case HealthChanged():
            return _health_changed(state, event), []
        case CardInserted():
            fresh = SessionState(
                screen=Screen.READING,
                session_no=state.session_no + 1,
                health=state.health,
                configured=state.configured,
            )
            return fresh, [ArmIdleTimer()]
        case QrPresented(token) if state.screen is Screen.ATTRACT and state.health.scanner:
            fresh = SessionState(
                screen=Screen.READING,
                session_no=state.session_no + 1,
                health=state.health,
                configured=state.configured,
            )
            return fresh, [ArmIdleTimer(), LookUpPatientByQr(fresh.session_no, token)]
        case CardIdentified(card_type, card_number) if state.screen is Screen.READING:
            return state, [LookUpPatient(state.session_no, card_type, card_number)]
        case CardFailed(error) if state.screen is Screen.READING:
            return replace(state, screen=Screen.ERROR, error=error), [ArmIdleTimer()]
        case PatientFound(session_no, patient) if _reading(state, session_no):
            # found on the platform: it is reachable; recognised from the cache: it is not
            health = replace(state.health, platform=not patient.balance_last_known)
            return _home(replace(state, patient=patient, health=health)), [ArmIdleTimer()]
        case LookupFailed(session_no, error) if _reading(state, session_no):
            return replace(state, screen=Screen.ERROR, error=error), [ArmIdleTimer()]
        case CardRemoved() | IdleTimeout() | Finish() if state.screen in _IN_SESSION:
            return _end_session(state)
        case IdleWarning() if state.screen in _IN_SESSION:
            return replace(state, idle_warning=True), []
        case UserActivity() if state.screen in _IN_SESSION:
            return replace(state, idle_warning=False), _rearm(state)
    if state.patient is None or state.screen not in (Screen.GREETING, Screen.ERROR, *_FLOW_SCREENS):
        return state, []
    return _in_flow(state, event)


def _in_flow(state: SessionState, event: Event) -> Result:
    match event:
        case ChooseFlow(flow) if state.screen is Screen.GREETING and flow in state.offered:
            return _enter(replace(state, flow=flow, picks=()), first_step(flow))
        case Home() | Back() if state.screen in (Screen.DONE, Screen.ERROR):
            return _home(state), []
        case Home() if state.screen not in _BUSY and state.screen is not Screen.GREETING:
            return _home(state), []
        case Back() if state.screen is Screen.SCAN_CODE:
            return _enter(state, Step.CONFIRM)
        case CashCredited(session_no, total) if _current(state, session_no):
            return replace(state, cash_in_fen=total), [ArmIdleTimer()]
        case Next() if state.screen is Screen.CASH:
            return replace(state, screen=Screen.WORKING), [EndCashIn(state.session_no)]
        case Back() if state.screen is Screen.CASH and state.cash_in_fen == 0:
            back, effects = _enter(state, Step.CONFIRM)
            return back, [*effects, EndCashIn(state.session_no)]
        case PaymentCodeScanned(code) if state.screen is Screen.SCAN_CODE:
            return _submit(state, "payment_code", code)
        case Back() if state.screen is Screen.PAYMENT_QR:
            return _cancel_payment(state)
        case CancelPayment() if state.screen is Screen.PAYMENT_QR:
            return _cancel_payment(state)
        case Back() if _on_step(state):
            return _back(state)
        case OptionsLoaded(session_no, loaded_step, options) if _current(state, session_no):
            if state.loading and _on_step(state) and loaded_step.value == state.screen.value:
                return replace(state, options=tuple(options), loading=False), []
        case Pick(key) if _on_step(state) and not state.loading:
            return _pick(state, key)
        case Toggle(key) if state.screen is Screen.CHARGES:
            return _toggle(state, key), []
        case SetAmount(fen) if state.screen is Screen.AMOUNT and 0 <= fen <= 10**9:
            return replace(state, amount_fen=fen, notice=None), []
        case Next() if state.screen in (Screen.CHARGES, Screen.AMOUNT):
            return _next_from_choice(state)
        case FlowFailed(session_no, error) if _current(state, session_no):
            return replace(state, screen=Screen.ERROR, error=error, payment=None), [ArmIdleTimer()]
        case PrinterUnavailable(session_no) if _current(state, session_no):
            health = replace(state.health, printer=False)
            confirm = replace(state, health=health, notice=patient_message("PRINTER-UNAVAILABLE"))
            return _enter(confirm, Step.CONFIRM, keep_notice=True)
        case PaymentPending(session_no, payment) if _current(state, session_no):
            if state.screen is Screen.WORKING:
                return replace(state, screen=Screen.PAYMENT_QR, payment=payment), [
                    DisarmIdleTimer()
                ]
        case FlowCompleted(session_no, outcome) if _current(state, session_no):
            return _completed(state, outcome)
        case ReceiptPrinted(session_no, ok) if _current(state, session_no):
            if state.screen is Screen.PRINTING:
                return _printed(state, ok), [ArmIdleTimer()]
    return state, []


# ---- navigation ---------------------------------------------------------------


def _home(state: SessionState) -> SessionState:
    return replace(
        state,
        screen=Screen.GREETING,
        flow=None,
        options=(),
        loading=False,
        picks=(),
        selected=frozenset(),
        amount_fen=0,
        notice=None,
        payment=None,
        outcome=None,
        error=None,
        offered=offered_flows(state.configured, state.health),
    )


def _enter(state: SessionState, step_: Step, keep_notice: bool = False) -> Result:
    """Show `step_` of the current flow, asking for its options when they are loaded."""
    assert state.flow is not None and state.patient is not None
    notice = state.notice if keep_notice else None
    entered = replace(state, screen=Screen(step_.value), options=(), loading=False, notice=notice)
    if step_ in LOADED_STEPS:
        load = LoadOptions(
            state.session_no, state.flow, step_, state.patient.patient_id, state.picks
        )
        return replace(entered, loading=True), [load]
    if step_ is Step.AMOUNT:
        limit = amount_limit_fen(state.health)
        presets = tuple(_amount_option(fen, fen <= limit) for fen in TOP_UP_PRESETS_FEN)
        return replace(entered, options=presets), []
    if step_ is Step.CONFIRM:
        return _confirm_options(entered), []
    return entered, []


def _back(state: SessionState) -> Result:
    assert state.flow is not None
    current = Step(state.screen.value)
    previous = previous_step(state.flow, current)
    if previous is None:
        return _home(state), []
    picks = tuple((s, o) for s, o in state.picks if s not in (previous, current))
    return _enter(replace(state, picks=picks), previous)


def _pick(state: SessionState, key: str) -> Result:
    option = next((o for o in state.options if o.key == key and o.enabled), None)
    if option is None or state.flow is None:
        return state, []
    current = Step(state.screen.value)
    if current is Step.AMOUNT:
        return _next_from_choice(replace(state, amount_fen=option.amount_fen or 0))
    if current is Step.CONFIRM and option.key == "cash":
        assert state.patient is not None
        start = StartCashIn(state.session_no, state.patient.patient_id, state.amount_fen)
        return replace(state, screen=Screen.CASH, cash_in_fen=0, notice=None), [start]
    if current is Step.CONFIRM and option.key == "payment_code":
        return replace(state, screen=Screen.SCAN_CODE, notice=None), []
    if current is Step.CONFIRM:
        return _submit(state, option.key)
    if current is Step.RECEIPTS:
        again = replace(_receipt_to_reprint(state, option), reprint=True)
        return replace(state, screen=Screen.PRINTING, outcome=again), [
            PrintReceipt(state.session_no, again),
            DisarmIdleTimer(),
        ]
    if current is Step.BALANCE:
        return state, []  # history lines are for reading only
    picks = (*tuple((s, o) for s, o in state.picks if s is not current), (current, option))
    following = next_step(state.flow, current)
    if following is None:
        return state, []
    return _enter(replace(state, picks=picks), following)


def _toggle(state: SessionState, key: str) -> SessionState:
    if not any(o.key == key and o.enabled for o in state.options):
        return state
    chosen = state.selected ^ {key}
    return replace(state, selected=frozenset(chosen))


def _next_from_choice(state: SessionState) -> Result:
    assert state.flow is not None
    if state.screen is Screen.CHARGES:
        if not state.selected:
            return state, []
        amount = sum(o.amount_fen or 0 for o in state.options if o.key in state.selected)
        charges = tuple(o for o in state.options if o.key in state.selected)
        picks = (*state.picks, (Step.CHARGES, _charges_option(charges, amount)))
        return _enter(replace(state, picks=picks, amount_fen=amount), Step.CONFIRM)
    if state.amount_fen < 100 or state.amount_fen > MAX_TOP_UP_FEN:
        return replace(state, notice=patient_message("AMOUNT-INVALID")), []
    if state.amount_fen > amount_limit_fen(state.health):
        return replace(state, notice=patient_message("AMOUNT-OFFLINE-LIMIT")), []
    return _enter(state, Step.CONFIRM)


def _confirm_options(state: SessionState) -> SessionState:
    """The confirm step offers the ways to pay as one-tap buttons."""
    assert state.flow is not None and state.patient is not None
    amount = _amount_due(state)
    methods = payment_methods(state.flow, state.health, state.patient.balance_fen, amount)
    options = tuple(Option(m, METHOD_WORDS[m], amount_fen=amount) for m in methods)
    return replace(state, options=options, amount_fen=amount)


def _amount_due(state: SessionState) -> int:
    match state.flow:
        case Flow.REGISTER | Flow.BOOK:
            chosen = state.pick(Step.SESSIONS)
            return chosen.amount_fen or 0 if chosen else 0
        case Flow.PAY | Flow.TOP_UP:
            return state.amount_fen
        case Flow.CANCEL:
            chosen = state.pick(Step.BOOKINGS)
            return int(chosen.get("refund_fen", 0)) if chosen else 0
    return 0


def _submit(state: SessionState, method: str, payment_code: str = "") -> Result:
    assert state.flow is not None and state.patient is not None
    charges = state.pick(Step.CHARGES)
    request = FlowRequest(
        flow=state.flow,
        patient_id=state.patient.patient_id,
        picks=state.picks,
        charge_ids=tuple(charges.get("charge_ids", ())) if charges else (),
        amount_fen=state.amount_fen,
        method=method,
        print_receipt=state.health.printer,
        offline=not state.health.platform,
        payment_code=payment_code,
    )
    working = replace(state, screen=Screen.WORKING, notice=None)
    # no idle timeout while money moves: every platform call and the QR wait are bounded
    return working, [Submit(state.session_no, request), DisarmIdleTimer()]


def _cancel_payment(state: SessionState) -> Result:
    assert state.payment is not None
    working = replace(state, screen=Screen.WORKING)
    return working, [StopPayment(state.payment.order_id)]


def _completed(state: SessionState, outcome: Outcome) -> Result:
    if state.screen not in (Screen.WORKING, Screen.PAYMENT_QR):
        return state, []
    receipts = state.receipts + ((outcome,) if outcome.document is not None else ())
    done = replace(state, outcome=outcome, payment=None, receipts=receipts)
    patient = state.patient
    if outcome.success and outcome.flow in (Flow.TOP_UP, Flow.PAY, Flow.REGISTER, Flow.BOOK):
        balance = _balance_after(outcome)
        if balance is not None and patient is not None:
            done = replace(done, patient=replace(patient, balance_fen=balance))
    if outcome.document is not None and state.health.printer:
        return replace(done, screen=Screen.PRINTING), [PrintReceipt(state.session_no, outcome)]
    return replace(done, screen=Screen.DONE), [ArmIdleTimer()]


def _balance_after(outcome: Outcome) -> int | None:
    document = outcome.document
    meta = getattr(document, "meta", None) or {}
    value = meta.get("balance_after_fen")
    return value if isinstance(value, int) else None


def _printed(state: SessionState, ok: bool) -> SessionState:
    if ok:
        return replace(state, screen=Screen.DONE)
    health = replace(state.health, printer=False)
    return replace(state, screen=Screen.DONE, health=health, notice=patient_message("PRINT-FAILED"))


def _health_changed(state: SessionState, event: HealthChanged) -> SessionState:
    health = state.health
    for name in ("printer", "platform", "cash"):
        value = getattr(event, name)
        if value is not None:
            health = replace(health, **{name: value})
    changed = replace(state, health=health)
    if state.screen is Screen.GREETING:
        changed = replace(changed, offered=offered_flows(state.configured, health))
    return changed


def _rearm(state: SessionState) -> list[Effect]:
    # while money or paper is in flight (and on the QR screen, which has its own expiry)
    # the idle timer stays off: each of those steps is bounded by its own timeout
    return [] if state.screen in _BUSY else [ArmIdleTimer()]


def _reading(state: SessionState, session_no: int) -> bool:
    return state.screen is Screen.READING and session_no == state.session_no


def _current(state: SessionState, session_no: int) -> bool:
    return session_no == state.session_no and state.patient is not None


def _on_step(state: SessionState) -> bool:
    return state.flow is not None and state.screen.value in {
        s.value for s in MAPS[state.flow].steps
    }


# ---- words for the options the machine makes itself ---------------------------------

METHOD_WORDS = {
    "card_balance": Words("卡内余额支付", "Pay from card balance"),
    "qr": Words("扫码支付", "Pay by QR code"),
    "cash": Words("现金支付", "Pay in cash"),
    "payment_code": Words("出示付款码", "Show your payment code"),
    "none": Words("确认", "Confirm"),
}


def _amount_option(fen: int, enabled: bool = True) -> Option:
    yuan = f"{fen // 100}"
    return Option(f"preset-{fen}", Words(f"{yuan} 元", f"¥{yuan}"), amount_fen=fen, enabled=enabled)


def _charges_option(charges: tuple[Option, ...], amount: int) -> Option:
    titles = Words("、".join(c.title.zh for c in charges), ", ".join(c.title.en for c in charges))
    ids = tuple(c.key for c in charges)
    return Option("charges", titles, amount_fen=amount, data=(("charge_ids", ids),))


def receipt_option(outcome: Outcome) -> Option:
    """A receipt of this session on the reprint step."""
    return Option(outcome.reference, outcome.headline, Words(outcome.reference, outcome.reference))


def _receipt_to_reprint(state: SessionState, option: Option) -> Outcome:
    """This session's outcome, or a receipt of an earlier session from the journal."""
    mine = next((o for o in state.receipts if o.reference == option.key), None)
    if mine is not None:
        return mine
    return Outcome(
        Flow.REPRINT,
        True,
        Words("凭条已补打", "Your receipt was printed again"),
        reference=option.key,
        document=option.get("document"),
        receipt_text=tuple(option.get("receipt_text", ())),
    )
