"""The check registry and the runner: every check returns a Verdict, never raises past here."""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.device import HealthLevel, HealthResult, Outcome

if TYPE_CHECKING:
    from kiosk.config import ConfigError, KioskConfig

log = logging.getLogger(__name__)

LEVEL_ORDER = (HealthLevel.INTERNAL, HealthLevel.EXTERNAL, HealthLevel.INTERACTIVE)
# the modules whose checks make up the registry, in the order a report lists them
CHECK_MODULES = ("system", "network", "card", "printer", "serial", "store")
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    summary: str  # operator wording: what was checked and found
    cause: str = ""  # on warn/fail: what to do about it
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    name: str
    device: str
    level: HealthLevel
    outcome: Outcome
    summary: str
    cause: str
    details: Mapping[str, str]
    checked_at: datetime
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "device": self.device,
            "level": self.level.value,
            "outcome": self.outcome.value,
            "summary": self.summary,
            "cause": self.cause,
            "details": dict(self.details),
            "checked_at": self.checked_at.isoformat(),
            "duration_s": round(self.duration_s, 3),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            name=data["name"],
            device=data["device"],
            level=HealthLevel(data["level"]),
            outcome=Outcome(data["outcome"]),
            summary=data["summary"],
            cause=data.get("cause", ""),
            details=dict(data.get("details", {})),
            checked_at=datetime.fromisoformat(data["checked_at"]),
            duration_s=float(data.get("duration_s", 0.0)),
        )


@dataclass
class DiagContext:
    """What the checks look at. `config` is None when the config does not load."""

    config: KioskConfig | None
    config_error: ConfigError | None = None
    config_path: Path | None = None
    data_dir: Path | None = None
    # interactive checks call this with an instruction ("insert a card") before they wait
    prompt: Callable[[str], None] = lambda message: None
    timeout_s: float = DEFAULT_TIMEOUT_S
    # results shared between checks of one run (e.g. the PC/SC reader list)
    memo: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config_path(cls, path: str | Path | None = None, **kw: Any) -> DiagContext:
        from kiosk.config import try_load_config

        loaded = try_load_config(path)
        data_dir = loaded.config.data_dir() if loaded.config else None
        return cls(loaded.config, loaded.error, loaded.path, data_dir, **kw)


CheckFn = Callable[[DiagContext], Verdict]


@dataclass(frozen=True)
class Check:
    name: str
    device: str
    level: HealthLevel
    title: str  # operator wording for the screen's list: "Receipt printer: paper and cover"
    fn: CheckFn
    timeout_s: float | None = None


_REGISTRY: dict[str, Check] = {}


def check(
    name: str, device: str, level: HealthLevel, title: str, timeout_s: float | None = None
) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under `name`."""

    def add(fn: CheckFn) -> CheckFn:
        _REGISTRY[name] = Check(name, device, level, title, fn, timeout_s)
        return fn

    return add


def all_checks() -> list[Check]:
    for module in CHECK_MODULES:
        importlib.import_module(f"kiosk.diagnostics.{module}")
    return list(_REGISTRY.values())


def select_checks(
    level: HealthLevel = HealthLevel.INTERNAL,
    device: str | None = None,
    names: Iterable[str] | None = None,
) -> list[Check]:
    """Checks up to `level` (external includes internal), of one device or all."""
    allowed = LEVEL_ORDER[: LEVEL_ORDER.index(level) + 1]
    wanted = set(names or ())
    return [
        c
        for c in all_checks()
        if c.level in allowed
        and (device is None or c.device == device)
        and (not wanted or c.name in wanted)
    ]


def devices() -> list[str]:
    return list(dict.fromkeys(c.device for c in all_checks()))


def run_check(chk: Check, ctx: DiagContext) -> CheckResult:
    """Run one check with a time limit on a thread of its own; a crash or a hang is a fail."""
    started_at = datetime.now(UTC)
    start = time.monotonic()
    box: list[Verdict] = []
    worker = threading.Thread(
        target=lambda: box.append(_guarded(chk, ctx)), name=f"diag-{chk.name}", daemon=True
    )
    worker.start()
    limit = chk.timeout_s or ctx.timeout_s
    worker.join(limit)
    if box:
        verdict = box[0]
    else:  # a hung driver call: the daemon thread is abandoned, the report goes on
        verdict = Verdict(
            Outcome.FAIL,
            f"no answer within {limit:.0f} s",
            "the device or service hangs: power-cycle it or check its cable and driver",
        )
    return CheckResult(
        chk.name,
        chk.device,
        chk.level,
        verdict.outcome,
        verdict.summary,
        verdict.cause,
        {k: str(v) for k, v in verdict.details.items()},
        started_at,
        time.monotonic() - start,
    )


def run_checks(
    ctx: DiagContext,
    level: HealthLevel = HealthLevel.INTERNAL,
    device: str | None = None,
    names: Iterable[str] | None = None,
) -> list[CheckResult]:
    return [run_check(c, ctx) for c in select_checks(level, device, names)]


def _guarded(chk: Check, ctx: DiagContext) -> Verdict:
    try:
        return chk.fn(ctx)
    except ModuleNotFoundError as exc:
        return Verdict(Outcome.SKIPPED, f"skipped: not available ({exc.name} is not installed)")
    except Exception as exc:
        log.exception("diagnostic check %s crashed", chk.name)
        return Verdict(
            Outcome.FAIL,
            "the check itself failed",
            f"{type(exc).__name__}: {exc} (a software fault: report it with `kiosk logs export`)",
        )


def from_health(result: HealthResult) -> Verdict:
    """A driver's own health check result as a Verdict."""
    return Verdict(result.outcome, result.summary, result.cause, dict(result.details))


def needs_config(ctx: DiagContext) -> Verdict | None:
    """A skipped verdict when there is no usable config to check against."""
    if ctx.config is None:
        return Verdict(Outcome.SKIPPED, "skipped: the config does not load (see the config check)")
    return None
