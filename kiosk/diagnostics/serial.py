"""Serial checks: the QR scanner, the ccTalk cash acceptor, and loopback plugs on spare ports."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


# --- serial loopback ---------------------------------------------------------------------

# every bit pattern a wiring or baud fault changes (0x55/0xAA alternate, 0x00/0xFF are flat)
LOOPBACK_PATTERN = bytes([0x55, 0xAA, 0x00, 0xFF]) + b"KIOSK LOOPBACK 0123456789"
LOOPBACK_SLACK_S = 1.5  # beyond the bytes' own time on the wire, for a loaded machine


@dataclass(frozen=True)
class LoopbackResult:
    port: str
    ok: bool
    summary: str
    cause: str = ""


def _device_using(ctx: DiagContext, port: str) -> str:
    devices = ctx.config.devices
    owners = {
        devices.scanner.port: "the scanner's port (devices.scanner.port)",
        devices.cash_acceptor.port: "the cash acceptor's port (devices.cash_acceptor.port)",
    }
    # /dev/serial/by-id/... and /dev/ttyUSB0 may name the same port
    real = {os.path.realpath(path): owner for path, owner in owners.items() if path}
    return real.get(os.path.realpath(port), "")


def _open_failure(port: str, exc: Exception) -> LoopbackResult:
    text = str(exc)
    if isinstance(exc, PermissionError) or "Permission denied" in text:
        return LoopbackResult(
            port,
            False,
            f"no permission to open {port}",
            "add the kiosk's user to the dialout group (usermod -aG dialout USER), then log in "
            "again",
        )
    if "exclusively lock" in text or "busy" in text.lower():
        return LoopbackResult(
            port,
            False,
            f"{port} is in use by another program",
            f"find it with `fuser {port}` and stop it, or pick another port for the plug",
        )
    return LoopbackResult(
        port, False, f"cannot open {port}: {text}", "check the adapter's driver (dmesg)"
    )


def _compare(port: str, sent: bytes, got: bytes, baud: int) -> LoopbackResult:
    if got == sent:
        return LoopbackResult(port, True, f"{port}: {len(sent)} bytes echoed at {baud} baud")
    if not got:
        return LoopbackResult(
            port,
            False,
            f"no echo on {port}: nothing came back",
            f"the loopback plug is missing or not on {port}: plug it in (TX joined to RX), "
            "or fix diagnostics.loopback_ports",
        )
    if len(got) < len(sent) and sent.startswith(got):
        return LoopbackResult(
            port,
            False,
            f"incomplete echo on {port}: {len(got)} of {len(sent)} bytes came back",
            "bytes are lost on the way: check the plug's wiring and the adapter's flow control",
        )
    if got.startswith(sent):
        return LoopbackResult(
            port,
            False,
            f"{port} sent back more than the echo: {len(got) - len(sent)} extra bytes",
            "something that talks is on this port, not a loopback plug: check which device "
            "is connected there, or fix diagnostics.loopback_ports",
        )
    wrong = sum(a != b for a, b in zip(sent, got, strict=False)) + abs(len(sent) - len(got))
    return LoopbackResult(
        port,
        False,
        f"garbled echo on {port}: {wrong} of {len(sent)} bytes differ "
        f"(sent {sent[:8].hex(' ')}…, got {got[:8].hex(' ')}…)",
        f"the port answers but changes the bytes: check the baud rate ({baud}, "
        "diagnostics.loopback_baud) and the plug's wiring (TX to RX, ground)",
    )


def _loopback(ctx: DiagContext, port: str, baud: int) -> LoopbackResult:
    import serial

    if owner := _device_using(ctx, port):
        return LoopbackResult(
            port,
            False,
            f"{port} is {owner}",
            "a loopback test would send that device test bytes: list only ports with a "
            "loopback plug in diagnostics.loopback_ports",
        )
    if not os.path.exists(port):
        ports = ", ".join(attached_ports()) or "none"
        return LoopbackResult(
            port,
            False,
            f"the port {port} does not exist",
            f"check the USB-serial adapter; serial ports attached now: {ports}; "
            "fix diagnostics.loopback_ports",
        )
    # a start and a stop bit: ten bit times a byte
    wait_s = len(LOOPBACK_PATTERN) * 10 / baud + LOOPBACK_SLACK_S
    try:
        link = serial.Serial(port, baud, timeout=wait_s, write_timeout=wait_s, exclusive=True)
    except (serial.SerialException, OSError) as exc:
        return _open_failure(port, exc)
    with link:
        try:
            link.reset_input_buffer()  # nothing stale may pass for an echo
            link.write(LOOPBACK_PATTERN)
            got = link.read(len(LOOPBACK_PATTERN))
            link.timeout = 0.2  # anything more is not our echo: something talks on the line
            got += link.read(64)
        except (serial.SerialException, OSError) as exc:
            return LoopbackResult(
                port,
                False,
                f"{port} failed during the test: {exc}",
                "the adapter went away or its driver failed: check the cable (dmesg)",
            )
    return _compare(port, LOOPBACK_PATTERN, got, baud)


@check("serial_loopback", "serial", HealthLevel.EXTERNAL, "Serial ports: loopback plug echoes")
def serial_loopback(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    cfg = ctx.config.diagnostics
    ports = cfg.loopback_port_list()
    if not ports:
        return Verdict(
            Outcome.SKIPPED, "skipped: no loopback plug wired (diagnostics.loopback_ports empty)"
        )
    results = [_loopback(ctx, port, cfg.loopback_baud) for port in ports]
    details = {r.port: "echo ok" if r.ok else r.summary for r in results}
    failed = [r for r in results if not r.ok]
    if not failed:
        return Verdict(Outcome.PASS, "; ".join(r.summary for r in results), details=details)
    return Verdict(
        Outcome.FAIL,
        "; ".join(r.summary for r in failed),
        "; ".join(dict.fromkeys(r.cause for r in failed)),
        details,
    )
