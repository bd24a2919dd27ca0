"""Receipt content for every flow, built from plain core data.

The core decides what a receipt says; `drivers.printer` only lays it out and
prints it. Amounts are integer fen, times are timezone-aware, the patient's name
and card number are masked here, before anything leaves the core. The result is
a `Document` that serialises to JSON: the journal keeps that JSON so a reprint
gives exactly the slip the patient had (plus a "reprint" mark).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from drivers.printer.document import (
    BigText,
    Block,
    Cut,
    Document,
    DocumentError,
    Feed,
    ItemRow,
    ItemTable,
    KeyValue,
    Logo,
    QrCode,
    Rule,
    Text,
    Title,
    Total,
    display_width,
)
from kiosk.logsetup import mask_name, mask_number

if TYPE_CHECKING:
    from kiosk.config import KioskConfig


class ReceiptDataError(ValueError):
    """Core data that cannot go on a receipt; the message names the field."""


class Flow(StrEnum):
    REGISTRATION = "registration"
    BOOKING = "booking"
    CHECK_IN = "check_in"
    CANCEL = "cancel"
    FEE_PAYMENT = "fee_payment"
    TOP_UP = "top_up"
    BALANCE = "balance"


TITLES = {
    Flow.REGISTRATION: "挂号凭条 Registration",
    Flow.BOOKING: "预约凭条 Booking",
    Flow.CHECK_IN: "签到凭条 Check-in",
    Flow.CANCEL: "退号凭条 Cancellation",
    Flow.FEE_PAYMENT: "缴费凭条 Payment",
    Flow.TOP_UP: "充值凭条 Top-up",
    Flow.BALANCE: "余额查询 Balance",
}
PAYMENT_METHODS = {
    "balance": "卡内余额 Card balance",
    "qr": "扫码支付 QR payment",
    "payment_code": "付款码 Payment code",
    "cash": "现金 Cash",
}
SESSIONS = {"morning": "上午 Morning", "afternoon": "下午 Afternoon", "evening": "晚间 Evening"}
CONFIRMED, PENDING = "已确认 confirmed", "待确认 pending confirmation"
MAX_NAME_COLUMNS = 20


@dataclass(frozen=True)
class Header:
    hospital: str
    terminal_id: str
    logo_path: str = ""


@dataclass(frozen=True)
class Patient:
    name: str
    card_number: str = ""


@dataclass(frozen=True)
class Appointment:
    department: str
    doctor: str
    day: date
    session: str  # morning | afternoon | evening
    room: str
    queue_number: str
    fee_fen: int = 0


@dataclass(frozen=True)
class Charge:
    description: str
    amount_fen: int
    quantity: int = 1


@dataclass(frozen=True)
class Payment:
    method: str  # balance | qr | payment_code | cash
    amount_fen: int
    confirmed: bool  # the platform confirmed it; else "pending confirmation"


@dataclass(frozen=True)
class Transaction:
    reference: str
    at: datetime


@dataclass(frozen=True)
class BalanceEntry:
    at: datetime
    description: str
    amount_fen: int  # positive: credit, negative: debit


# --- formatting and validation ------------------------------------------------------


def format_fen(fen: int, field: str = "amount") -> str:
    """12850 → "￥128.50" (the full-width yuan sign every Chinese printer font has)."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise ReceiptDataError(f"{field} must be integer fen, not {type(fen).__name__} {fen!r}")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}￥{yuan:,}.{cents:02d}"


def format_time(at: datetime, field: str = "time") -> str:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ReceiptDataError(f"{field} must be a timezone-aware datetime, not {at!r}")
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _reference(txn: Transaction) -> str:
    ref = txn.reference
    if not ref or len(ref) > 64 or not ref.isascii() or not ref.isprintable():
        raise ReceiptDataError(f"transaction reference must be 1-64 printable ASCII: {ref!r}")
    return ref


def masked_patient_name(name: str) -> str:
    """Family name kept, the rest masked, and cut to a width any receipt can show."""
    masked = mask_name(name)
    if display_width(masked) <= MAX_NAME_COLUMNS:
        return masked
    out = ""
    for ch in masked:
        if display_width(out + ch) > MAX_NAME_COLUMNS - 1:
            break
        out += ch
    return out + "…"


