"""A QR scanner on a real pseudo-terminal: what it "scans" the driver reads.

Used by the tests, the demo panel and `kiosk sim scanner --pty`.
"""

from __future__ import annotations

import os

from drivers.scanner.framing import SUFFIXES
from drivers.serialport.plug import PluggablePort


class ScannerSimulator:
    def __init__(self, suffix: str = "CR", link: str | os.PathLike[str] | None = None) -> None:
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix must be one of {sorted(SUFFIXES)}, not {suffix!r}")
        self.suffix = suffix
        self._plug = PluggablePort(link)

    @property
    def path(self) -> str:
        return self._plug.path

    @property
    def plugged(self) -> bool:
        return self._plug.plugged

    def scan(self, code: str, encoding: str = "utf-8") -> None:
        """Present a code: its bytes then the suffix, in one burst like a real scanner."""
        self.send_raw(code.encode(encoding) + SUFFIXES[self.suffix])

    def send_raw(self, data: bytes) -> None:
        if self._plug.port is None:
            raise RuntimeError("the scanner is unplugged")
        self._plug.port.write(data)

    def unplug(self) -> None:
        self._plug.unplug()

    def plug(self) -> None:
        self._plug.plug()

    def close(self) -> None:
        self._plug.close()
