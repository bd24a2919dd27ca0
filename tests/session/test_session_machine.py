"""The patient session state machine, without a screen or devices (it is pure)."""

from kiosk import session as s
from kiosk.messages import patient_message

ZHANG = s.PatientView(
    display_name="张*",
    card_type="pboc",
    masked_card_number="6217***********4569",
    balance_fen=12850,
    balance_as_of="2026-11-22T10:42:00+08:00",
)


def run(*events: s.Event, state: s.SessionState | None = None):
    state = state or s.SessionState()
    effects: list = []
    for event in events:
        state, new_effects = s.step(state, event)
        effects.extend(new_effects)
    return state, effects


def identified_session() -> s.SessionState:
    state, _ = run(s.CardInserted(), s.CardIdentified("pboc", "6217000010001234569"))
    state, _ = run(s.PatientFound(state.session_no, ZHANG), state=state)
    return state


def test_card_in_shows_reading_and_asks_the_platform():
    state, effects = run(s.CardInserted(), s.CardIdentified("pboc", "6217000010001234569"))
    assert state.screen is s.Screen.READING
    assert s.LookUpPatient(1, "pboc", "6217000010001234569") in effects
    # the card number goes to the platform only; the state a screen renders never holds it
    assert "6217000010001234569" not in repr(state)


def test_patient_found_greets_with_masked_name_and_balance():
    state = identified_session()
    assert state.screen is s.Screen.GREETING
    assert state.patient == ZHANG


def test_pulling_the_card_forgets_the_patient():
    state, effects = run(s.CardRemoved(), state=identified_session())
    assert state.screen is s.Screen.ATTRACT
    assert state.patient is None and state.error is None
    assert s.DisarmIdleTimer() in effects


def test_idle_timeout_and_finish_end_the_session_like_a_pull():
    for ending in (s.IdleTimeout(), s.Finish()):
        state, _ = run(ending, state=identified_session())
        assert state.screen is s.Screen.ATTRACT and state.patient is None


def test_answer_for_a_previous_card_is_never_shown():
    first, _ = run(s.CardInserted(), s.CardIdentified("pboc", "6217000010001234569"))
    late_answer = s.PatientFound(first.session_no, ZHANG)
    # the card was pulled and another one inserted before the platform answered
    second, _ = run(s.CardRemoved(), s.CardInserted(), state=first)
    state, _ = run(late_answer, state=second)
    assert state.screen is s.Screen.READING
    assert state.patient is None


def test_card_error_shows_a_reference_and_pull_returns_to_attract():
    error = s.ShownError(patient_message("CARD-READ"), "CARD-READ-1A2B")
    state, _ = run(s.CardInserted(), s.CardFailed(error))
    assert state.screen is s.Screen.ERROR and state.error.reference == "CARD-READ-1A2B"
    state, _ = run(s.CardRemoved(), state=state)
    assert state.screen is s.Screen.ATTRACT and state.error is None


def test_idle_warning_then_more_time_hides_the_countdown_and_rearms():
    state, _ = run(s.IdleWarning(), state=identified_session())
    assert state.idle_warning
    state, effects = run(s.UserActivity(), state=state)
    assert not state.idle_warning and s.ArmIdleTimer() in effects
    assert state.screen is s.Screen.GREETING


def test_events_on_the_attract_screen_change_nothing():
    for event in (s.CardRemoved(), s.IdleTimeout(), s.Finish(), s.UserActivity()):
        state, effects = run(event)
        assert state == s.SessionState() and effects == []
