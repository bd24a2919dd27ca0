"""Every flow's navigation map, walked through the pure session machine (no screen,
no devices, no network): steps, Back, Home, the ways out, and what is offered."""

from __future__ import annotations

import pytest

from kiosk import session as s
from kiosk.flows import MAPS, Flow, Health, Step, offered_flows
from kiosk.messages import Words

ZHANG = s.PatientView(
    "张*", "pboc", "6217***********4569", 12850, "2026-11-22T10:42:00+08:00", "P0001"
)


def opt(key: str, amount: int | None = None, **data) -> s.Option:
    return s.Option(key, Words(key, key), amount_fen=amount, data=tuple(data.items()))


STEP_OPTIONS = {
    Step.DEPARTMENTS: (opt("D01"), opt("D02")),
    Step.DAYS: (opt("2026-11-24"),),
    Step.SESSIONS: (opt("S1", 1500), s.Option("S-FULL", Words("x", "x"), enabled=False)),
    Step.BOOKINGS: (opt("B1", 1500, refund_fen=1500),),
    Step.CHARGES: (opt("C1", 3000), opt("C2", 4550)),
    Step.BALANCE: (opt("balance", 12850),),
}


def run(state: s.SessionState, *events: s.Event):
    effects: list = []
    for event in events:
        state, new = s.step(state, event)
        effects.extend(new)
    return state, effects


def home(health: Health | None = None) -> s.SessionState:
    health = health or Health()
    state, _ = run(s.SessionState(), s.Configure(tuple(f.value for f in Flow), health))
    state, _ = run(state, s.CardInserted(), s.CardIdentified("pboc", "6217000010001234569"))
    state, _ = run(state, s.PatientFound(state.session_no, ZHANG))
    return state


def loaded(state: s.SessionState) -> s.SessionState:
    """Answer the load the machine asked for, as the core would."""
    step = Step(state.screen.value)
    state, _ = run(state, s.OptionsLoaded(state.session_no, step, STEP_OPTIONS[step]))
    return state


def test_same_day_registration_is_four_taps_from_home_and_submits_once():
    state = home()
    assert state.screen is s.Screen.HOME and Flow.REGISTER in state.offered
    taps = 0
    state, effects = run(state, s.ChooseFlow(Flow.REGISTER))
    taps += 1
    assert state.screen is s.Screen.DEPARTMENTS and state.loading
    assert isinstance(effects[0], s.LoadOptions) and effects[0].patient_id == "P0001"
    state, _ = run(loaded(state), s.Pick("D01"))
    taps += 1
    assert state.screen is s.Screen.SESSIONS
    state, _ = run(loaded(state), s.Pick("S-FULL"))  # a full session cannot be chosen
    assert state.screen is s.Screen.SESSIONS
    state, _ = run(state, s.Pick("S1"))
    taps += 1
    assert state.screen is s.Screen.CONFIRM and state.amount_fen == 1500
    assert [o.key for o in state.options] == ["card_balance", "qr"]
    state, effects = run(state, s.Pick("card_balance"))
    taps += 1
    assert state.screen is s.Screen.WORKING
    submits = [e for e in effects if isinstance(e, s.Submit)]
    assert len(submits) == 1 and submits[0].request.method == "card_balance"
    assert submits[0].request.pick(Step.SESSIONS).key == "S1"
    assert taps <= 5  # the brief's goal, counted from the home screen after the card


@pytest.mark.parametrize("flow", list(Flow))
def test_back_walks_each_map_backwards_to_home(flow):
    state, _ = run(home(), s.ChooseFlow(flow))
    visited = []
    for step in MAPS[flow].steps:
        assert state.screen.value == step.value
        visited.append(step)
        if step in STEP_OPTIONS:
            state = loaded(state)
        if step is Step.CHARGES:
            state, _ = run(state, s.Toggle("C1"), s.Next())
        elif step is Step.AMOUNT:
            state, _ = run(state, s.SetAmount(10000), s.Next())
        elif step in (Step.CONFIRM, Step.BALANCE, Step.RECEIPTS):
            break
        else:
            state, _ = run(state, s.Pick(STEP_OPTIONS[step][0].key))
    for step in reversed(visited):
        assert state.screen.value == step.value
        state, _ = run(state, s.Back())
        if state.screen.value in STEP_OPTIONS:
            state = loaded(state)
    assert state.screen is s.Screen.HOME and state.flow is None and state.picks == ()


@pytest.mark.parametrize("ending", [s.CardRemoved(), s.IdleTimeout(), s.Finish()])
@pytest.mark.parametrize("flow", list(Flow))
def test_every_flow_ends_from_any_step_with_nothing_kept(flow, ending):
    state, _ = run(home(), s.ChooseFlow(flow))
    state, effects = run(state, ending)
    assert state.screen is s.Screen.ATTRACT
    assert state.patient is None and state.options == () and state.picks == ()
    assert s.DisarmIdleTimer() in effects


