"""Card reader checks: pcscd, the readers it offers, the configured reader, a test read."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from drivers.device import DeviceState, HealthLevel, Outcome
from kiosk.diagnostics.registry import DiagContext, Verdict, check, from_health, needs_config

SETTLE_S = 8.0
DEFAULT_PCSCD_SOCKET = (
    "/run/pcscd/pcscd.comm"  # for the reader service's first look at pcscd and its readers
)


def pcscd_pids(proc: Path = Path("/proc")) -> list[int]:
    pids = []
    for comm in proc.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "pcscd":
                pids.append(int(comm.parent.name))
        except OSError:  # the process ended while we looked
            continue
    return pids


def _not_pcsc(ctx: DiagContext) -> Verdict | None:
    if skip := needs_config(ctx):
        return skip
    if ctx.config.devices.card_reader.backend != "pcsc":
        return Verdict(Outcome.SKIPPED, "skipped: the in-process card reader needs no pcscd")
    return None


def _pcsc_readers(ctx: DiagContext) -> list[str]:
    """The readers pcscd offers; raises if pcscd cannot be reached."""
    if "readers" not in ctx.memo:
        from smartcard.System import readers

        ctx.memo["readers"] = [str(r) for r in readers()]
    return ctx.memo["readers"]


def pcscd_socket() -> Path:
    """Where pcsc-lite clients find pcscd (PCSCLITE_CSOCK_NAME overrides, as in libpcsclite)."""
    return Path(os.environ.get("PCSCLITE_CSOCK_NAME", DEFAULT_PCSCD_SOCKET))


@check("pcscd", "card_reader", HealthLevel.INTERNAL, "Smart card service (pcscd)")
def pcscd_running(ctx: DiagContext) -> Verdict:
    if skip := _not_pcsc(ctx):
        return skip
    sock = pcscd_socket()
    details = {"socket": str(sock), "pids": ", ".join(map(str, pcscd_pids())) or "none"}
    if not sock.exists():
        return Verdict(
            Outcome.FAIL,
            "pcscd is not running",
            "start the smart card service: systemctl start pcscd (or pcscd --foreground as root)",
            details,
        )
    try:
        names = _pcsc_readers(ctx)
    except Exception as exc:  # pyscard raises its own context errors
        return Verdict(
            Outcome.FAIL,
            f"pcscd does not answer: {exc}",
            "restart pcscd (systemctl restart pcscd); check its log for a crashed reader driver",
            details,
        )
    return Verdict(Outcome.PASS, f"pcscd running, {len(names)} readers", details=details)


@check("readers", "card_reader", HealthLevel.INTERNAL, "Card reader attached")
def readers_present(ctx: DiagContext) -> Verdict:
    if skip := _not_pcsc(ctx):
        return skip
    try:
        names = _pcsc_readers(ctx)
    except Exception:
        return Verdict(
            Outcome.FAIL, "cannot list readers: pcscd is not answering", "see the pcscd check"
        )
    wanted = ctx.config.devices.card_reader.reader
    details = {"attached": ", ".join(names) or "none"}
    if not names:
        return Verdict(
            Outcome.FAIL,
            "no card reader attached",
            "plug the reader's USB cable in; check `lsusb` shows it",
            details,
        )
    matching = [n for n in names if wanted in n]
    if not matching:
        return Verdict(
            Outcome.FAIL,
            f"the configured reader {wanted!r} is not attached",
            f"attached readers: {', '.join(names)}; set devices.card_reader.reader to one of them",
            details,
        )
    return Verdict(Outcome.PASS, f"reader {matching[0]!r} attached", details=details)


@contextmanager
def _reader_service(ctx: DiagContext) -> Iterator[Any]:
    from drivers.card.service import CardReaderService

    reader = ctx.config.devices.card_reader
    service = CardReaderService(lambda event: None, backend=reader.backend, reader=reader.reader)
    service.open()
    try:
        deadline = time.monotonic() + SETTLE_S
        while service.status.state is DeviceState.UNKNOWN and time.monotonic() < deadline:
            time.sleep(0.05)
        yield service
    finally:
        service.close()


@check("card_reader", "card_reader", HealthLevel.INTERNAL, "Card reader ready")
def reader_health(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    with _reader_service(ctx) as service:
        return from_health(service.health_check(HealthLevel.INTERNAL))


@check(
    "card_read",
    "card_reader",
    HealthLevel.EXTERNAL,
    "Test read of the card in the reader",
    timeout_s=30,
)
def card_test_read(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    with _reader_service(ctx) as service:
        return from_health(service.health_check(HealthLevel.EXTERNAL))


@check(
    "card_insert", "card_reader", HealthLevel.INTERACTIVE, "Insert a card and read it", timeout_s=90
)
def card_insert(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    from drivers.card.service import read_once_timed

    ctx.prompt("Insert a patient card in the reader (60 s)")
    reader = ctx.config.devices.card_reader
    result, elapsed_ms = read_once_timed(reader.reader, timeout_s=60, backend=reader.backend)
    if result.ok:
        return Verdict(
            Outcome.PASS,
            f"card read in {elapsed_ms:.0f} ms",
            details={"card_type": str(result.value.card_type)},
        )
    return Verdict(
        Outcome.FAIL,
        f"no card read: {result.message}",
        "insert the card chip first, face up; try another card to tell card from reader",
    )
