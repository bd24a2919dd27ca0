"""The contract's data models (pydantic), shared by the kiosk's client and the simulator.

These models are the source of `contract/openapi.json`: the simulator serves them,
schemathesis checks the simulator against the committed document, and the client
validates every reply against them before anything else sees it.

Request models forbid unknown fields (a typo is an error, not a silent default);
reply models ignore unknown fields, so a platform may add fields without breaking
older kiosks. Money is integer fen plus a currency; times carry their offset.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

API_VERSION = "1.0.0"

Fen = Annotated[int, Field(ge=0, le=100_000_000, description="integer fen (1/100 yuan)")]
Currency = Literal["CNY"]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
ClientRef = Annotated[
    str,
    Field(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the kiosk's own reference for a transaction, unique per terminal",
    ),
]


def _text_only(value: object) -> object:
    """A time in a request must be ISO 8601 text with an offset, never a bare number."""
    if not isinstance(value, str | dt.datetime):
        raise ValueError("expected an ISO 8601 date-time with an offset")
    return value


def _number_only(value: object) -> object:
    """JSON numbers only: "5" (text) and true are not integers."""
    if isinstance(value, str | bool):
        raise ValueError("expected a JSON number")
    return value


# request fields are not coerced: "5" is not an integer, 0 is not a date-time
# (bounds before the validator, so they show in the JSON schema)
RequestCount = Annotated[int, Field(ge=0, le=100_000_000), BeforeValidator(_number_only)]
RequestFen = Annotated[int, Field(ge=1, le=10_000_000), BeforeValidator(_number_only)]
RequestTime = Annotated[AwareDatetime, BeforeValidator(_text_only)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Reply(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _mask(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def mask_person_name(name: str) -> str:
    """Family name only: 张伟 → 张*, LI/NA → L*/N*."""
    if not name:
        return ""
    if any("\u3400" <= ch <= "\u9fff" for ch in name):
        return name[0] + "*" * (len(name) - 1)
    parts = name.replace("/", " / ").split()
    return " ".join(p if p == "/" else p[0] + "*" * (len(p) - 1) for p in parts).replace(" / ", "/")


# --- errors -----------------------------------------------------------------


class ErrorReply(_Reply):
    """The one error shape of every call."""

    code: str = Field(description="stable machine code, e.g. `session_full`")
    message_zh: str = Field(description="short sentence for the patient, in Chinese")
    message_en: str = Field(description="the same in English")
    retryable: bool = Field(description="true: the same request may succeed later, unchanged")
    request_id: str = Field("", description="reference for the platform's logs")


# --- terminal ----------------------------------------------------------------


class EnrollmentRequest(_Request):
    enroll_code: Annotated[str, Field(min_length=4, max_length=64)]
    terminal_id: Id
    software_version: Annotated[str, Field(max_length=64)] = ""


class Enrollment(_Reply):
    terminal_id: str
    hospital_id: str
    secret_b64: str = Field(description="the terminal secret (32 bytes, base64); shown once")
    enrolled_at: AwareDatetime


class DeviceReport(_Request):
    name: Annotated[str, Field(min_length=1, max_length=32)]
    state: Literal[
        "ready", "busy", "offline", "no_device", "hardware_error", "user_error", "unknown"
    ]
    reason: Annotated[str, Field(max_length=200)] = ""


class HeartbeatRequest(_Request):
    software_version: Annotated[str, Field(max_length=64)]
    devices: Annotated[list[DeviceReport], Field(max_length=16)] = []
    outbox_depth: RequestCount = 0
    oldest_outbox_age_s: RequestCount = 0
    sent_at: RequestTime


class HeartbeatReply(_Reply):
    terminal_id: str
    server_time: AwareDatetime
    clock_skew_s: int = Field(description="server_time minus sent_at, rounded")


class Ping(_Reply):
    status: Literal["ok"]
    api_version: str
    terminal_id: str
    server_time: AwareDatetime


# --- patients ------------------------------------------------------------------


class CardType(StrEnum):
    PBOC = "pboc"
    SOCIAL_SECURITY = "social_security"


class CardLookup(_Request):
    card_type: CardType
    card_number: Annotated[str, Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9]+$")]


class QrLookup(_Request):
    qr_token: Annotated[str, Field(min_length=4, max_length=256)]


class Patient(_Reply):
    patient_id: str
    name: str = Field(description="full name; the kiosk shows `name_masked` where it can")
    card_type: CardType
    card_number_masked: str
    id_number_masked: str = ""
    birth_year: int | None = None

    @property
    def name_masked(self) -> str:
        return mask_person_name(self.name)

    def display_name(self, masked: bool = True) -> str:
        return self.name_masked if masked else self.name

    def __repr__(self) -> str:  # never leak the name into logs or tracebacks
        return f"Patient(patient_id={self.patient_id!r}, name={self.name_masked!r})"

    __str__ = __repr__


class Balance(_Reply):
    patient_id: str
    balance_fen: int
    currency: Currency
    as_of: AwareDatetime


class TransactionKind(StrEnum):
    PAYMENT = "payment"
    TOP_UP = "top_up"
    REFUND = "refund"


class Transaction(_Reply):
    transaction_id: str
    kind: TransactionKind
    amount_fen: int = Field(description="signed: negative takes money off the card balance")
    currency: Currency
    method: str
    balance_after_fen: int | None = None
    at: AwareDatetime
    description_zh: str
    description_en: str
    order_id: str | None = None


# --- hospitals ---------------------------------------------------------------------


class CancelRule(_Reply):
    min_hours_before_start: int = Field(description="a booking can be cancelled until then")
    refund_percent: int = Field(ge=0, le=100)


class Hospital(_Reply):
    hospital_id: str
    name_zh: str
    name_en: str
    address_zh: str
    address_en: str
    phone: str
    booking_window_days: int
    cancel_rule: CancelRule


class Department(_Reply):
    department_id: str
    hospital_id: str
    name_zh: str
    name_en: str
    pinyin_initials: str = Field(description="e.g. 心血管内科 → XXGNK, for the kiosk's search")
    location_zh: str
    location_en: str


class Doctor(_Reply):
    doctor_id: str
    department_id: str
    name: str
    title_zh: str
    title_en: str
    specialty_zh: str
    specialty_en: str


class Period(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"


class Session(_Reply):
    session_id: str
    hospital_id: str
    department_id: str
    doctor_id: str
    date: dt.date
    period: Period
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    fee_fen: int
    currency: Currency
    places_total: int
    places_left: int
    room_zh: str
    room_en: str
    bookable: bool = Field(description="within the booking window, not started, places left")


# --- bookings ---------------------------------------------------------------------


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"


class Refund(_Reply):
    amount_fen: int
    currency: Currency
    method: str = Field(description="where the money went back: the original payment route")
    reason: str
    refunded_at: AwareDatetime
    transaction_id: str | None = None


class Booking(_Reply):
    booking_id: str
    patient_id: str
    session_id: str
    hospital_id: str
    department_id: str
    department_name_zh: str
    department_name_en: str
    doctor_name: str
    doctor_title_zh: str
    doctor_title_en: str
    date: dt.date
    period: Period
    starts_at: AwareDatetime
    room_zh: str
    room_en: str
    fee_fen: int
    currency: Currency
    status: BookingStatus
    channel: Literal["kiosk", "phone", "web", "counter"]
    queue_number: int | None = Field(None, description="given at booking; shown from check-in")
    order_id: str | None = None
    booked_at: AwareDatetime
    checked_in_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    refund: Refund | None = None
    cancellable: bool
    refund_if_cancelled_fen: int


# --- charges -------------------------------------------------------------------------


class ChargeItem(_Reply):
    name_zh: str
    name_en: str
    quantity: int
    unit_zh: str
    unit_en: str
    unit_price_fen: int
    amount_fen: int


class Charge(_Reply):
    charge_id: str
    patient_id: str
    hospital_id: str
    department_name_zh: str
    department_name_en: str
    category: Literal["prescription", "lab", "imaging", "treatment"]
    title_zh: str
    title_en: str
    items: list[ChargeItem]
    amount_fen: int
    currency: Currency
    status: Literal["unpaid", "paid"]
    created_at: AwareDatetime
    paid_order_id: str | None = None


# --- orders and payments ----------------------------------------------------------------


class Purpose(StrEnum):
    BOOKING = "booking"
    CHARGES = "charges"
    TOP_UP = "top_up"


class PaymentMethod(StrEnum):
    CARD_BALANCE = "card_balance"  # the card's own account at the hospital
    QR = "qr"  # the kiosk shows a QR code, the patient pays on the phone
    PAYMENT_CODE = "payment_code"  # the kiosk scans the patient's own payment code
    CASH = "cash"  # taken by the kiosk's cash acceptor


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # QR shown, waiting for the phone
    FULFILLED = "fulfilled"  # paid, and what was paid for is done (final)
    REFUNDED = "refunded"  # paid, could not be fulfilled, money returned (final)
    CANCELLED = "cancelled"  # the kiosk gave up before payment (final)
    EXPIRED = "expired"  # the QR code expired unpaid (final)
    FAILED = "failed"  # payment declined; nothing taken (final)


FINAL_ORDER_STATUSES = frozenset(OrderStatus) - {OrderStatus.PENDING_PAYMENT}


class PayForBooking(_Request):
    purpose: Literal["booking"]
    session_id: Id = Field(description="the session to book")


class PayForCharges(_Request):
    purpose: Literal["charges"]
    charge_ids: Annotated[list[Id], Field(min_length=1, max_length=50)] = Field(
        description="the outstanding charges to pay (all or some)"
    )


class PayForTopUp(_Request):
    purpose: Literal["top_up"]
    amount_fen: RequestFen = Field(description="the amount to add to the card balance")


class PayByCardBalance(_Request):
    method: Literal["card_balance"]


class PayByQr(_Request):
    method: Literal["qr"]


class PayByPaymentCode(_Request):
    method: Literal["payment_code"]
    payment_code: Annotated[str, Field(min_length=16, max_length=24, pattern=r"^[0-9]+$")] = Field(
        description="the code scanned from the patient's phone"
    )


class PayByCash(_Request):
    method: Literal["cash"]
    cash_fen: RequestFen = Field(
        description="what the acceptor took; any excess is credited to the card balance"
    )
    collected_at: RequestTime | None = Field(
        None, description="when the kiosk took the cash, if it was taken while offline"
    )


PayFor = Annotated[PayForBooking | PayForCharges | PayForTopUp, Field(discriminator="purpose")]
PayBy = Annotated[
    PayByCardBalance | PayByQr | PayByPaymentCode | PayByCash, Field(discriminator="method")
]


class OrderRequest(_Request):
    """One payment for one thing: a booking, some charges, or a top-up."""

    client_ref: ClientRef
    patient_id: Id
    pay_for: PayFor
    payment: PayBy

    # flat views, for code that handles every kind of order alike
    @property
    def purpose(self) -> Purpose:
        return Purpose(self.pay_for.purpose)

    @property
    def payment_method(self) -> PaymentMethod:
        return PaymentMethod(self.payment.method)

    @property
    def session_id(self) -> str | None:
        return getattr(self.pay_for, "session_id", None)

    @property
    def charge_ids(self) -> list[str] | None:
        return getattr(self.pay_for, "charge_ids", None)

    @property
    def amount_fen(self) -> int | None:
        return getattr(self.pay_for, "amount_fen", None)

    @property
    def payment_code(self) -> str | None:
        return getattr(self.payment, "payment_code", None)

    @property
    def cash_fen(self) -> int | None:
        return getattr(self.payment, "cash_fen", None)


def pay_by(
    method: PaymentMethod | str, **details: object
) -> PayByCardBalance | PayByQr | PayByPaymentCode | PayByCash:
    """The payment part of an order: pay_by("cash", cash_fen=2000), pay_by("qr")."""
    kinds = {
        "card_balance": PayByCardBalance,
        "qr": PayByQr,
        "payment_code": PayByPaymentCode,
        "cash": PayByCash,
    }
    method = PaymentMethod(method).value
    return kinds[method](method=method, **details)


class Payment(_Reply):
    method: PaymentMethod
    status: Literal["pending", "paid", "failed", "cancelled", "expired", "refunded"]
    amount_fen: int
    currency: Currency
    qr_url: str | None = Field(None, description="method qr: the content of the QR code to show")
    expires_at: AwareDatetime | None = None
    paid_at: AwareDatetime | None = None
    transaction_id: str | None = None
    excess_credited_fen: int = 0


class Failure(_Reply):
    code: str
    message_zh: str
    message_en: str


class ReceiptLine(_Reply):
    text_zh: str
    text_en: str
    amount_fen: int


class Receipt(_Reply):
    """Everything a receipt needs, as the platform knows it."""

    hospital_name_zh: str
    hospital_name_en: str
    title_zh: str
    title_en: str
    patient_name_masked: str
    lines: list[ReceiptLine]
    total_fen: int
    currency: Currency
    payment_method: PaymentMethod
    payment_status: str
    transaction_id: str | None = None
    balance_after_fen: int | None = None
    queue_number: int | None = None
    room_zh: str | None = None
    room_en: str | None = None
    at: AwareDatetime


class Order(_Reply):
    order_id: str
    client_ref: str
    terminal_id: str
    patient_id: str
    purpose: Purpose
    status: OrderStatus
    amount_fen: int
    currency: Currency
    payment: Payment
    session_id: str | None = None
    charge_ids: list[str] = []
    booking: Booking | None = None
    failure: Failure | None = None
    refund: Refund | None = None
    receipt: Receipt | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ORDER_STATUSES


# --- small request bodies ---------------------------------------------------------------


class CancelBookingRequest(_Request):
    reason: Annotated[str, Field(max_length=200)] = ""


class CheckInRequest(_Request):
    checked_in_at: RequestTime | None = Field(
        None, description="when the patient checked in, if the kiosk was offline then"
    )


class CancelOrderRequest(_Request):
    reason: Annotated[str, Field(max_length=200)] = ""


class Page(_Reply):
    """Lists come wrapped, so fields can be added later without breaking clients."""

    total: int


class HospitalList(Page):
    items: list[Hospital]


class DepartmentList(Page):
    items: list[Department]


class DoctorList(Page):
    items: list[Doctor]


class SessionList(Page):
    items: list[Session]


class BookingList(Page):
    items: list[Booking]


class ChargeList(Page):
    items: list[Charge]


class TransactionList(Page):
    items: list[Transaction]
