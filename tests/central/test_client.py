"""Every call of the contract, through CentralClient, against the real simulator over HTTP."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from central_sim import DEMO_ENROLL_CODE, DEMO_QR_TOKENS
from central_sim.errors import ApiError
from kiosk.central import models as m
from kiosk.central.client import CentralClient
from kiosk.central.errors import Rejected

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZHANG_CARD = ("pboc", "6217000010001234569")


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def bookable_session(client: CentralClient, department_id: str = "D002") -> m.Session:
    sessions = client.list_sessions(
        department_id, today() + dt.timedelta(days=1), today() + dt.timedelta(days=5)
    )
    return next(s for s in sessions if s.bookable and s.places_left >= 2)


def test_ping_proves_the_signature_is_accepted(central_client):
    pong = central_client.ping()
    assert pong.terminal_id == "DEMO-0001"
    assert pong.server_time.utcoffset() is not None


def test_the_demo_cards_find_their_patients(central_client):
    expected = {
        ("pboc", "6217000010001234569"): ("P0001", "张伟", 12850),
        ("pboc", "6217000010007654323"): ("P0002", "LI/NA", 3000),
        ("social_security", "A01234567"): ("P0003", "王芳", 50000),
        ("pboc", "6217000010009998884"): ("P0004", "陈静", 800),
    }
    for (card_type, number), (patient_id, name, balance) in expected.items():
        patient = central_client.lookup_patient_by_card(card_type, number)
        assert (patient.patient_id, patient.name) == (patient_id, name)
        assert number not in patient.card_number_masked
        assert central_client.get_balance(patient_id).balance_fen == balance


def test_patient_display_helpers_mask_the_name(central_client):
    zhang = central_client.lookup_patient_by_card(*ZHANG_CARD)
    assert zhang.name_masked == "张*"
    assert zhang.display_name(masked=False) == "张伟"
    assert "张伟" not in repr(zhang) and "张伟" not in str(zhang)
    assert zhang.id_number_masked.startswith("110") and "19800101" not in zhang.id_number_masked
    li = central_client.lookup_patient_by_card("pboc", "6217000010007654323")
    assert li.name_masked == "L*/N*"
    assert li.id_number_masked == ""


def test_qr_token_finds_the_patient(central_client):
    assert central_client.lookup_patient_by_qr(DEMO_QR_TOKENS["P0003"]).patient_id == "P0003"


def test_unknown_card_is_rejected_with_its_own_code(central_client):
    with pytest.raises(Rejected) as caught:
        central_client.lookup_patient_by_card("pboc", "6217000000000000000")
    assert caught.value.code == "card_not_registered"
    assert caught.value.status == 404 and not caught.value.retryable
    assert "服务台" in caught.value.message_zh and caught.value.message_en


def test_balance_is_integer_fen_with_an_aware_time(central_client):
    balance = central_client.get_balance("P0001")
    assert isinstance(balance.balance_fen, int) and balance.currency == "CNY"
    assert balance.as_of.utcoffset() == dt.timedelta(hours=8)


def test_reference_data_has_the_seeded_shape(central_client):
    hospitals = central_client.list_hospitals()
    assert [h.hospital_id for h in hospitals] == ["H001", "H002", "H003"]
    departments = [d for h in hospitals for d in central_client.list_departments(h.hospital_id)]
    assert len(departments) == 20
    cardiology = departments[0]
    assert (cardiology.name_zh, cardiology.name_en, cardiology.pinyin_initials) == (
        "心血管内科",
        "Cardiology",
        "XXGNK",
    )
    doctors = [doc for d in departments for doc in central_client.list_doctors(d.department_id)]
    assert len(doctors) == 60
    sessions = central_client.list_sessions("D001", today(), today() + dt.timedelta(days=13))
    assert len(sessions) == 3 * 14 * 2
    assert {s.period for s in sessions} == {m.Period.MORNING, m.Period.AFTERNOON}
    assert all(isinstance(s.fee_fen, int) and s.starts_at.tzinfo for s in sessions)
    window = hospitals[0].booking_window_days
    late = [s for s in sessions if s.date > today() + dt.timedelta(days=window)]
    assert late and not any(s.bookable for s in late)
    one = central_client.get_session(sessions[-1].session_id)
    assert one.session_id == sessions[-1].session_id


def test_book_with_card_balance_debits_once_and_gives_a_queue_number(central_client):
    session = bookable_session(central_client)
    before = central_client.get_balance("P0003").balance_fen
    order = central_client.book("P0003", session.session_id, "card_balance", "ref-book-0001")
    assert order.status == m.OrderStatus.FULFILLED
    assert order.booking.queue_number >= 1 and order.booking.room_zh
    assert order.receipt.total_fen == session.fee_fen
    assert order.receipt.patient_name_masked == "王*"
    assert central_client.get_balance("P0003").balance_fen == before - session.fee_fen
    after = central_client.get_session(session.session_id)
    assert after.places_left == session.places_left - 1
    booked = central_client.list_bookings("P0003", status="booked")
    assert order.booking.booking_id in {b.booking_id for b in booked}
    assert central_client.get_booking(order.booking.booking_id).status == m.BookingStatus.BOOKED


def test_not_enough_balance_is_refused_before_anything_is_taken(central_client):
    session = bookable_session(central_client, "D001")  # chief physicians: 5000 fen and more
    with pytest.raises(Rejected) as caught:
        central_client.book("P0004", session.session_id, "card_balance", "ref-poor-0001")
    assert caught.value.code == "insufficient_balance"
    assert central_client.get_balance("P0004").balance_fen == 800
    assert central_client.find_order_by_client_ref("ref-poor-0001") is None


def test_full_session_is_refused(central_client):
    sessions = central_client.list_sessions("D001", today(), today() + dt.timedelta(days=13))
    full = next(s for s in sessions if s.places_left == 0)
    with pytest.raises(Rejected) as caught:
        central_client.book("P0003", full.session_id, "card_balance", "ref-full-0001")
    assert caught.value.code == "session_full"


def test_qr_payment_is_polled_until_paid(central_sim, central_client):
    central_sim.set_faults(qr_pays_after_s=0.3)
    charges = central_client.list_charges("P0001")
    assert len(charges) == 2 and all(c.items for c in charges)
    total = sum(c.amount_fen for c in charges)
    assert total == sum(i.amount_fen for c in charges for i in c.items)
    order = central_client.pay_charges("P0001", [c.charge_id for c in charges], "qr", "ref-qr-0001")
    assert order.status == m.OrderStatus.PENDING_PAYMENT
    assert order.payment.qr_url.startswith(central_sim.url + "/pay/")
    assert order.payment.expires_at > order.created_at
    paid = central_client.wait_for_payment(order.order_id, timeout_s=20, poll_s=0.1)
    assert paid.status == m.OrderStatus.FULFILLED and paid.amount_fen == total
    assert len(paid.receipt.lines) == sum(len(c.items) for c in charges)
    assert central_client.list_charges("P0001") == []
    assert central_client.get_balance("P0001").balance_fen == 12850  # paid by phone, not card


def test_qr_payment_that_never_completes_can_be_cancelled(central_sim, central_client):
    central_sim.set_faults(payment_never_completes=True)
    order = central_client.top_up("P0002", 5000, "qr", "ref-qr-0002")
    waited = central_client.wait_for_payment(order.order_id, timeout_s=0.5, poll_s=0.1)
    assert waited.status == m.OrderStatus.PENDING_PAYMENT
    cancelled = central_client.cancel_order(order.order_id, reason="patient left")
    assert cancelled.status == m.OrderStatus.CANCELLED
    assert central_client.get_balance("P0002").balance_fen == 3000


def test_payment_code_and_decline(central_client):
    ok = central_client.top_up(
        "P0002", 2000, "payment_code", "ref-code-0001", payment_code="134567890123456789"
    )
    assert ok.status == m.OrderStatus.FULFILLED
    assert central_client.get_balance("P0002").balance_fen == 5000
    declined = central_client.top_up(
        "P0002", 2000, "payment_code", "ref-code-0002", payment_code="134567890123450000"
    )
    assert declined.status == m.OrderStatus.FAILED
    assert declined.failure.code == "payment_declined"
    assert central_client.get_balance("P0002").balance_fen == 5000


def test_cash_top_up_and_cash_over_the_amount_goes_to_the_card(central_client):
    order = central_client.top_up("P0004", 10000, "cash", "ref-cash-0001", cash_fen=10000)
    assert order.receipt.balance_after_fen == 10800
    session = bookable_session(central_client, "D003")
    paid = central_client.book(
        "P0004", session.session_id, "cash", "ref-cash-0002", cash_fen=session.fee_fen + 500
    )
    assert paid.payment.excess_credited_fen == 500
    assert central_client.get_balance("P0004").balance_fen == 10800 + 500
    history = central_client.list_transactions("P0004", limit=5)
    assert history[0].at >= history[1].at and all(t.at.tzinfo for t in history)


def test_top_up_from_the_card_balance_is_refused(central_client):
    with pytest.raises(Rejected) as caught:
        central_client.top_up("P0001", 1000, "card_balance", "ref-self-0001")
    assert caught.value.code == "payment_method_not_allowed"


def test_check_in_an_appointment_booked_by_phone(central_client):
    todays = [b for b in central_client.list_bookings("P0003") if b.date == today()]
    assert todays and todays[0].channel == "web"
    checked = central_client.check_in(todays[0].booking_id)
    assert checked.status == m.BookingStatus.CHECKED_IN
    assert checked.queue_number and checked.room_en and checked.checked_in_at.tzinfo
    with pytest.raises(Rejected) as again:
        central_client.check_in(todays[0].booking_id)
    assert again.value.code == "already_checked_in"


def test_check_in_on_another_day_is_refused(central_client):
    later = [b for b in central_client.list_bookings("P0001") if b.date > today()]
    with pytest.raises(Rejected) as caught:
        central_client.check_in(later[0].booking_id)
    assert caught.value.code == "not_today"


def test_cancel_refunds_under_the_hospital_rule(central_client):
    session = bookable_session(central_client)
    order = central_client.book("P0003", session.session_id, "card_balance", "ref-cncl-0001")
    before = central_client.get_balance("P0003").balance_fen
    assert order.booking.cancellable and order.booking.refund_if_cancelled_fen == session.fee_fen
    cancelled = central_client.cancel_booking(order.booking.booking_id, reason="changed plans")
    assert cancelled.status == m.BookingStatus.CANCELLED
    assert cancelled.refund.amount_fen == session.fee_fen
    assert central_client.get_balance("P0003").balance_fen == before + session.fee_fen
    assert central_client.get_session(session.session_id).places_left == session.places_left


def test_heartbeat_reports_reach_the_platform(central_sim, central_client):
    reply = central_client.heartbeat(
        "0.1.0",
        devices=[m.DeviceReport(name="printer", state="user_error", reason="paper out")],
        outbox_depth=4,
        oldest_outbox_age_s=120,
    )
    assert reply.terminal_id == "DEMO-0001" and abs(reply.clock_skew_s) < 60
    seen = central_sim.store.last_heartbeat("DEMO-0001")
    assert seen["outbox_depth"] == 4 and seen["devices"][0]["reason"] == "paper out"


def test_enrollment_gives_a_working_secret_once(central_sim):
    enrolled = CentralClient.enroll(central_sim.url, DEMO_ENROLL_CODE, "LOBBY-0002", "0.1.0")
    assert enrolled.hospital_id == "H001"
    import base64

    secret = base64.b64decode(enrolled.secret_b64)
    with CentralClient(central_sim.url, "LOBBY-0002", secret) as client:
        assert client.ping().terminal_id == "LOBBY-0002"
    with pytest.raises(Rejected) as caught:
        CentralClient.enroll(central_sim.url, DEMO_ENROLL_CODE, "LOBBY-0003")
    assert caught.value.code == "enroll_code_used"
    with pytest.raises(Rejected) as caught:
        CentralClient.enroll(central_sim.url, "NO-SUCH-CODE", "LOBBY-0003")
    assert caught.value.code == "enroll_code_invalid"


def test_client_refuses_to_run_on_the_guarded_thread(central_sim):
    import threading

    from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID

    with (
        CentralClient(
            central_sim.url, DEMO_TERMINAL_ID, DEMO_SECRET, guard_thread=threading.current_thread()
        ) as client,
        pytest.raises(RuntimeError, match="GUI thread"),
    ):
        client.ping()


def test_unpaid_qr_code_expires(central_sim, central_client):
    central_sim.set_faults(payment_never_completes=True, qr_expires_after_s=0.3)
    order = central_client.top_up("P0002", 5000, "qr", "ref-qr-0003")
    final = central_client.wait_for_payment(order.order_id, timeout_s=20, poll_s=0.1)
    assert final.status == m.OrderStatus.EXPIRED and final.payment.status == "expired"
    with pytest.raises(Rejected) as caught:
        central_client.cancel_order(order.order_id)
    assert caught.value.code == "order_not_cancellable"
    assert central_client.get_balance("P0002").balance_fen == 3000


def test_cancel_at_the_childrens_hospital_refunds_80_percent(central_client):
    session = bookable_session(central_client, "D015")
    assert session.hospital_id == "H003"
    order = central_client.book("P0003", session.session_id, "card_balance", "ref-h003-0001")
    assert order.booking.refund_if_cancelled_fen == session.fee_fen * 80 // 100
    cancelled = central_client.cancel_booking(order.booking.booking_id)
    assert cancelled.refund.amount_fen == session.fee_fen * 80 // 100
    assert central_client.get_balance("P0003").balance_fen == 50000 - session.fee_fen // 5


def test_cancel_too_late_under_the_hospital_rule(central_sim, central_client):
    """Checked inside the platform with its clock moved to 1 h before the session (H001
    allows cancelling until 2 h before): moving the clock would break HTTP signatures."""
    session = bookable_session(central_client)
    order = central_client.book("P0003", session.session_id, "card_balance", "ref-late-0003")
    store = central_sim.store
    real_clock = store.clock
    store.clock = lambda: session.starts_at - dt.timedelta(hours=1)
    try:
        with pytest.raises(ApiError) as caught, store.transaction() as db:
            store.cancel_booking(db, order.booking.booking_id)
        assert caught.value.code == "cancel_too_late"
    finally:
        store.clock = real_clock
    assert central_client.get_booking(order.booking.booking_id).status == "booked"


def test_kiosks_racing_for_the_last_place_book_it_once(central_sim):
    from concurrent.futures import ThreadPoolExecutor

    from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID

    with CentralClient(central_sim.url, DEMO_TERMINAL_ID, DEMO_SECRET) as client:
        sessions = client.list_sessions(
            "D001", today() + dt.timedelta(days=1), today() + dt.timedelta(days=6)
        )
        last = next(s for s in sessions if s.places_left == 1 and s.bookable)

        def try_booking(n: int) -> str:
            try:
                order = client.book(
                    f"P{n:04d}", last.session_id, "cash", f"ref-race-{n:04d}", cash_fen=last.fee_fen
                )
                return order.status.value
            except Rejected as exc:
                return exc.code

        with ThreadPoolExecutor(max_workers=6) as pool:
            outcomes = list(pool.map(try_booking, range(5, 11)))
        assert outcomes.count("fulfilled") == 1
        assert set(outcomes) == {"fulfilled", "session_full"}
        assert client.get_session(last.session_id).places_left == 0


def test_enrolling_again_replaces_the_secret(central_sim):
    import base64

    import httpx

    first = CentralClient.enroll(central_sim.url, DEMO_ENROLL_CODE, "LOBBY-0009")
    code = httpx.post(f"{central_sim.url}/admin/enroll-codes").json()["enroll_code"]
    second = CentralClient.enroll(central_sim.url, code, "LOBBY-0009")
    assert second.secret_b64 != first.secret_b64
    old = CentralClient(central_sim.url, "LOBBY-0009", base64.b64decode(first.secret_b64))
    with old, pytest.raises(Rejected) as caught:
        old.ping()
    assert caught.value.code == "signature_invalid"
