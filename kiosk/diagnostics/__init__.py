"""Diagnostics for field engineers: a registry of checks, each with a name, the device it
belongs to, a level (internal: no side effect; external: exercises the device; interactive:
needs a person) and a verdict of pass / warn / fail / skipped with a cause an engineer can
act on. Results are kept with their time, so "last tested" is known per device.

    from kiosk.diagnostics import DiagContext, run_checks
    results = run_checks(DiagContext.from_config_path(path), level=HealthLevel.EXTERNAL)
"""

from kiosk.diagnostics.registry import (
    Check,
    CheckResult,
    DiagContext,
    Verdict,
    all_checks,
    run_check,
    run_checks,
    select_checks,
)
from kiosk.diagnostics.results import ResultStore, report_json, report_table

__all__ = [
    "Check",
    "CheckResult",
    "DiagContext",
    "ResultStore",
    "Verdict",
    "all_checks",
    "report_json",
    "report_table",
    "run_check",
    "run_checks",
    "select_checks",
]
