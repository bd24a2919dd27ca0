"""Money is integer fen everywhere; this is the one place it becomes text."""

from __future__ import annotations


def format_fen(fen: int, symbol: str = "¥") -> str:
    """12850 → "¥128.50"; -500 → "-¥5.00". Integer arithmetic only, never float."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"money must be integer fen, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"
