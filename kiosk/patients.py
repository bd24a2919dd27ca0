"""The patient directory the session uses: the platform's card lookup plus the balance."""

from __future__ import annotations

from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralError, Rejected
from kiosk.core import PatientLookupError
from kiosk.logsetup import mask_name, mask_number
from kiosk.session import PatientView

# platform error codes that mean "this card has no patient record"
_UNKNOWN_PATIENT_CODES = {"patient_not_found", "card_not_found", "not_found"}


class CentralPatientDirectory:
    def __init__(self, client: CentralClient) -> None:
        self._client = client

    def look_up(self, card_type: str, card_number: str) -> PatientView:
        """Called on a network worker thread; raises PatientLookupError, never anything else."""
        try:
            patient = self._client.lookup_patient_by_card(card_type, card_number)
            balance = self._client.get_balance(patient.patient_id)
        except Rejected as exc:
            code = "PATIENT-UNKNOWN" if exc.code in _UNKNOWN_PATIENT_CODES else "SERVICE-LIMITED"
            raise PatientLookupError(code, f"platform rejected lookup: {exc.code}") from exc
        except CentralError as exc:
            raise PatientLookupError("SERVICE-LIMITED", f"{type(exc).__name__}: {exc}") from exc
        return PatientView(
            display_name=mask_name(patient.name),
            card_type=card_type,
            masked_card_number=mask_number(card_number),
            balance_fen=balance.balance_fen,
            balance_as_of=balance.as_of.isoformat(),
        )