def test_an_answer_for_an_ended_session_is_never_shown():
    state, _ = run(home(), s.ChooseFlow(Flow.PAY))
    old = state.session_no
    state, _ = run(state, s.CardRemoved(), s.CardInserted())
    state, _ = run(state, s.OptionsLoaded(old, Step.CHARGES, STEP_OPTIONS[Step.CHARGES]))
    assert state.options == () and state.screen is s.Screen.READING


def test_charges_are_chosen_one_by_one_and_the_total_is_theirs():
    state, _ = run(home(), s.ChooseFlow(Flow.PAY))
    state = loaded(state)
    state, _ = run(state, s.Next())  # nothing chosen: nothing happens
    assert state.screen is s.Screen.CHARGES
    state, _ = run(state, s.Toggle("C1"), s.Toggle("C2"), s.Toggle("C1"), s.Next())
    assert state.screen is s.Screen.CONFIRM and state.amount_fen == 4550
    state, effects = run(state, s.Pick("qr"))
    assert effects[0].request.charge_ids == ("C2",)


def test_top_up_amount_must_be_sensible_and_cannot_pay_from_the_balance():
    state, _ = run(home(), s.ChooseFlow(Flow.TOP_UP))
    state, _ = run(state, s.SetAmount(50), s.Next())
    assert state.screen is s.Screen.AMOUNT and state.notice.code == "AMOUNT-INVALID"
    state, _ = run(state, s.Pick("preset-10000"))
    assert state.screen is s.Screen.CONFIRM and state.amount_fen == 10000
    assert [o.key for o in state.options] == ["qr"]


def test_balance_too_low_offers_only_the_qr_code():
    poor = s.PatientView(
        "李*", "pboc", "6217***********4323", 1000, "2026-11-22T10:42:00+08:00", "P2"
    )
    state, _ = run(home(), s.Finish(), s.CardInserted())
    state, _ = run(state, s.PatientFound(state.session_no, poor), s.ChooseFlow(Flow.REGISTER))
    state, _ = run(loaded(state), s.Pick("D01"))
    state, _ = run(loaded(state), s.Pick("S1"))
    assert [o.key for o in state.options] == ["qr"]


def test_qr_payment_runs_on_its_own_expiry_and_back_cancels_it():
    state, _ = run(home(), s.ChooseFlow(Flow.TOP_UP), s.Pick("preset-5000"), s.Pick("qr"))
    payment = s.PaymentView("O1", "https://pay.example/O1", 5000, "2026-11-22T10:45:00+08:00")
    state, effects = run(state, s.PaymentPending(state.session_no, payment))
    assert state.screen is s.Screen.PAYMENT_QR and s.DisarmIdleTimer() in effects
    _, effects = run(state, s.UserActivity())
    assert s.ArmIdleTimer() not in effects
    cancelled, effects = run(state, s.Back())
    assert cancelled.screen is s.Screen.WORKING and s.StopPayment("O1") in effects
    pulled, effects = run(state, s.CardRemoved())
    assert pulled.screen is s.Screen.ATTRACT and s.StopPayment("O1") in effects


def test_home_and_back_are_refused_while_money_is_moving():
    state, _ = run(home(), s.ChooseFlow(Flow.TOP_UP), s.Pick("preset-5000"), s.Pick("qr"))
    for event in (s.Home(), s.Back(), s.ChooseFlow(Flow.PAY)):
        after, effects = run(state, event)
        assert after.screen is s.Screen.WORKING and effects == []


def test_printer_out_of_paper_before_payment_returns_to_confirm_with_a_plain_note():
    state, _ = run(home(), s.ChooseFlow(Flow.TOP_UP), s.Pick("preset-5000"), s.Pick("qr"))
    state, _ = run(state, s.PrinterUnavailable(state.session_no))
    assert state.screen is s.Screen.CONFIRM and state.notice.code == "PRINTER-UNAVAILABLE"
    assert not state.health.printer
    state, effects = run(state, s.Pick("qr"))
    assert effects[0].request.print_receipt is False  # the receipt goes on screen instead


def test_completed_flow_prints_then_shows_done_and_can_be_reprinted():
    state, _ = run(home(), s.ChooseFlow(Flow.TOP_UP), s.Pick("preset-5000"), s.Pick("qr"))
    outcome = s.Outcome(Flow.TOP_UP, True, Words("充值成功", "Topped up"), reference="K-1",
                        document=object(), receipt_text=("line",))  # fmt: skip
    state, effects = run(state, s.FlowCompleted(state.session_no, outcome))
    assert (
        state.screen is s.Screen.PRINTING and s.PrintReceipt(state.session_no, outcome) in effects
    )
    state, _ = run(state, s.ReceiptPrinted(state.session_no, ok=False))
    assert state.screen is s.Screen.DONE and state.notice.code == "PRINT-FAILED"
    state, _ = run(state, s.Home())
    assert Flow.REPRINT not in state.offered  # the printer just failed