def header_from_config(config: KioskConfig, logo_path: str = "") -> Header:
    """The receipt header of this terminal: [receipt] header and [terminal] id."""
    hospital = config.receipt.header or config.terminal.hospital_id
    return Header(hospital, config.terminal.id, logo_path)


def _method(payment: Payment) -> str:
    if payment.method not in PAYMENT_METHODS:
        raise ReceiptDataError(
            f"payment method {payment.method!r}: expected one of {', '.join(PAYMENT_METHODS)}"
        )
    return PAYMENT_METHODS[payment.method]


# --- building blocks ----------------------------------------------------------------


def _frame(
    flow: Flow, header: Header, patient: Patient, txn: Transaction, body: Sequence[Block]
) -> Document:
    """What every receipt has: header, title, patient, body, time, terminal, ref, QR, cut."""
    reference = _reference(txn)
    top: list[Block] = [Logo(header.logo_path)] if header.logo_path else []
    top += [Text(header.hospital, "center", bold=True), Title(TITLES[flow]), Rule()]
    who: list[Block] = [KeyValue("患者 Patient", masked_patient_name(patient.name))]
    if patient.card_number:
        who.append(KeyValue("卡号 Card", mask_number(patient.card_number)))
    tail: list[Block] = [
        Rule(),
        KeyValue("时间 Time", format_time(txn.at, "transaction time")),
        KeyValue("终端 Terminal", header.terminal_id),
        KeyValue("流水号 Ref", reference),
        QrCode(reference),
        Text("请妥善保管 Please keep this receipt", "center"),
        Feed(2),
        Cut(),
    ]
    blocks = (*top, *who, Rule(), *body, *tail)
    return Document(blocks, kind=flow.value, reference=reference)


def _appointment_lines(appt: Appointment) -> list[Block]:
    session = SESSIONS.get(appt.session, appt.session)
    return [
        KeyValue("科室 Department", appt.department),
        KeyValue("医生 Doctor", appt.doctor),
        KeyValue("就诊日期 Date", f"{appt.day.isoformat()} {session}"),
        KeyValue("诊室 Room", appt.room),
    ]


def _queue(appt: Appointment) -> list[Block]:
    return [Text("排队号 Queue number", "center"), BigText(appt.queue_number), Feed(1)]


def _payment_lines(payment: Payment, label: str = "合计 Total") -> list[Block]:
    return [
        Total(label, format_fen(payment.amount_fen, "payment amount")),
        KeyValue("支付方式 Paid by", _method(payment)),
        KeyValue("状态 Status", CONFIRMED if payment.confirmed else PENDING),
    ]


# --- one builder per flow -----------------------------------------------------------


def registration(
    header: Header, patient: Patient, appt: Appointment, payment: Payment, txn: Transaction
) -> Document:
    fee = format_fen(appt.fee_fen, "registration fee")
    body = [*_queue(appt), *_appointment_lines(appt), KeyValue("挂号费 Fee", fee)]
    return _frame(Flow.REGISTRATION, header, patient, txn, [*body, *_payment_lines(payment)])


def booking(
    header: Header,
    patient: Patient,
    appt: Appointment,
    payment: Payment | None,
    txn: Transaction,
) -> Document:
    body = [*_appointment_lines(appt), KeyValue("序号 Number", appt.queue_number)]
    if payment is None:
        body.append(KeyValue("挂号费 Fee", f"{format_fen(appt.fee_fen)} 到院支付 pay on arrival"))
    else:
        body += _payment_lines(payment)
    return _frame(Flow.BOOKING, header, patient, txn, body)


def check_in(header: Header, patient: Patient, appt: Appointment, txn: Transaction) -> Document:
    body = [*_queue(appt), *_appointment_lines(appt), KeyValue("状态 Status", "已签到 checked in")]
    return _frame(Flow.CHECK_IN, header, patient, txn, body)


