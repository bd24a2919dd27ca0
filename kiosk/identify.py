"""Turns card-reader events into session events: the core's view of a card.

The card driver reports what happened at the reader; this module decides what it
means for the patient (an expired card is read fine but cannot be used).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from drivers.card import events as card
from drivers.device import Err
from kiosk import session as s
from kiosk.messages import new_reference, patient_message

log = logging.getLogger(__name__)

HOSPITAL_TZ = ZoneInfo("Asia/Shanghai")

# driver error codes → what the patient is told
_CARD_ERRORS = {
    "card_removed": "CARD-REMOVED",
    "unsupported_card": "CARD-UNSUPPORTED",
}


def _shown(code: str, cause: str) -> s.ShownError:
    reference = new_reference(code)
    log.warning("card not usable [%s]: %s", reference, cause)
    return s.ShownError(patient_message(code), reference)


def _today() -> date:
    return datetime.now(HOSPITAL_TZ).date()


def session_event_for(event: object, today: date | None = None) -> s.Event | None:
    """The session event for a card event, or None when it does not concern the session."""
    match event:
        case card.CardInserted():
            return s.CardInserted()
        case card.CardRemoved():
            return s.CardRemoved()
        case card.CardRead(result=Err() as err):
            code = _CARD_ERRORS.get(err.code, "CARD-READ")
            return s.CardFailed(_shown(code, f"{err.code}: {err.message}"))
        case card.CardRead(result=ok):
            identity = ok.value
            if identity.is_expired(today or _today()):
                return s.CardFailed(_shown("CARD-EXPIRED", f"card expired {identity.expiry}"))
            return s.CardIdentified(str(identity.card_type), identity.card_number)
    return None
