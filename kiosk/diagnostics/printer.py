"""Receipt printer checks: status (paper, cover, connection) and a test slip."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drivers.device import DeviceState, DeviceStatus, HealthLevel, Outcome
from kiosk.diagnostics.registry import DiagContext, Verdict, check, from_health, needs_config

STATUS_TIMEOUT_S = 10.0

_CAUSES = {
    DeviceState.OFFLINE: "check the printer is switched on and its cable (or network) is "
    "connected; then that devices.printer.url is its address",
    DeviceState.NO_DEVICE: "nothing at devices.printer.url: check the address and the cable",
    DeviceState.USER_ERROR: "open the printer: load paper, close the cover",
    DeviceState.HARDWARE_ERROR: "clear the jam or cutter error, then switch the printer off and on",
}


def _not_fitted(ctx: DiagContext) -> Verdict | None:
    if skip := needs_config(ctx):
        return skip
    if not ctx.config.devices.printer.url:
        return Verdict(Outcome.SKIPPED, "skipped: no printer fitted (devices.printer.url empty)")
    return None


@contextmanager
def _printer(ctx: DiagContext) -> Iterator[Any]:
    from drivers.printer.printer import Printer, PrinterOptions

    cfg = ctx.config.devices.printer
    printer = Printer(cfg.url, PrinterOptions(paper_width_mm=cfg.paper_width_mm))
    printer.open()
    try:
        yield printer
    finally:
        printer.close()


def status_verdict(status: DeviceStatus) -> Verdict:
    """Operator wording for a printer status, from the driver's own reason."""
    details = {k: str(getattr(v, "value", v)) for k, v in status.facts.items()}
    if status.state is DeviceState.READY:
        if details.get("paper_level") == "near_end":
            return Verdict(
                Outcome.WARN, "ready, paper near its end", "load a new roll soon", details
            )
        return Verdict(
            Outcome.PASS, f"ready ({status.reason or 'paper adequate'})", details=details
        )
    if status.state is DeviceState.UNKNOWN:
        return Verdict(
            Outcome.WARN,
            "status unknown: the printer did not report it",
            "check the printer's front panel for paper and cover",
            details,
        )
    return Verdict(
        Outcome.FAIL,
        f"printer {status.state.value.replace('_', ' ')}: {status.reason}",
        _CAUSES.get(status.state, ""),
        details,
    )


def _health_or_status(printer: Any, level: HealthLevel) -> Verdict | None:
    """The driver's own health check, unless it is not built yet (then None)."""
    result = printer.health_check(level)
    if result.summary == "health check crashed":
        return None
    return from_health(result)


@check("printer", "printer", HealthLevel.INTERNAL, "Receipt printer: paper, cover, connection")
def printer_status(ctx: DiagContext) -> Verdict:
    if skip := _not_fitted(ctx):
        return skip
    with _printer(ctx) as printer:
        status = printer.refresh(STATUS_TIMEOUT_S)
        verdict = status_verdict(status)
        if verdict.outcome is Outcome.FAIL:
            return verdict  # the driver's reason, worded for the operator
        return _health_or_status(printer, HealthLevel.INTERNAL) or verdict


@check("printer_test_slip", "printer", HealthLevel.EXTERNAL, "Print a test slip", timeout_s=90)
def printer_test_slip(ctx: DiagContext) -> Verdict:
    if skip := _not_fitted(ctx):
        return skip
    with _printer(ctx) as printer:
        before = status_verdict(printer.refresh(STATUS_TIMEOUT_S))
        if before.outcome is Outcome.FAIL:
            return Verdict(
                Outcome.FAIL, f"no test slip: {before.summary}", before.cause, before.details
            )
        result = printer.print_test_slip(60)
        if not result.ok:
            return Verdict(
                Outcome.FAIL,
                f"test slip failed: {result.message}",
                _CAUSES.get(printer.status.state, "switch the printer off and on"),
            )
        report = result.value
        return Verdict(
            Outcome.PASS,
            "test slip printed: check it is readable and cut",
            details={
                "bytes": str(report.bytes_sent),
                "lines": str(report.lines),
                "confirmed": report.confirmed.value,
            },
        )
