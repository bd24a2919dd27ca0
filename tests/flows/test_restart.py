"""After a crash between writing the outbox and calling the platform, the next start
sends the transaction (same idempotency key) before any new card is read."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
from kiosk.central import models as m
from kiosk.config import load_config
from kiosk.flows.ports import OutboxTransactionLog
from kiosk.offline_central import order_payload
from kiosk.offline_secret import open_offline_store
from kiosk.services import KioskServices
from offline_store import State


def test_interrupted_registration_is_completed_at_the_next_start(
    central_sim, central_client, tmp_path
):
    config = load_config(
        overrides={
            "terminal": {"id": DEMO_TERMINAL_ID},
            "central": {"url": central_sim.url},
            "devices": {"card_reader": {"backend": "inprocess"}},
            "paths": {"data_dir": str(tmp_path)},
        }
    )
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    sessions = [
        session
        for department in central_client.list_departments("H001")[4:10]
        for session in central_client.list_sessions(department.department_id, today)
        if session.bookable and session.fee_fen <= 5000
    ]
    if not sessions:
        pytest.skip("no bookable session left today in the simulator's schedule")
    pay_for = m.PayForBooking(purpose="booking", session_id=sessions[0].session_id)
    log = OutboxTransactionLog(lambda: open_offline_store(config))
    tx = log.begin(
        "registration",
        order_payload("P0001", pay_for, m.pay_by("card_balance")),
        amount_fen=sessions[0].fee_fen,
        card_number="6217000010001234569",
        patient_id="P0001",
    )
    log.close()  # the kiosk dies here: written, never sent
    assert central_client.find_order_by_client_ref(tx.client_ref) is None

    secret = DEMO_SECRET if isinstance(DEMO_SECRET, bytes) else DEMO_SECRET.encode()
    services = KioskServices(config, secret)
    try:
        assert services.reconcile_interrupted(timeout_s=20)
    finally:
        services.transactions.close()
    order = central_client.find_order_by_client_ref(tx.client_ref)
    assert order is not None and order.status is m.OrderStatus.FULFILLED
    with open_offline_store(config) as store:
        assert store.outbox.status_of(tx.client_ref) is State.CONFIRMED
