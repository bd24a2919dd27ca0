"""Terminal configuration: config/default.toml merged with the terminal's own file.

One schema (pydantic) validates both; unknown keys are errors, so a typo never
silently falls back to a default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "default.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Terminal(_Section):
    id: str = Field(min_length=1, max_length=64)
    hospital_id: str = Field(min_length=1)
    location: str = ""


class Central(_Section):
    url: str = Field(pattern=r"^https?://")
    timeout_s: float = Field(gt=0, le=120)
    connect_timeout_s: float = Field(gt=0, le=60)


class CardReader(_Section):
    backend: Literal["pcsc", "inprocess"] = "pcsc"
    reader: str = ""


class Printer(_Section):
    url: str = ""
    paper_width_mm: Literal[58, 80] = 80


class SerialPort(_Section):
    # empty port: not fitted
    port: str = ""
    baud: int = Field(9600, ge=1200, le=921600)


class Scanner(SerialPort):
    suffix: Literal["CR", "LF", "CRLF"] = "CR"


class CashAcceptor(SerialPort):
    address: int = Field(40, ge=1, le=255)  # ccTalk address of a bill validator


class Devices(_Section):
    card_reader: CardReader = CardReader()
    printer: Printer = Printer()
    scanner: Scanner = Scanner()
    cash_acceptor: CashAcceptor = CashAcceptor()


class Offline(_Section):
    """Store-and-forward policy: what may complete while the platform is unreachable."""

    allowed: list[Literal["check_in", "cash_top_up", "reprint"]] = [
        "check_in",
        "cash_top_up",
        "reprint",
    ]
    max_count: int = Field(200, ge=0)
    max_total_fen: int = Field(500_000, ge=0)
    max_single_fen: int = Field(50_000, ge=0)
    max_age_h: int = Field(72, ge=1, le=24 * 29)  # below the platform's 30-day key retention


class Ui(_Section):
    language: Literal["zh", "en"] = "zh"
    orientation: Literal["portrait", "landscape"] = "portrait"
    idle_timeout_s: int = Field(60, ge=10, le=600)
    idle_warning_s: int = Field(15, ge=3, le=120)
    large_text: bool = False


class Receipt(_Section):
    header: str = ""


class Paths(_Section):
    data_dir: str = ""


class KioskConfig(_Section):
    terminal: Terminal
    central: Central
    devices: Devices = Devices()
    ui: Ui = Ui()
    offline: Offline = Offline()
    receipt: Receipt = Receipt()
    paths: Paths = Paths()

    def data_dir(self) -> Path:
        chosen = self.paths.data_dir or os.environ.get("KIOSK_DATA_DIR")
        path = Path(chosen) if chosen else Path.home() / ".local/share/lobby-kiosk"
        path.mkdir(parents=True, exist_ok=True)
        return path


class ConfigError(Exception):
    """The config cannot be used; the message names the key, the value and what is allowed."""


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def describe_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f" = {value!r}"
        lines.append(f"{key}{shown}: {err['msg']}")
    return "; ".join(lines)


def load_config(
    path: str | os.PathLike[str] | None = None, overrides: dict[str, Any] | None = None
) -> KioskConfig:
    """Load defaults, then the terminal's file (`path` or $KIOSK_CONFIG), then overrides."""
    data = _read_toml(DEFAULT_CONFIG)
    chosen = path or os.environ.get("KIOSK_CONFIG")
    if chosen:
        data = _merge(data, _read_toml(Path(chosen)))
    if overrides:
        data = _merge(data, overrides)
    try:
        return KioskConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc)) from exc
