"""Bookings on the simulated platform: made by orders or elsewhere, checked in, cancelled
under the hospital's rule. A mixin of Store: `self` is the Store (db, clock, queries)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from zoneinfo import ZoneInfo

from central_sim import TIMEZONE
from central_sim.errors import conflict, not_found
from kiosk.central import models as m

TZ = ZoneInfo(TIMEZONE)


class BookingRules:
    def _booking_from(self, row: sqlite3.Row) -> m.Booking:
        booking = m.Booking.model_validate_json(row["data"])
        refund = self._refund_if_cancelled(booking)
        return booking.model_copy(
            update={"cancellable": refund is not None, "refund_if_cancelled_fen": refund or 0}
        )

    def _refund_if_cancelled(self, booking: m.Booking) -> int | None:
        if booking.status != m.BookingStatus.BOOKED:
            return None
        rule = self.hospital(booking.hospital_id).cancel_rule
        limit = booking.starts_at - dt.timedelta(hours=rule.min_hours_before_start)
        if self.now() > limit:
            return None
        return booking.fee_fen * rule.refund_percent // 100

    def _insert_booking(
        self,
        db: sqlite3.Connection,
        patient_id: str,
        session_id: str,
        channel: str,
        order_id: str | None,
        now: dt.datetime,
    ) -> m.Booking:
        row = db.execute("SELECT * FROM sessions WHERE session_id=?", (session_id,)).fetchone()
        session = m.Session.model_validate({**json.loads(row["data"]), "bookable": True})
        department = self.department(session.department_id)
        doctor = self.doctor(session.doctor_id)
        queue = row["next_queue"]
        db.execute(
            "UPDATE sessions SET places_left=max(places_left-1, 0), next_queue=? "
            "WHERE session_id=?",
            (queue + 1, session_id),
        )
        booking = m.Booking(
            booking_id=self._new_id("B"),
            patient_id=patient_id,
            session_id=session_id,
            hospital_id=session.hospital_id,
            department_id=session.department_id,
            department_name_zh=department.name_zh,
            department_name_en=department.name_en,
            doctor_name=doctor.name,
            doctor_title_zh=doctor.title_zh,
            doctor_title_en=doctor.title_en,
            date=session.date,
            period=session.period,
            starts_at=session.starts_at,
            room_zh=session.room_zh,
            room_en=session.room_en,
            fee_fen=session.fee_fen,
            currency="CNY",
            status=m.BookingStatus.BOOKED,
            channel=channel,
            queue_number=queue,
            order_id=order_id,
            booked_at=now,
            cancellable=False,
            refund_if_cancelled_fen=0,
        )
        self._save_booking(db, booking)
        return booking

    def _save_booking(self, db: sqlite3.Connection, booking: m.Booking) -> None:
        db.execute(
            "INSERT OR REPLACE INTO bookings VALUES (?, ?, ?, ?, ?)",
            (
                booking.booking_id,
                booking.patient_id,
                booking.session_id,
                booking.status.value,
                booking.model_dump_json(),
            ),
        )

    def booking(self, booking_id: str, db: sqlite3.Connection | None = None) -> m.Booking:
        row = (
            (db or self.db)
            .execute("SELECT * FROM bookings WHERE booking_id=?", (booking_id,))
            .fetchone()
        )
        if row is None:
            raise not_found("booking", "预约")
        return self._booking_from(row)

    def bookings(self, patient_id: str, status: str | None) -> list[m.Booking]:
        with self.lock:
            self.patient(patient_id)
        sql, args = "SELECT * FROM bookings WHERE patient_id=?", [patient_id]
        if status:
            sql, args = sql + " AND status=?", [*args, status]
        rows = self._all(sql + " ORDER BY json_extract(data, '$.starts_at')", *args)
        return [self._booking_from(r) for r in rows]

    def cancel_booking(self, db: sqlite3.Connection, booking_id: str) -> m.Booking:
        booking = self.booking(booking_id, db)
        if booking.status == m.BookingStatus.CANCELLED:
            return booking
        if booking.status == m.BookingStatus.CHECKED_IN:
            raise conflict(
                "already_checked_in",
                "已签到的预约不能取消。",
                "A checked-in booking cannot be cancelled.",
            )
        refund_fen = self._refund_if_cancelled(booking)
        if refund_fen is None:
            raise conflict(
                "cancel_too_late",
                "已超过本院规定的退号时间，请到服务台咨询。",
                "It is too late to cancel under this hospital's rules. Please ask at the desk.",
            )
        now = self.now()
        refund = None
        method = self._original_method(db, booking.order_id)
        if refund_fen:
            tx = self._move_money(
                db,
                booking.patient_id,
                m.TransactionKind.REFUND,
                refund_fen,
                method,
                refunds_to_balance(method),
                ("退号退款", "Refund of a cancelled booking"),
                booking.order_id,
            )
            refund = m.Refund(
                amount_fen=refund_fen,
                currency="CNY",
                method=tx.method,
                reason="booking_cancelled",
                refunded_at=now,
                transaction_id=tx.transaction_id,
            )
        db.execute(
            "UPDATE sessions SET places_left=places_left+1 WHERE session_id=?",
            (booking.session_id,),
        )
        cancelled = booking.model_copy(
            update={"status": m.BookingStatus.CANCELLED, "cancelled_at": now, "refund": refund}
        )
        self._save_booking(db, cancelled)
        return self._booking_from(
            db.execute("SELECT * FROM bookings WHERE booking_id=?", (booking_id,)).fetchone()
        )

    def _original_method(self, db: sqlite3.Connection, order_id: str | None) -> str:
        if order_id is None:
            return "original_route"  # booked by phone or web: refunded the way it was paid
        row = db.execute("SELECT data FROM orders WHERE order_id=?", (order_id,)).fetchone()
        return json.loads(row[0])["payment"]["method"] if row else "card_balance"

    def check_in(
        self, db: sqlite3.Connection, booking_id: str, at: dt.datetime | None
    ) -> m.Booking:
        booking = self.booking(booking_id, db)
        if booking.status == m.BookingStatus.CANCELLED:
            raise conflict("booking_cancelled", "该预约已取消。", "This booking was cancelled.")
        if booking.status == m.BookingStatus.CHECKED_IN:
            raise conflict("already_checked_in", "您已签到。", "You have already checked in.")
        when = (at or self.now()).astimezone(TZ)
        if when.date() != booking.date:
            raise conflict(
                "not_today",
                "只能在就诊当天签到。",
                "You can check in only on the day of the appointment.",
            )
        checked = booking.model_copy(
            update={"status": m.BookingStatus.CHECKED_IN, "checked_in_at": when}
        )
        self._save_booking(db, checked)
        return self.booking(booking_id, db)


def refunds_to_balance(method: str) -> bool:
    """Card-balance and cash payments come back to the card balance (a kiosk gives no change
    back); QR and payment-code payments go back the way they came."""
    return method in ("card_balance", "cash")
