"""Idempotency keys, client references and "charged but not booked", through the real server."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
from central_sim.server import start_in_thread
from kiosk.central import models as m
from kiosk.central.client import CentralClient
from kiosk.central.errors import Rejected, Timeout
from kiosk.central.signing import sign_headers

from .test_client import bookable_session, today


def payments_of(client: CentralClient, patient_id: str, order_id: str) -> list[m.Transaction]:
    return [t for t in client.list_transactions(patient_id, limit=100) if t.order_id == order_id]


def bookings_in(client: CentralClient, patient_id: str, session_id: str) -> list[m.Booking]:
    return [b for b in client.list_bookings(patient_id, "booked") if b.session_id == session_id]


def test_same_key_same_body_returns_the_first_result(central_sim, central_client):
    session = bookable_session(central_client)
    first = central_client.book(
        "P0003",
        session.session_id,
        "card_balance",
        "ref-idem-0001",
        idempotency_key="key-idem-0001",
    )
    again = central_client.book(
        "P0003",
        session.session_id,
        "card_balance",
        "ref-idem-0001",
        idempotency_key="key-idem-0001",
    )
    assert again == first
    assert len(bookings_in(central_client, "P0003", session.session_id)) == 1
    assert len(payments_of(central_client, "P0003", first.order_id)) == 1
    assert central_client.get_balance("P0003").balance_fen == 50000 - session.fee_fen


def test_replay_is_marked_and_the_same_key_with_another_body_is_409(central_sim):
    def send(amount: int) -> httpx.Response:
        body = json.dumps(
            {
                "client_ref": "ref-idem-0002",
                "patient_id": "P0002",
                "pay_for": {"purpose": "top_up", "amount_fen": amount},
                "payment": {"method": "cash", "cash_fen": amount},
            }
        ).encode()
        headers = sign_headers(DEMO_SECRET, DEMO_TERMINAL_ID, "POST", "/v1/orders", body)
        headers |= {"Idempotency-Key": "key-idem-0002", "Content-Type": "application/json"}
        return httpx.post(central_sim.url + "/v1/orders", content=body, headers=headers)

    first, again, other = send(1000), send(1000), send(2000)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_a_refusal_is_final_for_its_key(central_client):
    """Same key, same answer, even when the world changed: a retry never turns a refusal
    into a charge the kiosk no longer expects."""
    session = bookable_session(central_client, "D001")
    for _ in range(2):
        with pytest.raises(Rejected) as caught:
            central_client.book("P0004", session.session_id, "card_balance", "ref-idem-0003")
        assert caught.value.code == "insufficient_balance"
        central_client.top_up("P0004", 20000, "cash", f"ref-cash-{_:04d}", cash_fen=20000)
    assert central_client.get_balance("P0004").balance_fen == 800 + 40000


def test_client_ref_names_one_order_only(central_client):
    central_client.top_up("P0002", 1000, "cash", "ref-idem-0004", cash_fen=1000)
    with pytest.raises(Rejected) as caught:
        central_client.top_up(
            "P0002",
            1000,
            "cash",
            "ref-idem-0004",
            cash_fen=1000,
            idempotency_key="another-key-0004",
        )
    assert caught.value.code == "client_ref_reused"
    assert central_client.get_balance("P0002").balance_fen == 4000


def test_keys_survive_a_restart_of_the_platform(tmp_path):
    data = tmp_path / "central.sqlite3"
    with start_in_thread(data_path=data) as first_run:
        client = CentralClient(first_run.url, DEMO_TERMINAL_ID, DEMO_SECRET)
        session = bookable_session(client)
        before = client.book("P0003", session.session_id, "card_balance", "ref-idem-0005")
        client.close()
    with start_in_thread(data_path=data) as second_run:
        client = CentralClient(second_run.url, DEMO_TERMINAL_ID, DEMO_SECRET)
        after = client.book("P0003", session.session_id, "card_balance", "ref-idem-0005")
        assert after == before
        assert client.find_order_by_client_ref("ref-idem-0005") == before
        assert len(bookings_in(client, "P0003", session.session_id)) == 1
        assert client.get_balance("P0003").balance_fen == 50000 - session.fee_fen
        client.close()


def test_timeout_after_the_platform_applied_the_booking(central_sim):
    """The reply is lost after the booking was made; the retry with the same key must not
    book or charge a second time."""
    with CentralClient(central_sim.url, DEMO_TERMINAL_ID, DEMO_SECRET) as setup:
        session = bookable_session(setup)
    central_sim.set_faults(latency_ms=2000)
    hasty = CentralClient(central_sim.url, DEMO_TERMINAL_ID, DEMO_SECRET, timeout_s=0.4)
    with hasty, pytest.raises(Timeout) as caught:
        hasty.book("P0003", session.session_id, "card_balance", "ref-late-0001")
    assert caught.value.outcome_unknown
    key = caught.value.idempotency_key
    central_sim.set_faults()
    with CentralClient(central_sim.url, DEMO_TERMINAL_ID, DEMO_SECRET) as client:
        found = client.find_order_by_client_ref("ref-late-0001")
        assert found is not None and found.status == m.OrderStatus.FULFILLED
        retried = client.book(
            "P0003", session.session_id, "card_balance", "ref-late-0001", idempotency_key=key
        )
        assert retried.order_id == found.order_id
        assert len(bookings_in(client, "P0003", session.session_id)) == 1
        assert len(payments_of(client, "P0003", retried.order_id)) == 1
        assert client.get_balance("P0003").balance_fen == 50000 - session.fee_fen


def test_charged_but_not_booked_gives_the_money_back(central_sim, central_client):
    session = bookable_session(central_client)
    central_sim.set_faults(place_taken_after_payment=True)
    order = central_client.book("P0003", session.session_id, "card_balance", "ref-taken-0001")
    assert order.status == m.OrderStatus.REFUNDED
    assert order.failure.code == "place_taken" and "退回" in order.failure.message_zh
    assert order.refund.amount_fen == session.fee_fen and order.refund.method == "card_balance"
    assert order.booking is None
    assert central_client.get_balance("P0003").balance_fen == 50000
    moves = payments_of(central_client, "P0003", order.order_id)
    assert sorted(t.amount_fen for t in moves) == [-session.fee_fen, session.fee_fen]
    assert bookings_in(central_client, "P0003", session.session_id) == []
    assert central_client.find_order_by_client_ref("ref-taken-0001").status == "refunded"


def test_last_place_taken_while_the_patient_paid_by_phone(central_sim, central_client):
    """A real race: the last place goes to someone else while a QR payment is pending."""
    central_sim.set_faults(payment_never_completes=True)
    sessions = central_client.list_sessions(
        "D001", today() + dt.timedelta(days=1), today() + dt.timedelta(days=6)
    )
    last = next(s for s in sessions if s.places_left == 1 and s.bookable)
    pending = central_client.book("P0001", last.session_id, "qr", "ref-race-0001")
    assert pending.status == m.OrderStatus.PENDING_PAYMENT
    central_client.book("P0003", last.session_id, "card_balance", "ref-race-0002")
    central_sim.set_faults(qr_pays_after_s=0.0)  # now the phone pays
    final = central_client.wait_for_payment(pending.order_id, timeout_s=10, poll_s=0.1)
    assert final.status == m.OrderStatus.REFUNDED and final.failure.code == "place_taken"
    assert final.refund.method == "qr" and final.refund.amount_fen == last.fee_fen
    assert final.receipt.payment_status == "refunded"
    assert bookings_in(central_client, "P0001", last.session_id) == []


def test_payment_after_the_kiosk_gave_up_is_returned(central_sim, central_client):
    central_sim.set_faults(payment_never_completes=True)
    order = central_client.top_up("P0002", 5000, "qr", "ref-late-0002")
    central_client.cancel_order(order.order_id)
    paid_late = httpx.post(f"{central_sim.url}/admin/orders/{order.order_id}/pay").json()
    assert paid_late["status"] == "cancelled"
    assert paid_late["refund"]["amount_fen"] == 5000 and paid_late["refund"]["method"] == "qr"
    assert central_client.get_balance("P0002").balance_fen == 3000


def test_keys_are_kept_30_days_then_forgotten(tmp_path):
    from central_sim.store import Store

    store = Store(tmp_path / "central.sqlite3")
    start = store.now()
    first = m.Ping(status="ok", api_version="1", terminal_id="T", server_time=start)

    def answer(db):
        return first

    store.idempotent("T", "key-kept-0001", "request-hash", answer)
    store.clock = lambda: start + dt.timedelta(days=29, hours=23)
    assert store.idempotent("T", "key-kept-0001", "request-hash", answer)[2] is True
    store.clock = lambda: start + dt.timedelta(days=30, hours=1)
    store.idempotent("T", "key-other-0001", "another-hash", answer)  # housekeeping runs here
    assert store.idempotent("T", "key-kept-0001", "request-hash", answer)[2] is False
    store.close()
