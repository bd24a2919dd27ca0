"""A simulated loopback plug (TX joined to RX) on a real pseudo-terminal, for the serial
loopback check: there is no plug on this machine, so a thread on the pty's device end sends
back what it hears, through `transform` to simulate a wrong baud rate or a broken wire."""

from __future__ import annotations

import threading
from collections.abc import Callable

from drivers.serialport.pty import VirtualPort


class LoopbackPlug:
    """The far end of a pty that answers every chunk with `transform(chunk)` (simulated plug)."""

    def __init__(self, transform: Callable[[bytes], bytes] = lambda chunk: chunk) -> None:
        self.port = VirtualPort()
        self.path = self.port.path
        self.heard = bytearray()
        self._transform = transform
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._echo, name="loopback-plug", daemon=True)
        self._thread.start()

    def _echo(self) -> None:
        while not self._stop.is_set():
            chunk = self.port.read(4096, timeout=0.05)
            if chunk:
                self.heard += chunk
                if answer := self._transform(chunk):
                    self.port.write(answer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.port.close()
