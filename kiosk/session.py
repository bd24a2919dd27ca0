"""The patient session as a pure state machine: `step(state, event) -> (state, effects)`.

No I/O and no clock here: the core loop (kiosk/core.py) feeds events in and carries
out the effects (ask the platform, arm the idle timer). Every async answer carries
the session number it was asked for, so an answer that arrives after the card was
pulled is ignored instead of showing one patient's data to the next.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from kiosk.messages import PatientMessage


class Screen(StrEnum):
    ATTRACT = "attract"  # "please insert your card"
    READING = "reading"  # card in, reading it and looking the patient up
    GREETING = "greeting"  # patient identified: masked name and balance
    ERROR = "error"  # a calm message with a reference; Finish or pulling the card ends it


@dataclass(frozen=True)
class PatientView:
    """Only what the screens may show: already masked, money in integer fen."""

    display_name: str
    card_type: str
    masked_card_number: str
    balance_fen: int
    balance_as_of: str  # ISO 8601 with offset, from the platform


@dataclass(frozen=True)
class ShownError:
    message: PatientMessage
    reference: str


@dataclass(frozen=True)
class SessionState:
    screen: Screen = Screen.ATTRACT
    session_no: int = 0  # increases with every new session; stale answers are dropped
    patient: PatientView | None = None
    error: ShownError | None = None
    idle_warning: bool = False  # the countdown with "I need more time" is showing


# ---- events -----------------------------------------------------------------


@dataclass(frozen=True)
class CardInserted:
    pass


@dataclass(frozen=True)
class CardIdentified:
    card_type: str
    card_number: str  # unmasked: goes to the platform only, never into the state


@dataclass(frozen=True)
class CardFailed:
    error: ShownError


@dataclass(frozen=True)
class PatientFound:
    session_no: int
    patient: PatientView


@dataclass(frozen=True)
class LookupFailed:
    session_no: int
    error: ShownError


@dataclass(frozen=True)
class CardRemoved:
    pass


@dataclass(frozen=True)
class IdleWarning:
    pass


@dataclass(frozen=True)
class IdleTimeout:
    pass


@dataclass(frozen=True)
class UserActivity:
    """Any tap: pushes the idle deadline back and hides the countdown."""


@dataclass(frozen=True)
class Finish:
    pass


Event = (
    CardInserted
    | CardIdentified
    | CardFailed
    | PatientFound
    | LookupFailed
    | CardRemoved
    | IdleWarning
    | IdleTimeout
    | UserActivity
    | Finish
)

# ---- effects ----------------------------------------------------------------


@dataclass(frozen=True)
class LookUpPatient:
    session_no: int
    card_type: str
    card_number: str


@dataclass(frozen=True)
class ArmIdleTimer:
    pass


@dataclass(frozen=True)
class DisarmIdleTimer:
    pass


Effect = LookUpPatient | ArmIdleTimer | DisarmIdleTimer

_IN_SESSION = (Screen.READING, Screen.GREETING, Screen.ERROR)


def _end_session(state: SessionState) -> tuple[SessionState, list[Effect]]:
    """Back to the attract screen with nothing of the patient kept."""
    return SessionState(session_no=state.session_no), [DisarmIdleTimer()]


def step(state: SessionState, event: Event) -> tuple[SessionState, list[Effect]]:
    match event:
        case CardInserted():
            fresh = SessionState(screen=Screen.READING, session_no=state.session_no + 1)
            return fresh, [ArmIdleTimer()]
        case CardIdentified(card_type, card_number) if state.screen is Screen.READING:
            return state, [LookUpPatient(state.session_no, card_type, card_number)]
        case CardFailed(error) if state.screen is Screen.READING:
            return replace(state, screen=Screen.ERROR, error=error), [ArmIdleTimer()]
        case PatientFound(session_no, patient) if _current(state, session_no):
            return replace(state, screen=Screen.GREETING, patient=patient), [ArmIdleTimer()]
        case LookupFailed(session_no, error) if _current(state, session_no):
            return replace(state, screen=Screen.ERROR, error=error), [ArmIdleTimer()]
        case CardRemoved() | IdleTimeout() | Finish() if state.screen in _IN_SESSION:
            return _end_session(state)
        case IdleWarning() if state.screen in _IN_SESSION:
            return replace(state, idle_warning=True), []
        case UserActivity() if state.screen in _IN_SESSION:
            return replace(state, idle_warning=False), [ArmIdleTimer()]
    return state, []


def _current(state: SessionState, session_no: int) -> bool:
    return state.screen is Screen.READING and session_no == state.session_no
