"""The flows' platform calls against the real simulator over HTTP: each flow carried out,
the outbox written before the call, and the ways money can go wrong told plainly."""

from __future__ import annotations

import threading

import pytest

from kiosk import receipts as rc
from kiosk import session as s
from kiosk.flows import Flow, Step
from kiosk.flows.central import CentralFlows, FlowError
from kiosk.flows.ports import MemoryTransactionLog

HEADER = rc.Header("示范医院 Demo Hospital", "DEMO-0001")
WHO = rc.Patient("张*", "6217000010001234569")


@pytest.fixture
def flows(central_client):
    log = MemoryTransactionLog()
    return CentralFlows(central_client, log, HEADER, "H001"), log


def bookable_session(flows: CentralFlows) -> tuple[s.Option, s.Option]:
    # not the first departments: the simulator seeds bookings there made by phone and web
    for department in flows.options(Flow.REGISTER, Step.DEPARTMENTS, "P0001", ())[4:12]:
        picks = ((Step.DEPARTMENTS, department),)
        for session in flows.options(Flow.REGISTER, Step.SESSIONS, "P0001", picks):
            if session.enabled and (session.amount_fen or 0) <= 5000:
                return department, session
    pytest.skip("no bookable session left today in the simulator's schedule")


def request(flow, method, picks=(), amount=0, charge_ids=(), patient="P0001"):
    return s.FlowRequest(flow, patient, tuple(picks), tuple(charge_ids), amount, method, True)


def carry_out(flows, req, stopped=lambda: False):
    pending: list[s.PaymentView] = []
    outcome = flows.carry_out(req, WHO, WHO.card_number, pending.append, stopped)
    return outcome, pending


def test_registration_with_card_balance_books_and_gives_a_receipt(flows):
    backend, log = flows
    department, session = bookable_session(backend)
    picks = ((Step.DEPARTMENTS, department), (Step.SESSIONS, session))
    outcome, _ = carry_out(
        backend, request(Flow.REGISTER, "card_balance", picks, session.amount_fen)
    )
    assert outcome.success, outcome.headline
    assert any("排队号" in line.zh for line in outcome.lines)
    text = "\n".join(outcome.receipt_text)
    assert "挂号凭条" in text and "张*" in text and "6217000010001234569" not in text
    # the outbox row was written before the call and confirmed after it
    assert [(r.tx_type, r.state) for r in log.rows] == [("registration", "confirmed")]
    assert outcome.reference == log.rows[0].client_ref


def test_qr_payment_is_polled_until_the_phone_pays(flows, central_sim):
    backend, log = flows
    central_sim.set_faults(qr_pays_after_s=0.5)
    outcome, pending = carry_out(backend, request(Flow.TOP_UP, "qr", amount=5000))
    assert pending and pending[0].qr_content and pending[0].amount_fen == 5000
    assert outcome.success and log.rows[0].state == "confirmed"
    assert "充值凭条" in "\n".join(outcome.receipt_text)


def test_qr_payment_expiring_takes_nothing_and_says_so(flows, central_sim):
    backend, log = flows
    central_sim.set_faults(payment_never_completes=True, qr_expires_after_s=2)
    outcome, pending = carry_out(backend, request(Flow.TOP_UP, "qr", amount=5000))
    assert pending and not outcome.success
    assert outcome.reference.startswith("PAYMENT-EXPIRED-")
    assert log.rows[0].state == "rejected"


def test_patient_cancelling_the_qr_cancels_the_order(flows, central_sim):
    backend, _log = flows
    central_sim.set_faults(payment_never_completes=True)
    stop = threading.Event()
    threading.Timer(0.8, stop.set).start()
    outcome, _ = carry_out(backend, request(Flow.TOP_UP, "qr", amount=5000), stop.is_set)
    assert not outcome.success and outcome.reference.startswith("PAYMENT-CANCELLED-")


