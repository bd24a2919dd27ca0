"""Logging set-up and the masking every log line goes through.

Patient names, ID numbers and card numbers must never reach a log. Code masks
them where it formats them (`mask_*` below); the filter is a second net that
masks long digit runs anyone forgot.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

_LONG_DIGITS = re.compile(r"(?<![0-9A-Fa-f])(\d{4})\d{5,}(\d{4})(?![0-9A-Fa-f])")


def mask_number(number: str | None) -> str:
    """`6217000010001234569` → `6217***********4569`; `A01234567` → `A0*****67`.

    At most a quarter of the characters stays visible at each end (at most 4), so a
    short number is not given away by its mask.
    """
    if not number:
        return ""
    keep = min(4, len(number) // 4)
    if keep == 0:
        return "*" * len(number)
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def mask_name(name: str | None) -> str:
    """Keep the family name only: 张三丰 → 张**, ZHANG SAN → Z*** S**."""
    if not name:
        return ""
    name = name.strip()
    if any("\u3400" <= ch <= "\u9fff" or ord(ch) > 0xFFFF for ch in name):
        return name[0] + "*" * (len(name) - 1)
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())


class MaskDigitsFilter(logging.Filter):
    """Masks any run of 13+ digits (card and ID numbers) that slipped into a message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _LONG_DIGITS.sub(
            lambda m: m.group(1) + "*" * (len(m.group(0)) - 8) + m.group(2), message
        )
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def add_file_logging(data_dir: os.PathLike[str] | str, max_bytes: int = 5_000_000) -> Path:
    """Also log to `<data_dir>/logs/kiosk.log`, rotated, masked like the console.

    `kiosk logs export` packs these files for a support ticket.
    """
    from logging.handlers import RotatingFileHandler  # only the kiosk itself needs it

    log_dir = Path(data_dir) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "kiosk.log"
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        return path
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=5, encoding="utf-8")
    handler.addFilter(MaskDigitsFilter())
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    return path


def configure_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose or os.environ.get("KIOSK_DEBUG") else logging.INFO
    handler = logging.StreamHandler()
    handler.addFilter(MaskDigitsFilter())
    handler.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
