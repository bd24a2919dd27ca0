"""Offline cash top-up within the offline policy's single limit, through the pure machine."""

from __future__ import annotations

from dataclasses import replace

from kiosk import session as s
from kiosk.flows import Flow, Health
from tests.flows.test_navigation import ZHANG, run

CACHED_ZHANG = replace(ZHANG, balance_last_known=True)  # recognised from the cache


def offline_home(single_limit_fen: int) -> s.SessionState:
    health = Health(cash=True, offline_single_fen=single_limit_fen)
    state, _ = run(s.SessionState(), s.Configure(tuple(f.value for f in Flow), health))
    state, _ = run(state, s.CardInserted(), s.CardIdentified("pboc", "6217000010001234569"))
    state, _ = run(state, s.PatientFound(state.session_no, CACHED_ZHANG))
    return state


def test_offline_top_up_is_cash_only_and_bounded_by_the_single_limit():
    state = offline_home(single_limit_fen=10000)
    assert not state.health.platform and Flow.TOP_UP in state.offered
    state, _ = run(state, s.ChooseFlow(Flow.TOP_UP))
    enabled = {o.key for o in state.options if o.enabled}
    assert enabled == {"preset-5000", "preset-10000"}  # 200 and 500 yuan are over the limit
    state, _ = run(state, s.Pick("preset-20000"))
    assert state.screen is s.Screen.AMOUNT  # a disabled preset does nothing
    state, _ = run(state, s.SetAmount(15000), s.Next())
    assert state.screen is s.Screen.AMOUNT and state.notice.code == "AMOUNT-OFFLINE-LIMIT"
    state, _ = run(state, s.SetAmount(10000), s.Next())
    assert state.screen is s.Screen.CONFIRM and [o.key for o in state.options] == ["cash"]
    state, effects = run(state, s.Pick("cash"))
    start = next(e for e in effects if isinstance(e, s.StartCashIn))
    assert state.screen is s.Screen.CASH and start.limit_fen == 10000


def test_online_the_offline_limit_does_not_apply():
    state, _ = run(s.SessionState(), s.Configure(("top_up",), Health(offline_single_fen=5000)))
    state, _ = run(state, s.CardInserted(), s.CardIdentified("pboc", "6217000010001234569"))
    state, _ = run(state, s.PatientFound(state.session_no, ZHANG), s.ChooseFlow(Flow.TOP_UP))
    assert all(o.enabled for o in state.options)
    state, _ = run(state, s.SetAmount(15000), s.Next())
    assert state.screen is s.Screen.CONFIRM
