"""Terminal configuration: config/default.toml merged with the terminal's own file.

One schema (pydantic) validates both; unknown keys are errors, so a typo never
silently falls back to a default. Every error names the key, the bad value and
what is allowed. `save_terminal_file` writes atomically (write, fsync, rename)
and keeps the previous version beside the file as `NAME.prev`.

`config/schema.json` is generated from this model (`kiosk config schema --write`);
a test keeps it current.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
DEFAULT_CONFIG = CONFIG_DIR / "default.toml"
SCHEMA_FILE = CONFIG_DIR / "schema.json"
SECRET_KEYS = frozenset({"admin.pin_hash"})  # never shown, never exported
REDACTED = "<removed>"

ServiceName = Literal[
    "register", "book", "check_in", "cancel", "pay", "top_up", "balance", "reprint"
]
ALL_SERVICES: list[ServiceName] = [
    "register",
    "book",
    "check_in",
    "cancel",
    "pay",
    "top_up",
    "balance",
    "reprint",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Terminal(_Section):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    hospital_id: str = Field(min_length=1, max_length=64)
    location: str = Field("", max_length=200)


class Central(_Section):
    url: str = Field(pattern=r"^https?://[^\s/]+")
    # PEM file of the CA that signed the platform's certificate; empty: the system store
    ca_bundle: str = ""
    timeout_s: float = Field(gt=0, le=120)
    connect_timeout_s: float = Field(gt=0, le=60)
    heartbeat_interval_s: int = Field(60, ge=10, le=3600)


class CardReader(_Section):
    backend: Literal["pcsc", "inprocess"] = "pcsc"
    reader: str = ""


class Printer(_Section):
    url: str = Field("", pattern=r"^$|^(tcp|serial|usb|file)://")
    paper_width_mm: Literal[58, 80] = 80


Baud = Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 921600]


class SerialPort(_Section):
    # empty port: not fitted
    port: str = ""
    baud: Baud = 9600


class Scanner(SerialPort):
    suffix: Literal["CR", "LF", "CRLF"] = "CR"


class CashAcceptor(SerialPort):
    address: int = Field(40, ge=1, le=255)  # ccTalk address of a bill validator


class Devices(_Section):
    card_reader: CardReader = CardReader()
    printer: Printer = Printer()
    scanner: Scanner = Scanner()
    cash_acceptor: CashAcceptor = CashAcceptor()


class Services(_Section):
    offered: list[ServiceName] = Field(default_factory=lambda: list(ALL_SERVICES))


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

    @model_validator(mode="after")
    def _single_within_total(self) -> Offline:
        if self.max_single_fen > self.max_total_fen:
            raise ValueError(
                f"max_single_fen ({self.max_single_fen}) must not exceed "
                f"max_total_fen ({self.max_total_fen})"
            )
        return self


class Ui(_Section):
    language: Literal["zh", "en"] = "zh"
    orientation: Literal["portrait", "landscape"] = "portrait"
    dpi: int = Field(0, ge=0, le=600)  # 0: ask the screen
    idle_timeout_s: int = Field(60, ge=10, le=600)
    idle_warning_s: int = Field(15, ge=3, le=120)
    large_text: bool = False
    voice: bool = False

    @model_validator(mode="after")
    def _warning_before_timeout(self) -> Ui:
        if self.idle_warning_s >= self.idle_timeout_s:
            raise ValueError(
                f"idle_warning_s ({self.idle_warning_s}) must be less than "
                f"idle_timeout_s ({self.idle_timeout_s})"
            )
        return self


class Receipt(_Section):
    header: str = Field("", max_length=200)


class Admin(_Section):
    # scrypt hash made by kiosk.admin_auth.hash_pin; empty: no PIN, technician card only
    pin_hash: str = Field("", pattern=r"^$|^scrypt\$")


class Diagnostics(_Section):
    min_free_disk_mb: int = Field(500, ge=1)
    max_clock_skew_s: int = Field(30, ge=1, le=3600)
    outbox_warn_age_h: int = Field(4, ge=1)
    # serial ports with a loopback plug (TX joined to RX), separated by spaces or commas: the
    # external-level check writes a pattern to each and expects it back. Never a device's
    # port: it would get test bytes. (One string, not a TOML array, so that the technician
    # screen edits it as a line of text.)
    loopback_ports: str = Field("", max_length=500)
    loopback_baud: Baud = 9600

    def loopback_port_list(self) -> list[str]:
        return [port for port in re.split(r"[\s,]+", self.loopback_ports) if port]


class Paths(_Section):
    data_dir: str = ""


class KioskConfig(_Section):
    terminal: Terminal
    central: Central
    devices: Devices = Devices()
    services: Services = Services()
    ui: Ui = Ui()
    offline: Offline = Offline()
    receipt: Receipt = Receipt()
    admin: Admin = Admin()
    diagnostics: Diagnostics = Diagnostics()
    paths: Paths = Paths()

    def data_dir(self) -> Path:
        chosen = self.paths.data_dir or os.environ.get("KIOSK_DATA_DIR")
        path = Path(chosen) if chosen else Path.home() / ".local/share/lobby-kiosk"
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config: where, what was found, what is allowed."""

    key: str  # dotted, "ui.idle_timeout_s"; "" for the file as a whole
    value: str  # the bad value as written (repr), "" when there is none
    allowed: str  # what would be accepted

    def __str__(self) -> str:
        where = self.key or "file"
        shown = f" = {self.value}" if self.value else ""
        return f"{where}{shown}: {self.allowed}"