def test_place_taken_after_payment_ends_with_the_money_back_and_the_patient_told(
    flows, central_sim, central_client
):
    backend, _log = flows
    department, session = bookable_session(backend)
    before = central_client.get_balance("P0001").balance_fen
    central_sim.set_faults(place_taken_after_payment=True)
    picks = ((Step.DEPARTMENTS, department), (Step.SESSIONS, session))
    outcome, _ = carry_out(
        backend, request(Flow.REGISTER, "card_balance", picks, session.amount_fen)
    )
    assert not outcome.success and outcome.refunded
    assert "退回" in outcome.headline.zh and "refunded" in outcome.headline.en
    central_sim.set_faults()
    assert central_client.get_balance("P0001").balance_fen == before


def test_payment_refused_for_a_low_balance_is_a_payment_failure(flows):
    backend, log = flows
    department, session = bookable_session(backend)
    picks = ((Step.DEPARTMENTS, department), (Step.SESSIONS, session))
    expensive = request(Flow.TOP_UP, "card_balance", amount=999_00, patient="P0002")
    pay_for_session = request(
        Flow.REGISTER, "card_balance", picks, session.amount_fen, patient="P0002"
    )
    with pytest.raises(FlowError) as failure:
        for req in (pay_for_session, pay_for_session, expensive):
            carry_out(backend, req)  # LI/NA has ¥30: the balance runs out
    assert failure.value.code in ("PAYMENT-FAILED", "REJECTED")
    assert log.rows[-1].state == "rejected"


def test_outstanding_fees_are_listed_itemised_and_paid(flows):
    backend, _log = flows
    charges = backend.options(Flow.PAY, Step.CHARGES, "P0001", ())
    assert charges and all(c.amount_fen and c.amount_fen > 0 for c in charges)
    chosen = charges[0]
    picks = (
        (Step.CHARGES, s.Option("charges", chosen.title, data=(("charge_ids", (chosen.key,)),))),
    )
    outcome, _ = carry_out(
        backend, request(Flow.PAY, "qr", picks, chosen.amount_fen, charge_ids=(chosen.key,))
    )
    assert outcome.success and "缴费凭条" in "\n".join(outcome.receipt_text)
    assert chosen.key not in [c.key for c in backend.options(Flow.PAY, Step.CHARGES, "P0001", ())]


def test_check_in_and_cancel_of_appointments_booked_elsewhere(flows):
    backend, log = flows
    today = backend.options(Flow.CHECK_IN, Step.BOOKINGS, "P0001", ())
    assert today, "the simulator seeds a phone booking for today"
    picks = ((Step.BOOKINGS, today[0]),)
    outcome, _ = carry_out(backend, request(Flow.CHECK_IN, "none", picks))
    assert outcome.success and "签到凭条" in "\n".join(outcome.receipt_text)
    cancellable = backend.options(Flow.CANCEL, Step.BOOKINGS, "P0003", ())
    if cancellable:
        picks = ((Step.BOOKINGS, cancellable[0]),)
        outcome, _ = carry_out(backend, request(Flow.CANCEL, "none", picks, patient="P0003"))
        assert outcome.success and "退号凭条" in "\n".join(outcome.receipt_text)
    assert [r.state for r in log.rows] == ["confirmed"] * len(log.rows)


def test_balance_and_history_come_from_the_platform(flows):
    backend, _ = flows
    lines = backend.options(Flow.BALANCE, Step.BALANCE, "P0001", ())
    assert lines[0].amount_fen == 12850 and len(lines) > 1


def test_platform_down_is_reported_as_such(flows, central_sim):
    backend, _ = flows
    central_sim.set_faults(down=True)
    with pytest.raises(FlowError) as failure:
        backend.options(Flow.REGISTER, Step.DEPARTMENTS, "P0001", ())
    assert failure.value.platform_down and failure.value.code == "SERVICE-LIMITED"
