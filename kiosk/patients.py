"""The patient directory the session uses: the platform's card lookup plus the balance.

With a memory (the offline store's cache, through kiosk.flows.ports), what a patient
needs offline is kept on every successful lookup: their masked view and balance for
30 days, and today's appointments until midnight. When the platform cannot be
reached, a patient seen before is recognised with the balance marked "last known".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralError, Rejected, ServerFault, Timeout, Unreachable
from kiosk.central.models import BookingStatus, Patient
from kiosk.core import PatientLookupError
from kiosk.logsetup import mask_name, mask_number
from kiosk.session import PatientView

# platform error codes that mean "this card has no patient record"
_UNKNOWN_PATIENT_CODES = {"patient_not_found", "card_not_found", "not_found"}
HOSPITAL_TZ = ZoneInfo("Asia/Shanghai")
REMEMBER_PATIENT = dt.timedelta(days=30)


def end_of_today() -> dt.datetime:
    today = dt.datetime.now(HOSPITAL_TZ).date()
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), HOSPITAL_TZ)


class CentralPatientDirectory:
    def __init__(self, client: CentralClient, memory: Any = None) -> None:
        self._client = client
        self._memory = memory  # kiosk.flows.ports.TransactionLog, or None: no offline

    def look_up(self, card_type: str, card_number: str) -> PatientView:
        """Called on a network worker thread; raises PatientLookupError, never anything else."""
        return self._view(
            lambda: self._client.lookup_patient_by_card(card_type, card_number),
            mask_number(card_number),
            f"card:{card_type}:{card_number}",
        )

    def look_up_qr(self, token: str) -> PatientView:
        """A patient QR code (electronic health card) instead of a card."""
        return self._view(lambda: self._client.lookup_patient_by_qr(token), "", f"qr:{token}")

    def _view(self, find: Callable[[], Patient], masked_card: str, key: str) -> PatientView:
        try:
            patient = find()
            balance = self._client.get_balance(patient.patient_id)
        except Rejected as exc:
            code = "PATIENT-UNKNOWN" if exc.code in _UNKNOWN_PATIENT_CODES else "SERVICE-LIMITED"
            raise PatientLookupError(code, f"platform rejected lookup: {exc.code}") from exc
        except (Unreachable, Timeout, ServerFault) as exc:
            known = self._recall(key)
            if known is not None:
                return known
            raise PatientLookupError("SERVICE-LIMITED", f"{type(exc).__name__}: {exc}") from exc
        except CentralError as exc:
            raise PatientLookupError("SERVICE-LIMITED", f"{type(exc).__name__}: {exc}") from exc
        view = PatientView(
            display_name=mask_name(patient.name),
            card_type=str(patient.card_type),
            masked_card_number=masked_card or patient.card_number_masked,
            balance_fen=balance.balance_fen,
            balance_as_of=balance.as_of.isoformat(),
            patient_id=patient.patient_id,
        )
        self._remember(key, view)
        return view

    def _remember(self, key: str, view: PatientView) -> None:
        if self._memory is None:
            return
        now = dt.datetime.now(dt.UTC)
        try:
            self._memory.remember("patient", key, asdict(view), now + REMEMBER_PATIENT)
            balance = {"balance_fen": view.balance_fen, "as_of": view.balance_as_of}
            self._memory.remember("balance", view.patient_id, balance, now + REMEMBER_PATIENT)
            today = dt.datetime.now(HOSPITAL_TZ).date()
            bookings = [
                b.model_dump(mode="json")
                for b in self._client.list_bookings(view.patient_id, BookingStatus.BOOKED)
                if b.date == today
            ]
            self._memory.remember("bookings_today", view.patient_id, bookings, end_of_today())
        except Exception as exc:  # the lookup succeeded: a cache failure must not undo it
            import logging

            logging.getLogger(__name__).warning("could not keep offline data: %s", exc)

    def _recall(self, key: str) -> PatientView | None:
        if self._memory is None:
            return None
        found = self._memory.recall("patient", key)
        if found is None:
            return None
        return replace(PatientView(**found[0]), balance_last_known=True)