def test_refund_after_payment_is_told_not_hidden():
    state, _ = run(home(), s.ChooseFlow(Flow.REGISTER))
    state, _ = run(loaded(state), s.Pick("D01"))
    state, _ = run(loaded(state), s.Pick("S1"), s.Pick("qr"))
    told = s.Outcome(Flow.REGISTER, False, Words("退回", "refunded"), reference="PLACE-1",
                     refunded=True)  # fmt: skip
    state, effects = run(state, s.FlowCompleted(state.session_no, told))
    assert state.screen is s.Screen.DONE and state.outcome.refunded
    assert not any(isinstance(e, s.PrintReceipt) for e in effects)


def test_device_health_decides_what_home_offers():
    everything = tuple(f.value for f in Flow)
    assert offered_flows(everything, Health()) == tuple(Flow)
    assert Flow.REPRINT not in offered_flows(everything, Health(printer=False))
    offline = offered_flows(everything, Health(platform=False))
    assert offline == (Flow.CHECK_IN, Flow.BALANCE, Flow.REPRINT)
    with_cash = offered_flows(everything, Health(platform=False, cash=True))
    assert Flow.TOP_UP in with_cash
    assert offered_flows(("register",), Health()) == (Flow.REGISTER,)


def test_platform_down_shows_a_banner_and_home_narrows_the_offer():
    state = home()
    state, _ = run(state, s.HealthChanged(platform=False))
    assert state.banner is not None and state.banner.code == "OFFLINE"
    assert Flow.REGISTER not in state.offered
    state, _ = run(state, s.ChooseFlow(Flow.REGISTER))
    assert state.screen is s.Screen.HOME  # a flow not offered cannot be started


def test_a_patient_qr_code_starts_a_session_only_where_a_scanner_is_fitted():
    state, effects = run(s.SessionState(), s.QrPresented("EHC1:P0003:ABCDEF"))
    assert state.screen is s.Screen.ATTRACT and effects == []
    fitted, _ = run(s.SessionState(), s.Configure(("register",), Health(scanner=True)))
    state, effects = run(fitted, s.QrPresented("EHC1:P0003:ABCDEF"))
    assert state.screen is s.Screen.READING
    assert s.LookUpPatientByQr(state.session_no, "EHC1:P0003:ABCDEF") in effects
    assert "EHC1" not in repr(state)  # the token goes to the platform only
    state, _ = run(state, s.QrPresented("EHC1:P0001:000000"))  # a second scan mid-session
    assert state.session_no == 1


def test_no_idle_timeout_while_money_moves_and_it_comes_back_after():
    state, _ = run(home(), s.ChooseFlow(Flow.TOP_UP), s.Pick("preset-5000"))
    state, effects = run(state, s.Pick("qr"))
    assert s.DisarmIdleTimer() in effects
    _, effects = run(state, s.UserActivity())
    assert s.ArmIdleTimer() not in effects
    done = s.Outcome(Flow.TOP_UP, False, Words("x", "x"), reference="PAYMENT-FAILED-1")
    state, effects = run(state, s.FlowCompleted(state.session_no, done))
    assert state.screen is s.Screen.DONE and s.ArmIdleTimer() in effects


def test_payment_code_waits_for_the_scan_and_back_returns_to_confirm():
    fitted = home(Health(scanner=True))
    state, _ = run(fitted, s.ChooseFlow(Flow.TOP_UP), s.Pick("preset-5000"))
    assert "payment_code" in [o.key for o in state.options]
    state, effects = run(state, s.Pick("payment_code"))
    assert state.screen is s.Screen.SCAN_CODE and effects == []
    back, _ = run(state, s.Back())
    assert back.screen is s.Screen.CONFIRM
    state, effects = run(state, s.PaymentCodeScanned("134567890123456789"))
    submit = next(e for e in effects if isinstance(e, s.Submit))
    assert submit.request.method == "payment_code"
    assert submit.request.payment_code == "134567890123456789"
    assert "134567890123456789" not in repr(state) + repr(submit)


def test_cash_top_up_takes_notes_until_done_and_a_pull_keeps_what_was_stacked():
    state, _ = run(home(Health(cash=True)), s.ChooseFlow(Flow.TOP_UP), s.Pick("preset-10000"))
    assert "cash" in [o.key for o in state.options]
    state, effects = run(state, s.Pick("cash"))
    assert state.screen is s.Screen.CASH
    assert s.StartCashIn(state.session_no, "P0001", 10000) in effects
    state, _ = run(state, s.CashCredited(state.session_no, 5000))
    assert state.cash_in_fen == 5000
    after_back, _ = run(state, s.Back())
    assert after_back.screen is s.Screen.CASH  # a stacked note cannot be handed back
    pulled, effects = run(state, s.CardRemoved())
    assert pulled.screen is s.Screen.ATTRACT and s.EndCashIn(state.session_no) in effects
    state, effects = run(state, s.Next())
    assert state.screen is s.Screen.WORKING and s.EndCashIn(state.session_no) in effects
