"""The sync worker's forwarder to the central platform, over `CentralClient`.

Outbox payload shapes (what the flows enqueue):

- type "check_in": `check_in_payload(booking_id, checked_in_at)`; the booking is
  looked up by id to learn whether an earlier attempt was applied.
- type "reprint": local only; nothing is sent, the row is confirmed as such.
- any other type (registration, booking, charges, top_up, cash_top_up):
  `order_payload(...)` / `cash_top_up_payload(...)`; looked up by client reference.

The outbox row's own idempotency key goes with every send, so a resend after a
crash or a timeout can never apply twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from kiosk.central import models as m
from kiosk.central.client import CentralClient
from kiosk.central.errors import (
    CentralError,
    MalformedReply,
    Rejected,
    ServerFault,
    Timeout,
    Unreachable,
)
from kiosk.sync import Absent, Confirmed, LookupOutcome, RetryLater, SendOutcome, Unknown
from kiosk.sync import Rejected as PermanentlyRejected
from offline_store import OutboxItem

CHECK_IN = "check_in"
REPRINT = "reprint"
_FAILED_ORDER = {
    m.OrderStatus.FAILED,
    m.OrderStatus.REFUNDED,
    m.OrderStatus.CANCELLED,
    m.OrderStatus.EXPIRED,
}


def order_payload(patient_id: str, pay_for: BaseModel, payment: BaseModel) -> dict[str, Any]:
    """An order's outbox payload; its client_ref is the outbox row's, added when sent."""
    order = {
        "patient_id": patient_id,
        "pay_for": pay_for.model_dump(mode="json", exclude_none=True),
        "payment": payment.model_dump(mode="json", exclude_none=True),
    }
    return {"order": order}


def cash_top_up_payload(
    patient_id: str, amount_fen: int, collected_at: dt.datetime | None = None
) -> dict[str, Any]:
    """Cash taken by the acceptor, to be credited to the card balance (offline: later)."""
    pay_for = m.PayForTopUp(purpose="top_up", amount_fen=amount_fen)
    payment = m.pay_by("cash", cash_fen=amount_fen, collected_at=collected_at)
    return order_payload(patient_id, pay_for, payment)


def check_in_payload(booking_id: str, checked_in_at: dt.datetime | None) -> dict[str, Any]:
    at = checked_in_at.isoformat() if checked_in_at else None
    return {"booking_id": booking_id, "checked_in_at": at}


class CentralForwarder:
    """Implements kiosk.sync.Forwarder with the platform's contract."""

    def __init__(self, client: CentralClient) -> None:
        self._client = client

    def send(self, item: OutboxItem) -> SendOutcome:
        if item.type == REPRINT:
            return Confirmed({"local": True})
        try:
            if item.type == CHECK_IN:
                return _booking_outcome(self._check_in(item))
            return _order_outcome(
                self._client.create_order(self._order(item), item.idempotency_key)
            )
        except CentralError as exc:
            return _error_outcome(exc)

    def lookup(self, item: OutboxItem) -> LookupOutcome:
        if item.type == REPRINT:
            return Confirmed({"local": True})
        try:
            if item.type == CHECK_IN:
                booking = self._client.get_booking(item.payload["booking_id"])
                if booking.status == m.BookingStatus.CHECKED_IN:
                    return _booking_outcome(booking)
                return Absent()
            order = self._client.find_order_by_client_ref(item.client_ref)
        except CentralError as exc:
            return _lookup_error(exc)
        return Absent() if order is None else _order_outcome(order)

    def heartbeat(self) -> bool:
        try:
            self._client.ping()
        except CentralError:
            return False
        return True

    def _check_in(self, item: OutboxItem) -> m.Booking:
        at = item.payload.get("checked_in_at")
        checked_in_at = dt.datetime.fromisoformat(at) if at else None
        return self._client.check_in(
            item.payload["booking_id"], checked_in_at, item.idempotency_key
        )

    @staticmethod
    def _order(item: OutboxItem) -> m.OrderRequest:
        fields = dict(item.payload["order"])
        fields["client_ref"] = item.client_ref  # the platform finds it again by this
        return m.OrderRequest.model_validate(fields)


def _order_outcome(order: m.Order) -> Confirmed | PermanentlyRejected:
    if order.status in _FAILED_ORDER:
        failure = order.failure
        code = failure.code if failure else f"order_{order.status}"
        message = failure.message_en if failure else f"order {order.status}"
        return PermanentlyRejected(code, message)
    return Confirmed(order.model_dump(mode="json"))


def _booking_outcome(booking: m.Booking) -> Confirmed:
    return Confirmed(booking.model_dump(mode="json"))


def _error_outcome(exc: CentralError) -> SendOutcome:
    if isinstance(exc, Rejected):
        if exc.retryable:
            return RetryLater(exc.operator)
        return PermanentlyRejected(exc.code, exc.message_en)
    down = isinstance(exc, Unreachable | Timeout)
    if exc.outcome_unknown or isinstance(exc, MalformedReply | Timeout):
        return Unknown(exc.operator, platform_down=down)
    if isinstance(exc, ServerFault) and exc.status == 503:
        down = True  # the platform says it is not serving: pause and heartbeat
    return RetryLater(exc.operator, platform_down=down)


def _lookup_error(exc: CentralError) -> LookupOutcome:
    if isinstance(exc, Rejected) and not exc.retryable:
        return PermanentlyRejected(exc.code, exc.message_en)
    return RetryLater(exc.operator, platform_down=isinstance(exc, Unreachable | Timeout))
