"""Who the card says its holder is. Masked everywhere except in memory."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class CardType(StrEnum):
    PBOC = "pboc"  # co-branded bank medical card (PBOC 3.0 / UnionPay)
    SOCIAL_SECURITY = "social_security"  # China social security card (SSSE)
    UNSUPPORTED = "unsupported"


def mask_number(number: str | None, keep_head: int = 4, keep_tail: int = 4) -> str | None:
    """`6217000010001234569` → `6217***********4569`; short values masked whole.

    drivers/ must not import kiosk/, so this mirrors kiosk.logsetup.mask_number.
    """
    if number is None:
        return None
    if len(number) <= keep_head + keep_tail:
        return "*" * len(number)
    return number[:keep_head] + "*" * (len(number) - keep_head - keep_tail) + number[-keep_tail:]


def mask_name(name: str | None) -> str | None:
    """Keep the family name only: 张伟 → 张*, LI/NA → L*/N*."""
    if name is None:
        return None
    name = name.strip()
    if any("\u3400" <= ch <= "\u9fff" or ord(ch) > 0xFFFF for ch in name):
        return name[:1] + "*" * (len(name) - 1)
    return "".join(
        part[:1] + "*" * (len(part) - 1) if part.strip() and part not in "/ " else part
        for part in _split_keep(name)
    )


def _split_keep(text: str) -> list[str]:
    parts, current = [], ""
    for ch in text:
        if ch in "/ ":
            parts += [current, ch]
            current = ""
        else:
            current += ch
    return [*parts, current]


@dataclass(frozen=True)
class CardIdentity:
    card_type: CardType
    card_number: str
    name: str | None
    id_number: str | None
    id_type: str | None  # PBOC 9F62: "00" is the resident identity card (身份证)
    expiry: str | None  # "YYYY-MM"
    atr: bytes = field(default=b"")

    @classmethod
    def unsupported(cls, atr: bytes) -> CardIdentity:
        return cls(CardType.UNSUPPORTED, "", None, None, None, None, atr)

    def as_dict(self, unmasked: bool = False) -> dict[str, Any]:
        """The JSON shape of `kiosk card read --json` (without elapsed_ms)."""
        show_number = (lambda v: v) if unmasked else mask_number
        show_name = (lambda v: v) if unmasked else mask_name
        return {
            "card_type": str(self.card_type),
            "card_number": show_number(self.card_number or None),
            "name": show_name(self.name),
            "id_number": show_number(self.id_number, 6, 4) if not unmasked else self.id_number,
            "id_type": self.id_type,
            "expiry": self.expiry,
            "atr": self.atr.hex().upper(),
        }

    def masked(self) -> dict[str, Any]:
        return self.as_dict(unmasked=False)

    def is_expired(self, today: date) -> bool:
        """Expired after the last day of the expiry month; a card without expiry is not."""
        if not self.expiry:
            return False
        year, month = (int(part) for part in self.expiry.split("-"))
        last_day = calendar.monthrange(year, month)[1]
        return today > date(year, month, last_day)

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in self.masked().items())
        return f"CardIdentity({fields})"

    __str__ = __repr__
