"""Orders on the simulated platform: take the money, do what it pays for, or give it back.
A mixin of Store: `self` is the Store (db, clock, faults, queries, bookings)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3

from central_sim import DEMO_HOSPITAL_ID
from central_sim.bookings import refunds_to_balance
from central_sim.errors import ApiError, conflict, not_found
from kiosk.central import models as m


class OrderRules:
    def order(self, order_id: str) -> m.Order:
        with self.transaction() as db:
            row = db.execute("SELECT data FROM orders WHERE order_id=?", (order_id,)).fetchone()
            if row is None:
                raise not_found("order", "订单")
            return self._advance(db, m.Order.model_validate_json(row[0]))

    def order_by_client_ref(self, terminal_id: str, client_ref: str) -> m.Order:
        with self.transaction() as db:
            row = db.execute(
                "SELECT data FROM orders WHERE terminal_id=? AND client_ref=?",
                (terminal_id, client_ref),
            ).fetchone()
            if row is None:
                raise not_found("order", "订单")
            return self._advance(db, m.Order.model_validate_json(row[0]))

    def _save_order(self, db: sqlite3.Connection, order: m.Order) -> m.Order:
        order = order.model_copy(update={"updated_at": self.now()})
        db.execute(
            "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?)",
            (
                order.order_id,
                order.terminal_id,
                order.client_ref,
                order.status.value,
                order.model_dump_json(),
            ),
        )
        return order

    def _advance(self, db: sqlite3.Connection, order: m.Order) -> m.Order:
        """A QR order moves on by itself: the simulated phone pays, or the code expires."""
        if order.status != m.OrderStatus.PENDING_PAYMENT:
            return order
        now = self.now()
        if order.payment.expires_at and now >= order.payment.expires_at:
            payment = order.payment.model_copy(update={"status": "expired"})
            return self._save_order(
                db, order.model_copy(update={"status": m.OrderStatus.EXPIRED, "payment": payment})
            )
        paid_after = dt.timedelta(seconds=self.faults.qr_pays_after_s)
        if not self.faults.payment_never_completes and now - order.created_at >= paid_after:
            return self.pay_pending(db, order)
        return order

    def pay_pending(self, db: sqlite3.Connection, order: m.Order) -> m.Order:
        """The patient paid a QR order (on the phone, or on the simulator's pay page)."""
        if order.status == m.OrderStatus.PENDING_PAYMENT:
            return self._pay_and_fulfil(db, order)
        if order.status in (m.OrderStatus.CANCELLED, m.OrderStatus.EXPIRED):
            # paid after the kiosk gave up: the platform gives the money straight back
            tx = self._move_money(
                db,
                order.patient_id,
                m.TransactionKind.REFUND,
                order.amount_fen,
                "qr",
                False,
                ("迟到支付原路退回", "Late payment returned"),
                order.order_id,
            )
            refund = m.Refund(
                amount_fen=order.amount_fen,
                currency="CNY",
                method="qr",
                reason="paid_after_cancel",
                refunded_at=self.now(),
                transaction_id=tx.transaction_id,
            )
            return self._save_order(db, order.model_copy(update={"refund": refund}))
        return order

    def create_order(
        self, db: sqlite3.Connection, terminal_id: str, req: m.OrderRequest
    ) -> m.Order:
        taken = db.execute(
            "SELECT 1 FROM orders WHERE terminal_id=? AND client_ref=?",
            (terminal_id, req.client_ref),
        ).fetchone()
        if taken:
            raise conflict(
                "client_ref_reused",
                "交易编号重复，请重新操作。",
                "This client_ref already names another order of this terminal.",
            )
        self.patient(req.patient_id, db)
        amount = self._order_amount(db, req)
        now = self.now()
        order = m.Order(
            order_id=self._new_id("O"),
            client_ref=req.client_ref,
            terminal_id=terminal_id,
            patient_id=req.patient_id,
            purpose=req.purpose,
            status=m.OrderStatus.PENDING_PAYMENT,
            amount_fen=amount,
            currency="CNY",
            payment=m.Payment(
                method=req.payment_method, status="pending", amount_fen=amount, currency="CNY"
            ),
            session_id=req.session_id,
            charge_ids=req.charge_ids or [],
            created_at=now,
            updated_at=now,
        )
        method = req.payment_method
        if method == m.PaymentMethod.QR:
            token = secrets.token_urlsafe(9)
            payment = order.payment.model_copy(
                update={
                    "qr_url": f"{self.public_url}/pay/{order.order_id}?t={token}",
                    "expires_at": now + dt.timedelta(seconds=self.faults.qr_expires_after_s),
                }
            )
            return self._save_order(db, order.model_copy(update={"payment": payment}))
        if method == m.PaymentMethod.PAYMENT_CODE and req.payment_code.endswith("0000"):
            return self._save_order(db, self._declined(order))
        excess = (req.cash_fen - amount) if method == m.PaymentMethod.CASH else 0
        return self._pay_and_fulfil(db, order, cash_excess=excess)

    def _declined(self, order: m.Order) -> m.Order:
        return order.model_copy(
            update={
                "status": m.OrderStatus.FAILED,
                "payment": order.payment.model_copy(update={"status": "failed"}),
                "failure": m.Failure(
                    code="payment_declined",
                    message_zh="支付未成功，未扣款。请换一种支付方式。",
                    message_en="The payment was declined; nothing was taken. Try another way.",
                ),
            }
        )

    def _order_amount(self, db: sqlite3.Connection, req: m.OrderRequest) -> int:
        method = req.payment_method
        if req.purpose == m.Purpose.TOP_UP and method == m.PaymentMethod.CARD_BALANCE:
            raise conflict(
                "payment_method_not_allowed",
                "不能用卡内余额为本卡充值。",
                "A top-up cannot be paid from the card balance itself.",
            )
        if req.purpose == m.Purpose.BOOKING:
            amount = self._bookable_fee(db, req)
        elif req.purpose == m.Purpose.CHARGES:
            amount = self._charges_amount(db, req)
        else:
            amount = req.amount_fen
        if method == m.PaymentMethod.CASH and req.cash_fen < amount:
            raise conflict(
                "cash_short", "投入现金不足。", "The cash taken is less than the amount due."
            )
        if method == m.PaymentMethod.CARD_BALANCE:
            balance = self.patient(req.patient_id, db)["balance_fen"]
            if balance < amount:
                raise conflict(
                    "insufficient_balance",
                    "卡内余额不足，请先充值或选择其他支付方式。",
                    "Not enough money on the card. Top up or choose another way to pay.",
                )
        return amount

    def _bookable_fee(self, db: sqlite3.Connection, req: m.OrderRequest) -> int:
        session = self.session(req.session_id, db)
        same = db.execute(
            "SELECT 1 FROM bookings WHERE patient_id=? AND session_id=? AND status!='cancelled'",
            (req.patient_id, req.session_id),
        ).fetchone()
        if same:
            raise conflict(
                "already_booked", "您已预约该场次。", "You already have a booking for this session."
            )
        if session.places_left <= 0:
            raise conflict("session_full", "该场次已约满。", "This session is fully booked.")
        if not session.bookable:
            raise conflict(
                "session_not_bookable",
                "该场次当前不可预约。",
                "This session cannot be booked now (outside the booking window or over).",
            )
        return session.fee_fen

    def _charges_amount(self, db: sqlite3.Connection, req: m.OrderRequest) -> int:
        if len(set(req.charge_ids)) != len(req.charge_ids):
            raise conflict(
                "charge_listed_twice", "订单内容有误。", "A charge is listed twice in the order."
            )
        total = 0
        for charge_id in req.charge_ids:
            row = db.execute(
                "SELECT * FROM charges WHERE charge_id=? AND patient_id=?",
                (charge_id, req.patient_id),
            ).fetchone()
            if row is None:
                raise not_found("charge", "费用")
            if row["status"] != "unpaid":
                raise conflict(
                    "charge_already_paid", "该费用已缴清。", "This charge has already been paid."
                )
            total += json.loads(row["data"])["amount_fen"]
        return total

    def _pay_and_fulfil(
        self, db: sqlite3.Connection, order: m.Order, cash_excess: int = 0
    ) -> m.Order:
        """Take the money, then do what it pays for; if that fails, give the money back.

        One SQLite transaction: an outside observer sees either nothing, or the final
        state (fulfilled, or refunded with the reason). Never money taken for nothing.
        """
        method = order.payment.method.value
        top_up = order.purpose == m.Purpose.TOP_UP
        tx = self._move_money(
            db,
            order.patient_id,
            m.TransactionKind.TOP_UP if top_up else m.TransactionKind.PAYMENT,
            order.amount_fen if top_up else -order.amount_fen,
            method,
            top_up or method == "card_balance",
            _purpose_text(order.purpose),
            order.order_id,
        )
        if cash_excess > 0:
            self._move_money(
                db,
                order.patient_id,
                m.TransactionKind.TOP_UP,
                cash_excess,
                "cash",
                True,
                ("现金余额存入卡内", "Cash over the amount due, credited to the card"),
                order.order_id,
            )
        payment = order.payment.model_copy(
            update={
                "status": "paid",
                "paid_at": self.now(),
                "transaction_id": tx.transaction_id,
                "excess_credited_fen": max(cash_excess, 0),
            }
        )
        order = order.model_copy(update={"payment": payment})
        try:
            order = self._fulfil(db, order)
        except ApiError as exc:
            order = self._refund(db, order, exc)
        return self._save_order(db, order.model_copy(update={"receipt": self._receipt(db, order)}))

    def _fulfil(self, db: sqlite3.Connection, order: m.Order) -> m.Order:
        if order.purpose == m.Purpose.BOOKING:
            session = self.session(order.session_id, db)
            if self.faults.place_taken_after_payment or session.places_left <= 0:
                raise conflict(
                    "place_taken",
                    "付款期间该号源已被约满，款项已全额原路退回。",
                    "The last place was taken while you paid. The money has been returned.",
                )
            if not session.bookable:
                raise conflict(
                    "session_closed",
                    "付款期间该场次已停止挂号，款项已全额原路退回。",
                    "The session closed while you paid. The money has been returned.",
                )
            booking = self._insert_booking(
                db, order.patient_id, order.session_id, "kiosk", order.order_id, self.now()
            )
            return order.model_copy(
                update={
                    "status": m.OrderStatus.FULFILLED,
                    "booking": self._booking_from(
                        db.execute(
                            "SELECT * FROM bookings WHERE booking_id=?", (booking.booking_id,)
                        ).fetchone()
                    ),
                }
            )
        if order.purpose == m.Purpose.CHARGES:
            for charge_id in order.charge_ids:
                row = db.execute(
                    "SELECT data FROM charges WHERE charge_id=?", (charge_id,)
                ).fetchone()
                charge = {**json.loads(row[0]), "status": "paid", "paid_order_id": order.order_id}
                db.execute(
                    "UPDATE charges SET status='paid', data=? WHERE charge_id=?",
                    (json.dumps(charge, ensure_ascii=False), charge_id),
                )
        return order.model_copy(update={"status": m.OrderStatus.FULFILLED})

    def _refund(self, db: sqlite3.Connection, order: m.Order, why: ApiError) -> m.Order:
        method = order.payment.method.value
        tx = self._move_money(
            db,
            order.patient_id,
            m.TransactionKind.REFUND,
            order.amount_fen,
            method,
            refunds_to_balance(method),
            ("预约失败退款", "Refund: booking could not be made"),
            order.order_id,
        )
        refund = m.Refund(
            amount_fen=order.amount_fen,
            currency="CNY",
            method="card_balance" if refunds_to_balance(method) else method,
            reason=why.code,
            refunded_at=self.now(),
            transaction_id=tx.transaction_id,
        )
        return order.model_copy(
            update={
                "status": m.OrderStatus.REFUNDED,
                "payment": order.payment.model_copy(update={"status": "refunded"}),
                "refund": refund,
                "failure": m.Failure(code=why.code, message_zh=why.zh, message_en=why.en),
            }
        )

    def _receipt(self, db: sqlite3.Connection, order: m.Order) -> m.Receipt:
        patient = self.patient(order.patient_id, db)
        hospital_id = order.booking.hospital_id if order.booking else DEMO_HOSPITAL_ID
        if order.charge_ids:
            row = db.execute(
                "SELECT data FROM charges WHERE charge_id=?", (order.charge_ids[0],)
            ).fetchone()
            hospital_id = json.loads(row[0])["hospital_id"]
        hospital = self.hospital(hospital_id)
        lines = self._receipt_lines(db, order)
        title_zh, title_en = _purpose_text(order.purpose)
        booking = order.booking
        return m.Receipt(
            hospital_name_zh=hospital.name_zh,
            hospital_name_en=hospital.name_en,
            title_zh=title_zh,
            title_en=title_en,
            patient_name_masked=m.mask_person_name(json.loads(patient["data"])["name"]),
            lines=lines,
            total_fen=order.amount_fen,
            currency="CNY",
            payment_method=order.payment.method,
            payment_status=order.payment.status,
            transaction_id=order.payment.transaction_id,
            balance_after_fen=patient["balance_fen"],
            queue_number=booking.queue_number if booking else None,
            room_zh=booking.room_zh if booking else None,
            room_en=booking.room_en if booking else None,
            at=self.now(),
        )

    def _receipt_lines(self, db: sqlite3.Connection, order: m.Order) -> list[m.ReceiptLine]:
        if order.booking:
            b = order.booking
            return [
                m.ReceiptLine(
                    text_zh=f"{b.department_name_zh} {b.doctor_name} {b.doctor_title_zh} "
                    f"{b.date} {'上午' if b.period == 'morning' else '下午'}",
                    text_en=f"{b.department_name_en}, {b.doctor_title_en} {b.doctor_name}, "
                    f"{b.date} {b.period}",
                    amount_fen=b.fee_fen,
                )
            ]
        if order.purpose == m.Purpose.CHARGES:
            lines = []
            for charge_id in order.charge_ids:
                charge = json.loads(
                    db.execute(
                        "SELECT data FROM charges WHERE charge_id=?", (charge_id,)
                    ).fetchone()[0]
                )
                lines += [
                    m.ReceiptLine(
                        text_zh=f"{i['name_zh']} ×{i['quantity']}",
                        text_en=f"{i['name_en']} x{i['quantity']}",
                        amount_fen=i["amount_fen"],
                    )
                    for i in charge["items"]
                ]
            return lines
        zh, en = _purpose_text(order.purpose)
        return [m.ReceiptLine(text_zh=zh, text_en=en, amount_fen=order.amount_fen)]

    def cancel_order(self, db: sqlite3.Connection, order_id: str) -> m.Order:
        row = db.execute("SELECT data FROM orders WHERE order_id=?", (order_id,)).fetchone()
        if row is None:
            raise not_found("order", "订单")
        order = self._advance(db, m.Order.model_validate_json(row[0]))
        if order.status == m.OrderStatus.CANCELLED:
            return order
        if order.status != m.OrderStatus.PENDING_PAYMENT:
            raise conflict(
                "order_not_cancellable",
                "该订单已完成，不能取消。",
                f"The order is already {order.status.value} and cannot be cancelled.",
            )
        payment = order.payment.model_copy(update={"status": "cancelled"})
        return self._save_order(
            db, order.model_copy(update={"status": m.OrderStatus.CANCELLED, "payment": payment})
        )

    def pay_by_id(self, order_id: str) -> m.Order:
        with self.transaction() as db:
            row = db.execute("SELECT data FROM orders WHERE order_id=?", (order_id,)).fetchone()
            if row is None:
                raise not_found("order", "订单")
            return self.pay_pending(db, m.Order.model_validate_json(row[0]))

    def counts(self) -> dict[str, int]:
        tables = (
            "hospitals",
            "departments",
            "doctors",
            "sessions",
            "patients",
            "charges",
            "bookings",
            "orders",
            "transactions",
            "idempotency",
        )
        return {t: self._one(f"SELECT count(*) FROM {t}")[0] for t in tables}


def _purpose_text(purpose: m.Purpose) -> tuple[str, str]:
    return {
        m.Purpose.BOOKING: ("挂号费", "Registration fee"),
        m.Purpose.CHARGES: ("门诊缴费", "Outpatient charges"),
        m.Purpose.TOP_UP: ("就诊卡充值", "Card top-up"),
    }[purpose]
