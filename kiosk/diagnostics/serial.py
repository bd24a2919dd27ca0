"""Serial device checks: the QR scanner and the ccTalk cash acceptor."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drivers.device import DeviceState, HealthLevel, Outcome
from kiosk.diagnostics.registry import DiagContext, Verdict, check, from_health, needs_config

SETTLE_S = 8.0


def attached_ports() -> list[str]:
    from serial.tools import list_ports

    return sorted(p.device for p in list_ports.comports())


def _port_problem(ctx: DiagContext, what: str, port: str, key: str) -> Verdict | None:
    """Skipped when not fitted; a fail naming the attached ports when the port is missing."""
    if not port:
        return Verdict(Outcome.SKIPPED, f"skipped: no {what} fitted ({key} empty)")
    if not os.path.exists(port):
        ports = ", ".join(attached_ports()) or "none"
        return Verdict(
            Outcome.FAIL,
            f"the {what}'s port {port} does not exist",
            f"check the {what}'s USB-serial cable; serial ports attached now: {ports}; "
            f"set {key} to the right one",
        )
    return None


@contextmanager
def _opened(device: Any) -> Iterator[Any]:
    device.open()
    try:
        deadline = time.monotonic() + SETTLE_S
        while device.status.state is DeviceState.UNKNOWN and time.monotonic() < deadline:
            time.sleep(0.05)
        yield device
    finally:
        device.close()


def _scanner(ctx: DiagContext) -> Any:
    from drivers.scanner.driver import SerialScanner

    cfg = ctx.config.devices.scanner
    return SerialScanner(cfg.port, cfg.baud, cfg.suffix)


@check("scanner", "scanner", HealthLevel.INTERNAL, "QR scanner: port open")
def scanner_port(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    cfg = ctx.config.devices.scanner
    if problem := _port_problem(ctx, "scanner", cfg.port, "devices.scanner.port"):
        return problem
    with _opened(_scanner(ctx)) as scanner:
        return from_health(scanner.health_check(HealthLevel.INTERNAL))


@check("scanner_scan", "scanner", HealthLevel.INTERACTIVE, "QR scanner: scan a code", timeout_s=60)
def scanner_scan(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    cfg = ctx.config.devices.scanner
    if problem := _port_problem(ctx, "scanner", cfg.port, "devices.scanner.port"):
        return problem
    with _opened(_scanner(ctx)) as scanner:
        ctx.prompt("Scan any QR code or barcode (30 s)")
        return from_health(scanner.health_check(HealthLevel.INTERACTIVE, wait_s=30))


def _acceptor(ctx: DiagContext) -> Any:
    from drivers.cash.validator import BillValidator

    cfg = ctx.config.devices.cash_acceptor
    return BillValidator(cfg.port, cfg.baud, cfg.address)


def _acceptor_verdict(ctx: DiagContext, level: HealthLevel, **kw: Any) -> Verdict:
    cfg = ctx.config.devices.cash_acceptor
    if problem := _port_problem(ctx, "cash acceptor", cfg.port, "devices.cash_acceptor.port"):
        return problem
    with _opened(_acceptor(ctx)) as acceptor:
        if acceptor.status.state is DeviceState.OFFLINE:
            return Verdict(
                Outcome.FAIL,
                f"no ccTalk device answers on {cfg.port} at address {cfg.address}",
                "the port exists but nothing speaks ccTalk there: is it the acceptor's port "
                "(not the scanner's), is the acceptor powered, and are "
                "devices.cash_acceptor.baud and .address right?",
            )
        return from_health(acceptor.health_check(level, **kw))


@check("cash_acceptor", "cash_acceptor", HealthLevel.INTERNAL, "Cash acceptor: answers")
def cash_acceptor(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    return _acceptor_verdict(ctx, HealthLevel.INTERNAL)


@check("cash_poll", "cash_acceptor", HealthLevel.EXTERNAL, "Cash acceptor: ccTalk poll")
def cash_poll(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    return _acceptor_verdict(ctx, HealthLevel.EXTERNAL)


@check(
    "cash_note",
    "cash_acceptor",
    HealthLevel.INTERACTIVE,
    "Cash acceptor: insert a note",
    timeout_s=60,
)
def cash_note(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    ctx.prompt("Insert a bank note: it will be recognised and handed back (30 s)")
    return _acceptor_verdict(ctx, HealthLevel.INTERACTIVE, wait_s=30)
