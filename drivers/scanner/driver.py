"""The QR and barcode scanner on a serial (or USB-serial) port.

Each code is delivered once, as a `ScannedCode`, to the scan listeners, on the
hardware thread. A scanner in continuous mode re-reads a code held under it
several times a second; repeats of the same code within `repeat_window_s` are
the same presentation and are not delivered again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

import serial

from drivers.device import (
    DeviceState,
    DeviceStatus,
    Fact,
    HealthLevel,
    HealthResult,
    Outcome,
)
from drivers.scanner.codes import CodeRules, ScannedCode, classify
from drivers.scanner.framing import SUFFIXES, Framer
from drivers.serialport.device import SerialDevice
from drivers.serialport.worker import PortGone

log = logging.getLogger(__name__)

ScanListener = Callable[[ScannedCode], None]


class SerialScanner(SerialDevice):
    kind = "scanner"

    def __init__(
        self,
        port: str,
        baud: int = 9600,
        suffix: str = "CR",
        *,
        name: str = "scanner",
        rules: CodeRules | None = None,
        repeat_window_s: float = 1.5,
        frame_gap_s: float = 0.3,
    ) -> None:
        super().__init__(name, port, baud)
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix must be one of {sorted(SUFFIXES)}, not {suffix!r}")
        self.suffix = suffix
        self._rules = rules or CodeRules()
        self._repeat_window_s = repeat_window_s
        self._frame_gap_s = frame_gap_s
        self._framer = Framer(suffix)
        self._last_byte_at = 0.0
        self._last_code: tuple[str, float] | None = None
        self._scan_listeners: list[ScanListener] = []
        self._next_scan: list[ScannedCode] = []
        self._scanned = threading.Condition()

    def capabilities(self) -> Mapping[str, object]:
        return {"symbologies": "as configured on the scanner", "suffix": self.suffix}

    def subscribe_scans(self, listener: ScanListener) -> None:
        self._scan_listeners.append(listener)

    @property
    def stats(self) -> Mapping[str, int]:
        s = self._framer.stats
        return {
            "codes": s.codes,
            "garbage": s.garbage,
            "partial": s.partial,
            "overlong": s.overlong,
        }

    def _facts(self) -> dict[str, Fact | str]:
        return {"port": self.port, "suffix": self.suffix}

    def _on_open(self, port: serial.Serial) -> None:
        port.reset_input_buffer()  # bytes queued before we opened belong to no one
        self._framer.idle()
        self._set_status(DeviceStatus(DeviceState.READY, "listening", self._facts()))

    def _on_lost(self, reason: str, present: bool) -> None:
        self._framer.idle()
        state = DeviceState.OFFLINE if present else DeviceState.NO_DEVICE
        wording = "scanner port cannot be used" if present else "scanner unplugged"
        self._set_status(DeviceStatus(state, wording, self._facts()))
        log.debug("%s: %s", self.name, reason)

    def _step(self, port: serial.Serial) -> None:
        data = port.read(max(1, port.in_waiting))
        now = time.monotonic()
        if data:
            self._last_byte_at = now
            for code in self._framer.feed(data):
                self._deliver(code, now)
        elif self._framer.pending and now - self._last_byte_at > self._frame_gap_s:
            self._framer.idle()
        if not data and not _still_there(port):
            raise PortGone("the port hung up")

    def _deliver(self, code: str, now: float) -> None:
        held = self._last_code is not None and self._last_code[0] == code
        if held and now - self._last_code[1] < self._repeat_window_s:
            self._last_code = (code, now)  # still held under the scanner: same presentation
            return
        self._last_code = (code, now)
        scanned = classify(code, self._rules)
        log.info("%s: scanned %s", self.name, scanned.masked)
        with self._scanned:
            self._next_scan.append(scanned)
            self._scanned.notify_all()
        for listener in list(self._scan_listeners):
            try:
                listener(scanned)
            except Exception:
                log.exception("%s: scan listener failed", self.name)

    def wait_for_scan(self, timeout: float) -> ScannedCode | None:
        """The next code scanned from now on, or None after `timeout` seconds."""
        with self._scanned:
            self._next_scan.clear()
            self._scanned.wait_for(lambda: bool(self._next_scan), timeout)
            return self._next_scan[0] if self._next_scan else None

    def health_check(
        self, level: HealthLevel = HealthLevel.INTERNAL, *, wait_s: float = 15.0
    ) -> HealthResult:
        status = self.status
        if not self.port:
            return HealthResult(self.name, level, Outcome.SKIPPED, "no scanner fitted")
        if status.state is not DeviceState.READY:
            return HealthResult(
                self.name, level, Outcome.FAIL, f"scanner {status.state}", cause=status.reason
            )
        details = {k: str(v) for k, v in self.stats.items()}
        if level is HealthLevel.EXTERNAL:
            return HealthResult(
                self.name,
                level,
                Outcome.SKIPPED,
                "a serial scanner has no test command; use the interactive check",
            )
        if level is HealthLevel.INTERACTIVE:
            scanned = self.wait_for_scan(wait_s)
            if scanned is None:
                return HealthResult(
                    self.name,
                    level,
                    Outcome.FAIL,
                    f"no code scanned within {wait_s:.0f} s",
                    cause="check the scanner's baud rate and suffix match the config",
                    details=details,
                )
            return HealthResult(
                self.name, level, Outcome.PASS, f"read a {scanned.kind} code", details=details
            )
        return HealthResult(
            self.name, level, Outcome.PASS, f"port {self.port} open", details=details
        )


def _still_there(port: serial.Serial) -> bool:
    """A quiet port is fine; a port whose device node is gone is not."""
    try:
        port.in_waiting  # noqa: B018 - the ioctl fails once the device is gone
    except (OSError, serial.SerialException):
        return False
    return True
