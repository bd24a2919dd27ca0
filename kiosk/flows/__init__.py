"""Each patient flow as a navigation map: its steps in order, what each step needs,
and where Back goes. Pure data and pure functions: no I/O, no Qt.

The session machine (kiosk/session.py) walks these maps; the screens only render
the step they are told to. Back from a flow's first step goes home; Back from any
later step goes to the step before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Flow(StrEnum):
    """The names match `[services] offered` in the config."""

    REGISTER = "register"  # same-day registration 挂号
    BOOK = "book"  # advance booking 预约
    CHECK_IN = "check_in"  # 签到取号
    CANCEL = "cancel"  # 退号
    PAY = "pay"  # outstanding fees 缴费
    TOP_UP = "top_up"  # 充值
    BALANCE = "balance"  # balance and history 查询
    REPRINT = "reprint"  # 补打凭条


class Step(StrEnum):
    DEPARTMENTS = "departments"  # grid with search by pinyin initials
    DAYS = "days"  # a day within the booking window (advance booking)
    SESSIONS = "sessions"  # doctor and session, fee and places left
    BOOKINGS = "bookings"  # the patient's appointments (check-in, cancel)
    CHARGES = "charges"  # unpaid charges, itemised, choose which
    AMOUNT = "amount"  # top-up amount: keypad and presets
    CONFIRM = "confirm"  # what, how much, and how to pay: one tap
    BALANCE = "balance"  # balance, last transactions, today's appointments
    RECEIPTS = "receipts"  # recent receipts of this card (this session's first) to print again


@dataclass(frozen=True)
class FlowMap:
    steps: tuple[Step, ...]
    moves_money: bool  # a payment or refund is involved
    needs_platform: bool  # cannot complete at all without the platform
    offline_tx: str | None = None  # offline policy name when it may complete offline


MAPS: dict[Flow, FlowMap] = {
    Flow.REGISTER: FlowMap((Step.DEPARTMENTS, Step.SESSIONS, Step.CONFIRM), True, True),
    Flow.BOOK: FlowMap((Step.DEPARTMENTS, Step.DAYS, Step.SESSIONS, Step.CONFIRM), True, True),
    Flow.CHECK_IN: FlowMap((Step.BOOKINGS, Step.CONFIRM), False, False, "check_in"),
    Flow.CANCEL: FlowMap((Step.BOOKINGS, Step.CONFIRM), True, True),
    Flow.PAY: FlowMap((Step.CHARGES, Step.CONFIRM), True, True),
    Flow.TOP_UP: FlowMap((Step.AMOUNT, Step.CONFIRM), True, True, "cash_top_up"),
    Flow.BALANCE: FlowMap((Step.BALANCE,), False, False, "balance"),
    Flow.REPRINT: FlowMap((Step.RECEIPTS,), False, False, "reprint"),
}

# Steps whose options come from the platform, the cache or the journal and must be
# loaded first (the receipts to reprint come from the journal, also from earlier sessions).
LOADED_STEPS = frozenset(
    {
        Step.DEPARTMENTS,
        Step.DAYS,
        Step.SESSIONS,
        Step.BOOKINGS,
        Step.CHARGES,
        Step.BALANCE,
        Step.RECEIPTS,
    }
)

TOP_UP_PRESETS_FEN = (5000, 10000, 20000, 50000)
MAX_TOP_UP_FEN = 500000


def first_step(flow: Flow) -> Step:
    return MAPS[flow].steps[0]


def next_step(flow: Flow, step: Step) -> Step | None:
    steps = MAPS[flow].steps
    index = steps.index(step)
    return steps[index + 1] if index + 1 < len(steps) else None


def previous_step(flow: Flow, step: Step) -> Step | None:
    """Where Back goes: the step before, or None for home."""
    steps = MAPS[flow].steps
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None


@dataclass(frozen=True)
class Health:
    """What the devices and the platform allow right now."""

    printer: bool = True  # a printer is fitted and can print
    platform: bool = True  # the platform answered last time we asked
    cash: bool = False  # a cash acceptor is fitted and ready
    scanner: bool = False  # a QR scanner is fitted: patients may identify with a QR code
    offline_allowed: frozenset[str] = frozenset({"check_in", "cash_top_up", "reprint"})
    offline_single_fen: int = 0  # the offline policy's single-amount limit (0: none)


def amount_limit_fen(health: Health) -> int:
    """The largest top-up the patient may choose now: offline, the policy's single limit."""
    if not health.platform and health.offline_single_fen > 0:
        return min(MAX_TOP_UP_FEN, health.offline_single_fen)
    return MAX_TOP_UP_FEN


def offered_flows(configured: tuple[str, ...] | list[str], health: Health) -> tuple[Flow, ...]:
    """The flows the home screen offers: only those that can finish now.

    No printer: flows still finish with the receipt on screen, but reprint is hidden.
    No platform: only what the offline policy allows, and balance as last known.
    """
    offered = []
    for flow in Flow:
        if flow.value not in configured:
            continue
        if flow is Flow.REPRINT and not health.printer:
            continue
        if not health.platform and not _possible_offline(flow, health):
            continue
        offered.append(flow)
    return tuple(offered)


def _possible_offline(flow: Flow, health: Health) -> bool:
    tx = MAPS[flow].offline_tx
    if flow is Flow.BALANCE:
        return True  # the last known balance, marked as such
    if flow is Flow.TOP_UP:
        return health.cash and tx in health.offline_allowed
    return tx is not None and tx in health.offline_allowed


def payment_methods(
    flow: Flow, health: Health, balance_fen: int, amount_fen: int
) -> tuple[str, ...]:
    """How the patient may pay for this flow now (platform method names)."""
    if not MAPS[flow].moves_money or flow is Flow.CANCEL:
        return ("none",)
    if not health.platform:
        return ("cash",) if flow is Flow.TOP_UP and health.cash else ()
    methods = []
    if flow is not Flow.TOP_UP and balance_fen >= amount_fen:
        methods.append("card_balance")
    methods.append("qr")
    if health.scanner:
        methods.append("payment_code")  # the patient's own code under the scanner
    if flow is Flow.TOP_UP and health.cash:
        methods.append("cash")
    return tuple(methods)
