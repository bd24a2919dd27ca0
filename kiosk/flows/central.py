"""The flows' platform calls over `CentralClient`: options for each step, and carrying
out the confirmed choice (written to the outbox first), with the receipt.

Runs on the core's network workers only. Every failure becomes a `FlowError` with
a patient message code; "charged but not booked" is never left open: the platform
refunds (order status `refunded`) and the patient is told so, and an answer that
never came is looked up by client reference before the patient is told anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from kiosk import receipts as rc
from kiosk.central import models as m
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralError, Rejected, Timeout, Unreachable
from kiosk.flows import Flow, Step
from kiosk.flows.ports import LoggedTransaction, TransactionLog
from kiosk.flows.receipt_text import receipt_lines
from kiosk.messages import Words, new_reference, patient_message
from kiosk.money import format_fen
from kiosk.offline_central import check_in_payload, order_payload
from kiosk.session import FlowRequest, Option, Outcome, PaymentView

log = logging.getLogger(__name__)

HOSPITAL_TZ = ZoneInfo("Asia/Shanghai")
PERIODS = {"morning": Words("上午", "Morning"), "afternoon": Words("下午", "Afternoon")}
WEEKDAYS_ZH = "一二三四五六日"
QR_GRACE_S = 5.0  # keep polling a little past the QR's expiry: a late payment still counts


class FlowError(Exception):
    def __init__(self, code: str, cause: str, platform_down: bool = False) -> None:
        super().__init__(cause)
        self.code, self.cause, self.platform_down = code, cause, platform_down


# platform refusals that mean "this payment did not go through; nothing was taken"
_PAYMENT_REFUSALS = {"insufficient_balance", "payment_declined", "cash_short"}


def _as_flow_error(exc: CentralError) -> FlowError:
    down = isinstance(exc, Unreachable | Timeout)
    code = "SERVICE-LIMITED"
    if isinstance(exc, Rejected):
        code = "PAYMENT-FAILED" if exc.code in _PAYMENT_REFUSALS else "REJECTED"
    return FlowError(code, f"{type(exc).__name__}: {exc.operator}", platform_down=down)


class CentralFlows:
    def __init__(
        self,
        client: CentralClient,
        transactions: TransactionLog,
        header: rc.Header,
        hospital_id: str,
        today: Callable[[], dt.date] = lambda: dt.datetime.now(HOSPITAL_TZ).date(),
        offline_policy: Any = None,
    ) -> None:
        self._client = client
        self._policy = offline_policy
        self._log = transactions
        self._header = header
        self._hospital_id = hospital_id
        self._today = today

    # ---- the options of each step ----------------------------------------------------

    def options(
        self, flow: Flow, step: Step, patient_id: str, picks: tuple[tuple[Step, Option], ...]
    ) -> tuple[Option, ...]:
        chosen = dict(picks)
        try:
            return self._options(flow, step, patient_id, chosen)
        except (Unreachable, Timeout) as exc:
            offline = self._offline_options(flow, step, patient_id)
            if offline is not None:
                return offline
            raise _as_flow_error(exc) from exc
        except CentralError as exc:
            raise _as_flow_error(exc) from exc

    def _options(
        self, flow: Flow, step: Step, patient_id: str, chosen: dict[Step, Option]
    ) -> tuple[Option, ...]:
        match step:
            case Step.DEPARTMENTS:
                return self._departments()
            case Step.DAYS:
                return self._days()
            case Step.SESSIONS:
                day = chosen[Step.DAYS].key if Step.DAYS in chosen else self._today().isoformat()
                return self._sessions(chosen[Step.DEPARTMENTS], dt.date.fromisoformat(day))
            case Step.BOOKINGS:
                return self._bookings(flow, patient_id)
            case Step.CHARGES:
                return self._charges(patient_id)
            case Step.BALANCE:
                return self._history(patient_id)
        raise FlowError("SERVICE-LIMITED", f"step {step} has no platform options")

    def _offline_options(
        self, flow: Flow, step: Step, patient_id: str
    ) -> tuple[Option, ...] | None:
        """What the cache can answer while the platform is unreachable, or None."""
        if flow is Flow.CHECK_IN and step is Step.BOOKINGS:
            found = self._log.recall("bookings_today", patient_id)
            if found is None:
                return None
            bookings = [m.Booking.model_validate(b) for b in found[0]]
            return tuple(self._booking_option(flow, b) for b in bookings)
        if flow is Flow.BALANCE and step is Step.BALANCE:
            found = self._log.recall("balance", patient_id)
            if found is None:
                return None
            as_of = dt.datetime.fromisoformat(found[0]["as_of"]).astimezone(HOSPITAL_TZ)
            return (
                Option(
                    "balance",
                    Words("卡内余额（离线，最后已知）", "Card balance (offline, last known)"),
                    Words(f"截至 {as_of:%m-%d %H:%M}", f"as of {as_of:%d %b %H:%M}"),
                    amount_fen=int(found[0]["balance_fen"]),
                ),
            )
        return None

    def _hospital(self) -> m.Hospital:
        hospitals = self._client.list_hospitals()
        return next((h for h in hospitals if h.hospital_id == self._hospital_id), hospitals[0])

    def _departments(self) -> tuple[Option, ...]:
        return tuple(
            Option(
                d.department_id,
                Words(d.name_zh, d.name_en),
                Words(d.location_zh, d.location_en),
                search=d.pinyin_initials,
                data=(("name_zh", d.name_zh), ("name_en", d.name_en)),
            )
            for d in self._client.list_departments(self._hospital().hospital_id)
        )

    def _days(self) -> tuple[Option, ...]:
        window = min(self._hospital().booking_window_days, 14)
        today = self._today()
        days = (today + dt.timedelta(days=n) for n in range(1, window + 1))
        return tuple(
            Option(
                d.isoformat(),
                Words(f"{d.month}月{d.day}日 周{WEEKDAYS_ZH[d.weekday()]}", d.strftime("%a %d %b")),
            )
            for d in days
        )

    def _sessions(self, department: Option, day: dt.date) -> tuple[Option, ...]:
        doctors = {d.doctor_id: d for d in self._client.list_doctors(department.key)}
        options = []
        for session in self._client.list_sessions(department.key, day):
            doctor = doctors.get(session.doctor_id)
            if doctor is None:
                continue
            period = PERIODS.get(session.period, Words(session.period, session.period))
            options.append(
                Option(
                    session.session_id,
                    Words(f"{doctor.name} {doctor.title_zh}", f"{doctor.name}, {doctor.title_en}"),
                    Words(
                        f"{period.zh} · 余 {session.places_left} 号",
                        f"{period.en} · {session.places_left} left",
                    ),
                    amount_fen=session.fee_fen,
                    enabled=session.bookable,
                    data=(
                        ("doctor", doctor.name),
                        ("department", department.title.zh),
                        ("room", session.room_zh),
                        ("date", session.date.isoformat()),
                        ("period", str(session.period)),
                    ),
                )
            )
        return tuple(options)

    def _bookings(self, flow: Flow, patient_id: str) -> tuple[Option, ...]:
        today = self._today()
        options = []
        for b in self._client.list_bookings(patient_id, m.BookingStatus.BOOKED):
            if flow is Flow.CHECK_IN and b.date != today:
                continue
            if flow is Flow.CANCEL and not b.cancellable:
                continue
            options.append(self._booking_option(flow, b))
        return tuple(options)

    @staticmethod
    def _booking_option(flow: Flow, b: m.Booking) -> Option:
        period = PERIODS.get(b.period, Words(b.period, b.period))
        refund = b.refund_if_cancelled_fen
        detail = Words(
            f"{b.date:%m-%d} {period.zh} · {b.room_zh}",
            f"{b.date:%d %b} {period.en} · {b.room_en}",
        )
        if flow is Flow.CANCEL:
            detail = Words(
                f"{detail.zh} · 退 {format_fen(refund)}",
                f"{detail.en} · refund {format_fen(refund)}",
            )
        return Option(
            b.booking_id,
            Words(
                f"{b.department_name_zh} {b.doctor_name}",
                f"{b.department_name_en} {b.doctor_name}",
            ),
            detail,
            amount_fen=b.fee_fen,
            data=(("refund_fen", refund), ("booking", b.model_dump(mode="json"))),
        )

    def _charges(self, patient_id: str) -> tuple[Option, ...]:
        return tuple(
            Option(
                c.charge_id,
                Words(c.title_zh, c.title_en),
                Words(c.department_name_zh, c.department_name_en),
                amount_fen=c.amount_fen,
            )
            for c in self._client.list_charges(patient_id)
        )

    def _history(self, patient_id: str) -> tuple[Option, ...]:
        balance = self._client.get_balance(patient_id)
        lines = [
            Option(
                "balance",
                Words("卡内余额", "Card balance"),
                Words(f"截至 {balance.as_of:%H:%M}", f"as of {balance.as_of:%H:%M}"),
                amount_fen=balance.balance_fen,
            )
        ]
        for t in self._client.list_transactions(patient_id, limit=5):
            when = t.at.astimezone(HOSPITAL_TZ)
            lines.append(
                Option(
                    t.transaction_id,
                    Words(t.description_zh, t.description_en),
                    Words(f"{when:%m-%d %H:%M}", f"{when:%d %b %H:%M}"),
                    amount_fen=t.amount_fen,
                )
            )
        return tuple(lines)

    # ---- carrying out the confirmed choice --------------------------------------------

    def carry_out(
        self,
        request: FlowRequest,
        who: rc.Patient,
        card_number: str | None,
        on_pending: Callable[[PaymentView], None],
        stopped: Callable[[], bool],
    ) -> Outcome:
        try:
            match request.flow:
                case Flow.REGISTER | Flow.BOOK:
                    return self._book(request, who, card_number, on_pending, stopped)
                case Flow.PAY:
                    return self._pay(request, who, card_number, on_pending, stopped)
                case Flow.TOP_UP:
                    return self._top_up(request, who, card_number, on_pending, stopped)
                case Flow.CHECK_IN:
                    return self._check_in(request, who, card_number)
                case Flow.CANCEL:
                    return self._cancel(request, who, card_number)
        except CentralError as exc:
            raise _as_flow_error(exc) from exc
        raise FlowError("SERVICE-LIMITED", f"flow {request.flow} has nothing to carry out")

    def stop_payment(self, order_id: str) -> None:
        try:
            self._client.cancel_order(order_id, reason="patient cancelled or left")
        except CentralError as exc:
            log.warning("could not cancel order %s: %s", order_id, exc.operator)

    def _order(
        self,
        request: FlowRequest,
        pay_for: m.PayForBooking | m.PayForCharges | m.PayForTopUp,
        card_number: str | None,
        on_pending: Callable[[PaymentView], None],
        stopped: Callable[[], bool],
    ) -> tuple[LoggedTransaction, m.Order | None]:
        """Write the order to the outbox, send it, and wait for a QR payment to settle."""
        details = {"payment_code": request.payment_code} if request.method == "payment_code" else {}
        payment = m.pay_by(request.method, **details)
        tx_type = {"booking": "registration", "charges": "charges", "top_up": "top_up"}[
            pay_for.purpose
        ]
        if request.flow is Flow.BOOK:
            tx_type = "booking"
        tx = self._log.begin(
            tx_type,
            order_payload(request.patient_id, pay_for, payment),
            amount_fen=request.amount_fen,
            card_number=card_number,
            patient_id=request.patient_id,
        )
        body = m.OrderRequest(
            client_ref=tx.client_ref,
            patient_id=request.patient_id,
            pay_for=pay_for,
            payment=payment,
        )
        try:
            order = self._client.create_order(body, idempotency_key=tx.idempotency_key)
        except CentralError as exc:
            if not exc.outcome_unknown:
                self._log.rejected(tx, exc.code, exc.operator)
                raise
            order = self._look_up(tx)  # may have been applied: ask before telling anyone
            if order is None:
                return tx, None
        if order.status is m.OrderStatus.PENDING_PAYMENT and order.payment.qr_url:
            order = self._await_qr(order, on_pending, stopped)
        return tx, order

    def _look_up(self, tx: LoggedTransaction) -> m.Order | None:
        try:
            return self._client.find_order_by_client_ref(tx.client_ref)
        except CentralError as exc:
            log.warning("order %s outcome unknown: %s", tx.client_ref, exc.operator)
            return None

    def _await_qr(
        self, order: m.Order, on_pending: Callable[[PaymentView], None], stopped: Callable[[], bool]
    ) -> m.Order:
        expires = order.payment.expires_at
        on_pending(
            PaymentView(
                order.order_id,
                order.payment.qr_url or "",
                order.amount_fen,
                expires.isoformat() if expires else "",
            )
        )
        wait_s = 120.0
        if expires is not None:
            wait_s = max(1.0, (expires - dt.datetime.now(dt.UTC)).total_seconds() + QR_GRACE_S)
        order = self._client.wait_for_payment(
            order.order_id, timeout_s=wait_s, poll_s=0.5, should_stop=stopped
        )
        if not order.is_final:
            self.stop_payment(order.order_id)
            order = self._client.get_order(order.order_id)
            if not order.is_final:  # the platform did not cancel it: poll briefly once more
                time.sleep(0.5)
                order = self._client.get_order(order.order_id)
        return order

    def _order_outcome(
        self, flow: Flow, tx: LoggedTransaction, order: m.Order | None, receipt: Callable
    ) -> Outcome:
        if order is None or not order.is_final:
            reference = new_reference("PAYMENT-PENDING")
            log.warning("order %s not settled [%s]", tx.client_ref, reference)
            return _told(flow, "PAYMENT-PENDING", reference)
        answer = order.model_dump(mode="json", include={"order_id", "status"})
        match order.status:
            case m.OrderStatus.FULFILLED:
                self._log.confirmed(tx, answer)
                document = receipt(order, tx)
                return _success(flow, order, document)
            case m.OrderStatus.REFUNDED:
                self._log.confirmed(tx, answer)
                reference = new_reference("PLACE-TAKEN-REFUNDED")
                log.warning("order %s refunded [%s]", order.order_id, reference)
                return _told(flow, "PLACE-TAKEN-REFUNDED", reference, refunded=True)
        code = {
            m.OrderStatus.FAILED: "PAYMENT-FAILED",
            m.OrderStatus.EXPIRED: "PAYMENT-EXPIRED",
            m.OrderStatus.CANCELLED: "PAYMENT-CANCELLED",
        }[order.status]
        self._log.rejected(tx, str(order.status), order.failure.code if order.failure else "")
        reference = new_reference(code)
        log.info("order %s ended %s [%s]", order.order_id, order.status, reference)
        return _told(flow, code, reference)

    def _book(self, request, who, card_number, on_pending, stopped) -> Outcome:
        session = request.pick(Step.SESSIONS)
        assert session is not None
        pay_for = m.PayForBooking(purpose="booking", session_id=session.key)
        tx, order = self._order(request, pay_for, card_number, on_pending, stopped)

        def receipt(order: m.Order, tx: LoggedTransaction):
            appt = _appointment(session, order)
            payment = _payment(request.method, order.amount_fen)
            txn = rc.Transaction(tx.client_ref, order.updated_at)
            build = rc.registration if request.flow is Flow.REGISTER else rc.booking
            return build(self._header, who, appt, payment, txn)

        return self._order_outcome(request.flow, tx, order, receipt)

    def _pay(self, request, who, card_number, on_pending, stopped) -> Outcome:
        pay_for = m.PayForCharges(purpose="charges", charge_ids=list(request.charge_ids))
        tx, order = self._order(request, pay_for, card_number, on_pending, stopped)
        chosen = request.pick(Step.CHARGES)

        def receipt(order: m.Order, tx: LoggedTransaction):
            lines = order.receipt.lines if order.receipt else []
            charges = [
                rc.Charge(f"{line.text_zh} {line.text_en}", line.amount_fen) for line in lines
            ]
            if not charges or sum(c.amount_fen for c in charges) != order.amount_fen:
                title = chosen.title.zh if chosen else "缴费"
                charges = [rc.Charge(title, order.amount_fen)]
            payment = _payment(request.method, order.amount_fen)
            txn = rc.Transaction(tx.client_ref, order.updated_at)
            return rc.fee_payment(self._header, who, charges, payment, txn)

        return self._order_outcome(Flow.PAY, tx, order, receipt)

    def _top_up(self, request, who, card_number, on_pending, stopped) -> Outcome:
        pay_for = m.PayForTopUp(purpose="top_up", amount_fen=request.amount_fen)
        tx, order = self._order(request, pay_for, card_number, on_pending, stopped)

        def receipt(order: m.Order, tx: LoggedTransaction):
            balance = order.receipt.balance_after_fen if order.receipt else None
            payment = _payment(request.method, order.amount_fen)
            txn = rc.Transaction(tx.client_ref, order.updated_at)
            doc = rc.top_up(self._header, who, payment, balance, txn)
            return _with_balance(doc, balance)

        return self._order_outcome(Flow.TOP_UP, tx, order, receipt)

    def _check_in(self, request, who, card_number) -> Outcome:
        chosen = request.pick(Step.BOOKINGS)
        assert chosen is not None
        if request.offline:
            return self._check_in_offline(request, chosen, who, card_number)
        tx = self._log.begin(
            "check_in",
            check_in_payload(chosen.key, None),
            amount_fen=0,
            card_number=card_number,
            patient_id=request.patient_id,
        )
        booking = self._sent(
            tx, lambda: self._client.check_in(chosen.key, idempotency_key=tx.idempotency_key)
        )
        self._log.confirmed(tx, {"booking_id": booking.booking_id, "status": str(booking.status)})
        appt = _booking_appointment(booking)
        txn = rc.Transaction(tx.client_ref, booking.checked_in_at or booking.booked_at)
        document = rc.check_in(self._header, who, appt, txn)
        headline = Words("签到成功", "You are checked in")
        lines = (Words(f"排队号 {appt.queue_number}", f"Queue number {appt.queue_number}"),
                 Words(f"诊室 {booking.room_zh}", f"Room {booking.room_en}"))  # fmt: skip
        return Outcome(Flow.CHECK_IN, True, headline, lines, tx.client_ref, document,
                       receipt_lines(document))  # fmt: skip

    def _sent(self, tx: LoggedTransaction, call: Callable[[], Any]) -> Any:
        """Send; a request that provably never arrived is settled as not done (the row
        would otherwise be sent again later, after the patient was told it failed)."""
        try:
            return call()
        except CentralError as exc:
            if not exc.outcome_unknown:
                self._log.rejected(tx, exc.code, exc.operator)
            raise

    def _check_in_offline(self, request, chosen: Option, who, card_number) -> Outcome:
        """Check-in of a cached appointment, queued for the platform under the offline policy."""
        from kiosk.offline_central import check_in_payload
        from kiosk.offline_policy import OfflineRefused

        booking = m.Booking.model_validate(chosen.get("booking"))
        now = dt.datetime.now(dt.UTC)
        try:
            tx = self._log.begin_offline(
                "check_in",
                check_in_payload(booking.booking_id, now),
                amount_fen=0,
                card_number=card_number,
                patient_id=request.patient_id,
                policy=self._policy,
            )
        except OfflineRefused as exc:
            raise FlowError("SERVICE-LIMITED", f"offline check-in refused: {exc}") from exc
        appt = _booking_appointment(booking)
        document = _pending(
            rc.check_in(self._header, who, appt, rc.Transaction(tx.client_ref, now))
        )
        headline = Words("已签到（待确认）", "Checked in (to be confirmed)")
        lines = (
            Words(f"排队号 {appt.queue_number}", f"Queue number {appt.queue_number}"),
            Words(f"诊室 {booking.room_zh}", f"Room {booking.room_en}"),
            Words("医院系统恢复后自动确认", "Confirmed automatically once the system is back"),
        )
        return Outcome(Flow.CHECK_IN, True, headline, lines, tx.client_ref, document,
                       receipt_lines(document))  # fmt: skip

    def _cancel(self, request, who, card_number) -> Outcome:
        chosen = request.pick(Step.BOOKINGS)
        assert chosen is not None
        tx = self._log.begin(
            "cancel",
            {"booking_id": chosen.key},
            amount_fen=0,
            card_number=card_number,
            patient_id=request.patient_id,
        )
        booking = self._sent(
            tx, lambda: self._client.cancel_booking(chosen.key, idempotency_key=tx.idempotency_key)
        )
        self._log.confirmed(tx, {"booking_id": booking.booking_id, "status": str(booking.status)})
        refund = None
        if booking.refund is not None and booking.refund.amount_fen > 0:
            method = "balance" if booking.refund.method == "card_balance" else booking.refund.method
            method = method if method in rc.PAYMENT_METHODS else "balance"
            refund = rc.Payment(method, booking.refund.amount_fen, confirmed=True)
        txn = rc.Transaction(tx.client_ref, booking.cancelled_at or booking.booked_at)
        document = rc.cancel(self._header, who, _booking_appointment(booking), refund, txn)
        refunded = format_fen(refund.amount_fen) if refund else format_fen(0)
        lines = (Words(f"退款 {refunded}", f"Refund {refunded}"),)
        return Outcome(Flow.CANCEL, True, Words("退号成功", "Your appointment is cancelled"),
                       lines, tx.client_ref, document, receipt_lines(document))  # fmt: skip


# ---- outcomes and receipts ------------------------------------------------------------

SUCCESS_HEADLINES = {
    Flow.REGISTER: Words("挂号成功", "You are registered"),
    Flow.BOOK: Words("预约成功", "Your appointment is booked"),
    Flow.PAY: Words("缴费成功", "Your fees are paid"),
    Flow.TOP_UP: Words("充值成功", "Your card is topped up"),
}


def _success(flow: Flow, order: m.Order, document) -> Outcome:
    lines: list[Words] = []
    booking = order.booking
    if booking is not None and booking.queue_number is not None:
        lines.append(
            Words(f"排队号 {booking.queue_number}", f"Queue number {booking.queue_number}")
        )
        lines.append(Words(f"诊室 {booking.room_zh}", f"Room {booking.room_en}"))
    paid = format_fen(order.amount_fen)
    lines.append(Words(f"已支付 {paid}", f"Paid {paid}"))
    return Outcome(
        flow, True, SUCCESS_HEADLINES[flow], tuple(lines), document.reference, document,
        receipt_lines(document),
    )  # fmt: skip


def _told(flow: Flow, code: str, reference: str, refunded: bool = False) -> Outcome:
    message = patient_message(code)
    return Outcome(flow, False, Words(message.zh, message.en), (), reference, refunded=refunded)


def _payment(method: str, amount_fen: int) -> rc.Payment:
    return rc.Payment("balance" if method == "card_balance" else method, amount_fen, True)


def _appointment(session: Option, order: m.Order) -> rc.Appointment:
    booking = order.booking
    queue = str(booking.queue_number) if booking and booking.queue_number is not None else "-"
    return rc.Appointment(
        department=str(session.get("department", "")),
        doctor=str(session.get("doctor", "")),
        day=dt.date.fromisoformat(str(session.get("date"))),
        session=str(session.get("period", "")),
        room=booking.room_zh if booking else str(session.get("room", "")),
        queue_number=queue,
        fee_fen=session.amount_fen or order.amount_fen,
    )


def _booking_appointment(booking: m.Booking) -> rc.Appointment:
    queue = str(booking.queue_number) if booking.queue_number is not None else "-"
    return rc.Appointment(
        department=booking.department_name_zh,
        doctor=booking.doctor_name,
        day=booking.date,
        session=str(booking.period),
        room=booking.room_zh,
        queue_number=queue,
        fee_fen=booking.fee_fen,
    )


def cash_outcome(total_fen: int, who: rc.Patient, header: rc.Header) -> Outcome:
    """Cash is in the outbox note by note; the receipt says it is credited once confirmed."""
    now = dt.datetime.now(dt.UTC)
    reference = new_reference("CASH")
    payment = rc.Payment("cash", total_fen, confirmed=False)
    document = rc.top_up(header, who, payment, None, rc.Transaction(reference, now))
    paid = format_fen(total_fen)
    lines = (
        Words(f"已存入 {paid}", f"Paid in {paid}"),
        Words("到账后余额更新", "Your balance updates once the hospital confirms"),
    )
    return Outcome(Flow.TOP_UP, True, Words("现金已收", "Cash received"), lines, reference,
                   document, receipt_lines(document))  # fmt: skip


def _pending(document):
    """A receipt never claims more than is known: offline, the status is pending."""
    from drivers.printer.document import KeyValue

    blocks = tuple(
        KeyValue(b.key, "已签到，待确认 checked in, pending confirmation")
        if isinstance(b, KeyValue) and b.key.startswith("状态")
        else b
        for b in document.blocks
    )
    return replace(document, blocks=blocks)


def _with_balance(document, balance: int | None):
    if balance is None:
        return document
    return replace(document, meta={**document.meta, "balance_after_fen": balance})
