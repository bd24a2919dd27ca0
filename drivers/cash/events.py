"""Bill validator events, decoded from ccTalk's buffered bill events (header 159)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from drivers.device import DeviceState


class BillEventKind(StrEnum):
    ESCROW = "escrow"  # a genuine note is held; the host must stack or return it
    STACKED = "stacked"  # the note is in the cashbox: money taken, to be credited
    RETURNED = "returned"  # the note went back to the patient
    REJECTED = "rejected"  # not accepted (fake, inhibited, unreadable): back to the patient
    FAULT = "fault"  # jam, cashbox trouble, fraud attempt
    STATUS = "status"  # cashbox back in order, master inhibit reported
    RESET = "reset"  # the validator restarted: its counter is 0, its buffer empty
    LOST = "lost"  # more events happened than the buffer holds: some are unknown


@dataclass(frozen=True)
class BillEvent:
    kind: BillEventKind
    counter: int  # the validator's event counter for this event (0 for RESET)
    reason: str  # operator wording
    bill_type: int = 0
    value_fen: int | None = None  # STACKED/ESCROW: the note's value; None if not known
    status_code: int | None = None  # the generic specification's code, when bill_type is 0
    lost: int = 0  # LOST: how many events are unknown


# Code → (kind, operator wording, device state it leaves, or None if the state is unchanged)
STATUS_CODES: dict[int, tuple[BillEventKind, str, DeviceState | None]] = {
    0: (BillEventKind.STATUS, "master inhibit active", None),
    1: (BillEventKind.RETURNED, "note returned from escrow", None),
    2: (BillEventKind.REJECTED, "note rejected: failed validation", None),
    3: (BillEventKind.REJECTED, "note rejected: transport problem", None),
    4: (BillEventKind.REJECTED, "note rejected: not accepted now", None),
    5: (BillEventKind.REJECTED, "note rejected: disabled by switch", None),
    6: (BillEventKind.FAULT, "note jammed in transport (unsafe)", DeviceState.HARDWARE_ERROR),
    7: (BillEventKind.FAULT, "note jammed in stacker", DeviceState.HARDWARE_ERROR),
    8: (BillEventKind.FAULT, "fraud attempt: note pulled back", None),
    9: (BillEventKind.FAULT, "fraud attempt: tamper", None),
    10: (BillEventKind.STATUS, "cashbox OK", DeviceState.READY),
    11: (BillEventKind.FAULT, "cashbox removed", DeviceState.USER_ERROR),
    12: (BillEventKind.STATUS, "cashbox inserted", DeviceState.READY),
    13: (BillEventKind.FAULT, "cashbox faulty", DeviceState.HARDWARE_ERROR),
    14: (BillEventKind.FAULT, "cashbox full", DeviceState.USER_ERROR),
    15: (BillEventKind.FAULT, "cashbox jammed", DeviceState.HARDWARE_ERROR),
    16: (BillEventKind.FAULT, "note jammed in transport", DeviceState.HARDWARE_ERROR),
    17: (BillEventKind.FAULT, "fraud attempt: optical", None),
    18: (BillEventKind.FAULT, "fraud attempt: string", None),
    19: (BillEventKind.FAULT, "anti-string mechanism faulty", DeviceState.HARDWARE_ERROR),
    20: (BillEventKind.REJECTED, "barcode ticket rejected", None),
    # money is in the cashbox but its value is not known: an operator must count it
    21: (BillEventKind.FAULT, "unknown note type stacked", None),
}
