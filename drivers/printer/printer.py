"""The receipt printer device: one hardware thread, change-only status events.

Every I/O call (connect, status, print) runs on the printer's own thread; other
threads submit jobs and get `Future`s or typed results. A dropped connection is
closed and rebuilt from the URL (python-escpos objects do not recover after a
power cycle), with back-off, while the thread keeps polling status.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drivers.device import (
    Device,
    DeviceState,
    DeviceStatus,
    Err,
    Fact,
    HealthLevel,
    HealthResult,
    Ok,
    Outcome,
    Result,
)
from drivers.printer import status as rt
from drivers.printer.connection import Link, LinkError, LinkSpec, open_link, parse_url
from drivers.printer.document import Cut, Document, Feed, KeyValue, QrCode, Rule, Text, Title
from drivers.printer.render import DEFAULT_RASTER_FONT, Renderer

log = logging.getLogger(__name__)

CHUNK = 4096


class PrinterNotOpen(RuntimeError):
    """A job was submitted before open() or after close()."""


@dataclass(frozen=True)
class PrinterOptions:
    paper_width_mm: int = 80
    chinese_mode_command: bool = False  # send FS & for printers that start in ASCII mode
    raster_font: str = DEFAULT_RASTER_FONT
    poll_interval_s: float = 2.0
    status_timeout_s: float = 1.0
    reconnect_max_s: float = 10.0


@dataclass(frozen=True)
class PrintReport:
    reference: str
    bytes_sent: int
    lines: int
    confirmed: Fact  # GOOD: status read after printing was fine; UNKNOWN: no read-back
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Readiness:
    """Can a receipt be printed now? Asked before money is taken."""

    fact: Fact  # GOOD, BAD, or UNKNOWN (no status read-back: the flow decides)
    reason: str
    paper_level: str = "unknown"


# DeviceStates that stop a print before any byte is sent, and their Err codes
_BLOCKING = {
    DeviceState.USER_ERROR: "user_error",
    DeviceState.HARDWARE_ERROR: "hardware_error",
    DeviceState.OFFLINE: "offline",
}


class Printer(Device):
    def __init__(
        self, url: str, options: PrinterOptions | None = None, name: str = "printer"
    ) -> None:
        super().__init__(name)
        self.spec: LinkSpec = parse_url(url)
        opts = options or PrinterOptions()
        if self.spec.options.get("chinese") == "fs":
            opts = PrinterOptions(**{**opts.__dict__, "chinese_mode_command": True})
        self.options = opts
        self.renderer = Renderer(opts.paper_width_mm, opts.chinese_mode_command, opts.raster_font)
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._link: Link | None = None
        self._next_connect = 0.0
        self._backoff = 0.5
        self.last_status: rt.PrinterStatus | None = None

    # --- Device -------------------------------------------------------------------

    def capabilities(self) -> Mapping[str, object]:
        return {
            "url": self.spec.describe(),
            "paper_width_mm": self.options.paper_width_mm,
            "columns": self.renderer.paper.columns,
            "status_readback": self.spec.readable,
            "chinese_mode_command": self.options.chinese_mode_command,
            "qr": "native",
            "raster_images": True,
            "cut": True,
        }

    def open(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-hw", daemon=True)
        self._thread.start()
        self.submit(self._poll)

    def close(self) -> None:
        if self._thread:
            self._jobs.put(None)
            self._thread.join(timeout=10)
            self._thread = None
        self._drop_link(None)

    def health_check(self, level: HealthLevel = HealthLevel.INTERNAL) -> HealthResult:
        try:
            if level is HealthLevel.INTERNAL:
                return self._internal_health()
            if level is HealthLevel.EXTERNAL:
                return self._external_health()
            return HealthResult(self.name, level, Outcome.SKIPPED, "no interactive printer check")
        except Exception as exc:  # a health check never raises
            log.exception("%s: health check failed", self.name)
            return HealthResult(self.name, level, Outcome.FAIL, "health check crashed", str(exc))

    def _internal_health(self) -> HealthResult:
        status = self.refresh()
        level = HealthLevel.INTERNAL
        summary = f"status read: {status.state.value} ({status.reason})"
        details = {k: str(v) for k, v in status.facts.items()}
        if status.state is DeviceState.READY and status.facts.get("paper_level") == "adequate":
            return HealthResult(self.name, level, Outcome.PASS, summary, details=details)
        if status.state in (DeviceState.READY, DeviceState.UNKNOWN):
            return HealthResult(self.name, level, Outcome.WARN, summary, status.reason, details)
        return HealthResult(self.name, level, Outcome.FAIL, summary, status.reason, details)

    def _external_health(self) -> HealthResult:
        level = HealthLevel.EXTERNAL
        result = self.print_test_slip()
        if not result.ok:
            summary = f"test slip not printed: {result.code}"
            return HealthResult(self.name, level, Outcome.FAIL, summary, result.message)
        if result.value.confirmed is not Fact.GOOD:
            cause = "sent, but the printer cannot confirm it: check the slip"
            return HealthResult(self.name, level, Outcome.WARN, "test slip sent", cause)
        return HealthResult(self.name, level, Outcome.PASS, "test slip printed and confirmed")

    # --- public API (any thread) ------------------------------------------------------

    def submit(self, job: Callable[[], Any]) -> Future:
        future: Future = Future()
        if not (self._thread and self._thread.is_alive()):
            future.set_exception(PrinterNotOpen(f"{self.name} is not open"))
            return future
        self._jobs.put((job, future))
        return future

    def print_document(self, doc: Document, timeout_s: float = 60.0) -> Result[PrintReport]:
        """Render and print `doc`, blocking the caller (never call from a GUI thread).

        Returns Ok(PrintReport) or Err with a stable code: offline, user_error,
        hardware_error, connection_lost, paper_out, timeout, not_open, driver_error."""
        return self._wait(self.submit_document(doc), timeout_s)

    def submit_document(self, doc: Document) -> Future:
        """Queue `doc` for printing; the Future's result is Ok(PrintReport) or Err."""
        rendered = self.renderer.render(doc)
        return self.submit(lambda: self._print(doc.reference, rendered))

    def refresh(self, timeout_s: float = 10.0) -> DeviceStatus:
        """Read the real-time status now (blocks the caller, never the hardware thread)."""
        self._wait(self.submit(lambda: Ok(self._poll())), timeout_s)
        return self.status

    def can_print(self, fresh: bool = True, timeout_s: float = 10.0) -> Readiness:
        """Whether a receipt can be printed, from real-time status when `fresh`."""
        current = self.refresh(timeout_s) if fresh else self.status
        level = str(current.facts.get("paper_level", "unknown"))
        if current.state in _BLOCKING or current.state is DeviceState.NO_DEVICE:
            return Readiness(Fact.BAD, current.reason, level)
        if current.state is DeviceState.UNKNOWN or not self.spec.readable:
            return Readiness(Fact.UNKNOWN, current.reason or "printer status unknown", level)
        return Readiness(Fact.GOOD, current.reason, level)

    def print_test_slip(self, timeout_s: float = 60.0) -> Result[PrintReport]:
        self.refresh(timeout_s)
        return self.print_document(self.test_slip(), timeout_s)

    def test_slip(self) -> Document:
        """A slip with the printer's own report: connection, capabilities and status."""
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        blocks: list = [Title("打印机自检 Printer test"), Rule()]
        blocks += [KeyValue(k, str(v)) for k, v in self.capabilities().items()]
        blocks.append(Rule())
        blocks.append(KeyValue("state", f"{self.status.state.value} ({self.status.reason})"))
        blocks += [KeyValue(k, str(v)) for k, v in self.status.facts.items()]
        blocks += [KeyValue("time", now), Text("中文测试 汉字 ¥0.00", "center"), QrCode("TEST")]
        blocks += [Feed(1), Cut()]
        return Document(tuple(blocks), kind="test", reference="TEST")

    # --- the hardware thread ----------------------------------------------------------

    def _wait(self, future: Future, timeout_s: float) -> Result:
        try:
            return future.result(timeout=timeout_s)
        except FutureTimeout:
            if future.cancel():  # still queued: it will never run
                return Err("timeout", f"the printer was busy for {timeout_s:.0f} s", True)
            return Err("timeout", f"no answer within {timeout_s:.0f} s; it may still print", True)
        except PrinterNotOpen as exc:
            return Err("not_open", str(exc))
        except Exception as exc:  # a driver bug: still a typed result, details in the log
            return Err("driver_error", f"printer driver error: {type(exc).__name__}: {exc}")

    def _run(self) -> None:
        while True:
            try:
                item = self._jobs.get(timeout=self.options.poll_interval_s)
            except queue.Empty:
                self._safely(self._background_poll)
                continue
            if item is None:
                return
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except Exception as exc:  # reported to the caller, the thread lives on
                log.exception("%s: job failed", self.name)
                future.set_exception(exc)

    def _safely(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception:
            log.exception("%s: background poll failed", self.name)

    def _background_poll(self) -> None:
        if self._link is None and time.monotonic() < self._next_connect:
            return
        self._poll()

    def _connect(self) -> Link | None:
        if self._link is not None:
            return self._link
        try:
            self._link = open_link(self.spec)
        except LinkError as exc:
            self._next_connect = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, self.options.reconnect_max_s)
            self._set_status(DeviceStatus(DeviceState.OFFLINE, _short(exc), {"connection": "down"}))
            return None
        self._backoff = 0.5
        log.info("%s: connected to %s", self.name, self.spec.describe())
        return self._link

    def _drop_link(self, reason: str | None) -> None:
        link, self._link = self._link, None
        if link is not None:
            try:
                link.close()
            except Exception:  # closing a dead connection may fail; it is gone either way
                log.debug("%s: close failed", self.name, exc_info=True)
        if reason:
            self._set_status(DeviceStatus(DeviceState.OFFLINE, reason, {"connection": "down"}))

    def _poll(self) -> rt.PrinterStatus | None:
        """Connect if needed and read the status; publishes it (change-only)."""
        link = self._connect()
        if link is None:
            return None
        try:
            status = self._read_status(link)
        except LinkError as exc:
            self._drop_link(_short(exc))
            return None
        self._publish(status)
        return status

    def _read_status(self, link: Link) -> rt.PrinterStatus:
        """DLE EOT 1-4 in one write; exactly one byte back per query, or all unknown."""
        if not link.readable:
            return rt.NOT_SUPPORTED
        request = b"".join(rt.query(n) for n in rt.QUERIES)
        reply = link.exchange(request, len(rt.QUERIES), self.options.status_timeout_s)
        if len(reply) != len(rt.QUERIES):
            log.warning("%s: status reply of %d bytes to %d queries", self.name, len(reply), 4)
            return rt.decode({})
        replies = {n: reply[i : i + 1] for i, n in enumerate(rt.QUERIES)}
        if not all(rt.valid_reply(r) for r in replies.values()):
            log.warning("%s: status replies with wrong fixed bits: %s", self.name, reply.hex())
        return rt.decode(replies)

    def _publish(self, status: rt.PrinterStatus) -> None:
        self.last_status = status
        facts = {"connection": "up", **status.facts()}
        if status is rt.NOT_SUPPORTED:
            reason = "connected; this connection cannot read status back"
            self._set_status(DeviceStatus(DeviceState.READY, reason, facts))
            return
        state, reason = status.state()
        self._set_status(DeviceStatus(state, reason, facts))

    def _poll_live(self) -> Link | None:
        """Status now, on a live connection: a connection that died while idle (printer
        power-cycled between polls) is rebuilt once before giving up."""
        for _ in range(2):
            if self._connect() is None:
                return None
            self._poll()
            if self._link is not None:
                return self._link
        return None

    def _print(self, reference: str, rendered: Any) -> Result[PrintReport]:
        link = self._poll_live()
        if link is None:
            return Err("offline", f"printer offline: {self.status.reason}", retryable=True)
        if self.status.state in _BLOCKING:
            return Err(_BLOCKING[self.status.state], self.status.reason, retryable=True)
        self._set_status(DeviceStatus(DeviceState.BUSY, "printing", self.status.facts))
        try:
            for start in range(0, len(rendered.data), CHUNK):
                link.write(rendered.data[start : start + CHUNK])
        except LinkError as exc:
            self._drop_link(f"connection lost mid-receipt: {_short(exc)}")
            return Err("connection_lost", "connection lost mid-receipt: reprint it", True)
        after = self._poll()
        if after is None:
            return Err("connection_lost", "connection lost after sending: reprint it", True)
        if after.paper is Fact.BAD:
            return Err("paper_out", "paper ran out during the receipt: load paper, reprint", True)
        if self.status.state in _BLOCKING:
            return Err(_BLOCKING[self.status.state], self.status.reason, retryable=True)
        confirmed = Fact.GOOD if after.paper is Fact.GOOD else Fact.UNKNOWN
        sent = len(rendered.data)
        return Ok(PrintReport(reference, sent, rendered.lines, confirmed, rendered.warnings))


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