def cancel(
    header: Header,
    patient: Patient,
    appt: Appointment,
    refund: Payment | None,
    txn: Transaction,
) -> Document:
    body = [*_appointment_lines(appt), KeyValue("序号 Number", appt.queue_number)]
    if refund is None:
        body.append(KeyValue("退款 Refund", "无 none"))
    else:
        body += _payment_lines(refund, "退款 Refund")
    return _frame(Flow.CANCEL, header, patient, txn, body)


def fee_payment(
    header: Header, patient: Patient, charges: Sequence[Charge], payment: Payment, txn: Transaction
) -> Document:
    if not charges:
        raise ReceiptDataError("a fee payment receipt needs at least one charge")
    rows = tuple(
        ItemRow(c.description, format_fen(c.amount_fen, "charge amount"), str(c.quantity))
        for c in charges
    )
    total = sum(c.amount_fen for c in charges)
    if total != payment.amount_fen:
        raise ReceiptDataError(f"charges add up to {total} fen, payment is {payment.amount_fen}")
    body = [ItemTable(rows), Rule(), *_payment_lines(payment)]
    return _frame(Flow.FEE_PAYMENT, header, patient, txn, body)


def top_up(
    header: Header,
    patient: Patient,
    payment: Payment,
    new_balance_fen: int | None,
    txn: Transaction,
) -> Document:
    body = _payment_lines(payment, "充值金额 Top-up")
    if new_balance_fen is not None and payment.confirmed:
        body.append(KeyValue("当前余额 Balance", format_fen(new_balance_fen, "balance")))
    elif not payment.confirmed:
        body.append(Text("到账后余额更新 Balance updates once confirmed"))
    return _frame(Flow.TOP_UP, header, patient, txn, body)


def balance(
    header: Header,
    patient: Patient,
    balance_fen: int,
    as_of: datetime,
    last_known: bool,
    history: Sequence[BalanceEntry],
    appointments: Sequence[Appointment],
    txn: Transaction,
) -> Document:
    when = format_time(as_of, "balance time")
    note = f"离线，最后已知 last known {when}" if last_known else f"截至 as of {when}"
    body: list[Block] = [Total("余额 Balance", format_fen(balance_fen, "balance")), Text(note)]
    if history:
        rows = tuple(
            ItemRow(f"{e.at.strftime('%m-%d')} {e.description}", format_fen(e.amount_fen))
            for e in history
        )
        body += [Rule(), ItemTable(rows, ("最近交易 Recent", "", "金额 Amount"))]
    for appt in appointments:
        session = SESSIONS.get(appt.session, appt.session)
        body.append(KeyValue(f"{appt.department} {session}", f"{appt.room} #{appt.queue_number}"))
    return _frame(Flow.BALANCE, header, patient, txn, body)


def reprint(doc: Document, at: datetime) -> Document:
    """The journal's document again, marked as a reprint with the reprint time."""
    mark = Text(f"** 重印 REPRINT {format_time(at, 'reprint time')} **", "center", bold=True)
    index = next((i for i, b in enumerate(doc.blocks) if isinstance(b, Title)), 0) + 1
    blocks = (*doc.blocks[:index], mark, *doc.blocks[index:])
    return replace(doc, blocks=blocks, meta={**doc.meta, "reprint_at": at.isoformat()})


# --- the journal's side of a receipt ------------------------------------------------

RECEIPT_EVENT = "receipt"


def journal_detail(doc: Document, outcome: str, card_key: str = "") -> dict[str, object]:
    """What the journal keeps of a receipt (as the `detail` of a RECEIPT_EVENT row with
    client_ref = doc.reference): the document exactly as printed (already masked), the
    print outcome ("printed", "unconfirmed", or an Err code such as "paper_out"), and a
    keyed hash of the card number so "the last receipts of this card" can be found."""
    return {
        "kind": doc.kind,
        "outcome": outcome,
        "card_key": card_key,
        "document": json.loads(doc.to_json()),
    }


def document_from_journal(detail: Mapping[str, object]) -> Document:
    """The document of a journal RECEIPT_EVENT, ready for `reprint` (DocumentError if bad)."""
    if not isinstance(detail.get("document"), dict):
        raise DocumentError("journal entry holds no receipt document")
    return Document.from_json(json.dumps(detail["document"], ensure_ascii=False))
