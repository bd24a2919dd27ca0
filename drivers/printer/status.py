"""ESC/POS real-time status (DLE EOT n) as three-way facts.

Each query `10 04 n` is answered by exactly one byte whose fixed bits are
`0xx1xx10`. Anything else (no byte, two bytes, wrong fixed bits) is *unknown*,
never "no paper" or "offline" (python-escpos' own reading conflates them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drivers.device import DeviceState, Fact

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 3, 4)  # printer, offline cause, error cause, roll paper sensor
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12


def query(n: int) -> bytes:
    return DLE_EOT + bytes([n])


def valid_reply(reply: bytes) -> bool:
    return len(reply) == 1 and reply[0] & _FIXED_MASK == _FIXED_BITS


def _bit(reply: bytes | None, mask: int) -> Fact:
    """GOOD when the "bad" bits are clear, BAD when all set, UNKNOWN without a valid reply."""
    if reply is None or not valid_reply(reply):
        return Fact.UNKNOWN
    return Fact.BAD if reply[0] & mask == mask else Fact.GOOD


@dataclass(frozen=True)
class PrinterStatus:
    """Decoded real-time status. `replies` maps n to the raw reply (None: not asked)."""

    online: Fact
    cover_closed: Fact
    paper: Fact  # GOOD: paper present; BAD: paper end
    paper_near_end: Fact  # BAD: near-end sensor tripped
    cutter: Fact
    unrecoverable: Fact  # BAD: an unrecoverable error (n=3 bit 5) or error bit (n=2 bit 6)

    @property
    def paper_level(self) -> str:
        if self.paper is Fact.BAD:
            return "out"
        if self.paper in (Fact.UNKNOWN, Fact.NOT_SUPPORTED):
            return self.paper.value
        return "near_end" if self.paper_near_end is Fact.BAD else "adequate"

    def facts(self) -> Mapping[str, Fact | str]:
        return {
            "online": self.online,
            "cover_closed": self.cover_closed,
            "paper": self.paper,
            "paper_near_end": self.paper_near_end,
            "paper_level": self.paper_level,
            "cutter": self.cutter,
            "no_hardware_error": self.unrecoverable,
        }

    def state(self) -> tuple[DeviceState, str]:
        """The device state and an operator sentence, most actionable cause first."""
        if self.cutter is Fact.BAD:
            return DeviceState.HARDWARE_ERROR, "cutter error: clear the cutter and power-cycle"
        if self.unrecoverable is Fact.BAD:
            return DeviceState.HARDWARE_ERROR, "printer reports a hardware error"
        if self.paper is Fact.BAD:
            return DeviceState.USER_ERROR, "paper out: load a new roll"
        if self.cover_closed is Fact.BAD:
            return DeviceState.USER_ERROR, "cover open: close the printer cover"
        if self.online is Fact.BAD:
            return DeviceState.OFFLINE, "printer reports it is offline"
        if Fact.UNKNOWN in (self.online, self.paper):
            return DeviceState.UNKNOWN, "connected, but the printer did not answer status queries"
        if self.paper_near_end is Fact.BAD:
            return DeviceState.READY, "paper near end: change the roll soon"
        return DeviceState.READY, "ready"


def decode(replies: Mapping[int, bytes | None]) -> PrinterStatus:
    """Decode the replies to DLE EOT 1..4 (bit meanings from the ESC/POS reference)."""
    r1, r2, r3, r4 = (replies.get(n) for n in QUERIES)
    paper = _bit(r4, 0x60)
    if paper is Fact.UNKNOWN:  # n=2 bit 5: printing stopped at paper end
        paper = _bit(r2, 0x20)
    errors = [_bit(r2, 0x40), _bit(r3, 0x20)]
    unrecoverable = Fact.BAD if Fact.BAD in errors else min(errors, key=_rank)
    return PrinterStatus(
        online=_bit(r1, 0x08),
        cover_closed=_bit(r2, 0x04),
        paper=paper,
        paper_near_end=_bit(r4, 0x0C),
        cutter=_bit(r3, 0x08),
        unrecoverable=unrecoverable,
    )


def _rank(fact: Fact) -> int:
    return 0 if fact is Fact.UNKNOWN else 1


NOT_SUPPORTED = PrinterStatus(*(Fact.NOT_SUPPORTED,) * 6)