class ConfigError(Exception):
    """The config cannot be used; the message names the key, the value and what is allowed."""

    def __init__(self, message: str, problems: list[ConfigProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [ConfigProblem("", "", message)]


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read one TOML file; ConfigError (naming the file) when it is missing or not TOML."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"config path is a directory, not a file: {path}") from exc
    except PermissionError as exc:
        raise ConfigError(f"config file not readable (permission denied): {path}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


_read_toml = read_toml  # the name other modules may still use


def _section_model(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model of the section holding `loc`'s last key, for "allowed keys" hints."""
    model: type[BaseModel] = KioskConfig
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


# what each pattern in the schema means, for people rather than regex readers
_PATTERN_WORDS = {
    r"^[A-Za-z0-9_.-]+$": "letters, digits, '_', '.' or '-' only (no spaces)",
    r"^https?://[^\s/]+": "a URL starting http:// or https://, e.g. https://his.example.org",
    r"^$|^(tcp|serial|usb|file)://": "empty (no printer), or tcp://HOST:PORT, "
    "serial:///dev/ttyS0, usb://VID:PID or file:///dev/usb/lp0",
    r"^$|^scrypt\$": "empty, or a hash made by `kiosk config set-pin`",
}


def _allowed(err: dict[str, Any]) -> str:
    kind, loc = err["type"], err["loc"]
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        return _PATTERN_WORDS.get(pattern, f"must match {pattern}")
    if kind == "extra_forbidden":
        model = _section_model(loc)
        section = ".".join(str(p) for p in loc[:-1]) or "top level"
        keys = ", ".join(model.model_fields) if model else "none"
        return f"unknown key; allowed keys in {section}: {keys}"
    if kind == "missing":
        return "required, but missing"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return msg[0].lower() + msg[1:] if msg.startswith("Input should") else msg


def problems_from(exc: ValidationError) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        value = err.get("input")
        shown = "" if isinstance(value, dict) or err["type"] == "missing" else repr(value)
        if key in SECRET_KEYS:
            shown = REDACTED
        problems.append(ConfigProblem(key, shown, _allowed(err)))
    return problems


def describe_errors(exc: ValidationError) -> str:
    return "; ".join(str(p) for p in problems_from(exc))


def validate_data(data: dict[str, Any]) -> KioskConfig:
    """Validate already-merged data; ConfigError listing every problem."""
    try:
        return KioskConfig.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc)
        raise ConfigError("; ".join(str(p) for p in problems), problems) from exc


def terminal_file(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The terminal's own file: `path`, else $KIOSK_CONFIG, else None (defaults only)."""
    chosen = path or os.environ.get("KIOSK_CONFIG")
    return Path(chosen) if chosen else None


def merged_data(
    path: str | os.PathLike[str] | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    data = read_toml(DEFAULT_CONFIG)
    chosen = terminal_file(path)
    if chosen:
        data = _merge(data, read_toml(chosen))
    if overrides:
        data = _merge(data, overrides)
    return data


def load_config(
    path: str | os.PathLike[str] | None = None, overrides: dict[str, Any] | None = None
) -> KioskConfig:
    """Load defaults, then the terminal's file (`path` or $KIOSK_CONFIG), then overrides."""
    return validate_data(merged_data(path, overrides))


@dataclass(frozen=True)
class LoadOutcome:
    """What the kiosk starts with: a config, or the problems for the "needs configuration"
    screen."""

    config: KioskConfig | None
    error: ConfigError | None
    path: Path | None


def try_load_config(path: str | os.PathLike[str] | None = None) -> LoadOutcome:
    """Never raises for a bad or missing file, so the kiosk can start and ask for a fix."""
    try:
        return LoadOutcome(load_config(path), None, terminal_file(path))
    except ConfigError as exc:
        return LoadOutcome(None, exc, terminal_file(path))


# --- editing ---------------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """A value typed on a command line: TOML if it parses (60, true, ["a"]), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def set_key(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with `dotted` set; ConfigError if the key is not in the schema."""
    parts = dotted.split(".")
    model: type[BaseModel] = KioskConfig
    for i, part in enumerate(parts):
        field = model.model_fields.get(part)
        where = ".".join(parts[:i]) or "top level"
        if field is None:
            allowed = ", ".join(model.model_fields)
            raise ConfigError(
                f"{dotted}: unknown key; allowed keys in {where}: {allowed}",
                [ConfigProblem(dotted, repr(value), f"unknown key; allowed in {where}: {allowed}")],
            )
        annotation = field.annotation
        is_section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        if i < len(parts) - 1 and not is_section:
            raise ConfigError(f"{dotted}: {'.'.join(parts[: i + 1])} is a value, not a section")
        if i == len(parts) - 1 and is_section:
            raise ConfigError(
                f"{dotted} is a section; set one of its keys: {', '.join(annotation.model_fields)}"
            )
        if is_section:
            model = annotation
    result = json.loads(json.dumps(data))  # a deep copy of plain TOML data
    node = result
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return result


def save_terminal_file(path: str | os.PathLike[str], data: dict[str, Any]) -> KioskConfig:
    """Validate (with the defaults under it), then replace `path` atomically.

    The file is written to a temporary file in the same directory, fsynced and
    renamed over the old one; the old one is kept as `NAME.prev`. A crash at any
    point leaves either the old or the new file, never half of one.
    """
    import tomli_w

    config = validate_data(_merge(read_toml(DEFAULT_CONFIG), data))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = tomli_w.dumps(data)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
            previous = target.with_name(target.name + ".prev")
            _keep_previous(target, previous)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return config


def _keep_previous(target: Path, previous: Path) -> None:
    """Hard-link the current file as NAME.prev, so `target` exists until the final rename."""
    previous.unlink(missing_ok=True)
    try:
        os.link(target, previous)
    except OSError:  # file systems without hard links: a copy is as good
        previous.write_bytes(target.read_bytes())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- showing -----------------------------------------------------------------------------


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """A copy with secrets replaced by REDACTED (for show, diff and support archives)."""
    result = json.loads(json.dumps(data))
    for dotted in SECRET_KEYS:
        *parents, leaf = dotted.split(".")
        node = result
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(leaf):
            node[leaf] = REDACTED
    return result


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, old, new) for every key whose value differs; None for absent."""
    a, b = flatten(old), flatten(new)
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def json_schema() -> dict[str, Any]:
    return KioskConfig.model_json_schema()


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
