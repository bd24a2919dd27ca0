"""Real pseudo-terminals standing in for serial cables.

The simulator (the "device") holds the master end; the driver opens the slave
path with pyserial exactly as it would open /dev/ttyUSB0. Both ends are raw, so
no byte is echoed, translated or buffered by line. The device side also keeps
a slave descriptor open so the master never reads EIO while the driver is
between opens; closing the `VirtualPort` removes the device node, which is what
the driver sees when a USB-serial adapter is pulled.
"""

from __future__ import annotations

import contextlib
import os
import select
import tty


def open_pty_pair() -> tuple[int, int, str]:
    """Open a raw pty: (master fd, slave fd, slave path pyserial can open)."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


class VirtualPort:
    """The device end of a pty: a byte pipe with a device path for the driver."""

    def __init__(self) -> None:
        self._master, self._slave, self.path = open_pty_pair()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def fileno(self) -> int:
        return self._master

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self._master], [], 5.0)
            if not ready:
                raise TimeoutError("the pty is not draining: nobody reads the other end")
            written = os.write(self._master, view)
            view = view[written:]

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        """Up to `size` bytes; b"" when nothing came within `timeout` seconds."""
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self._master, size)
        except OSError:  # EIO: the other end is gone for good
            return b""

    def read_exactly(self, size: int, timeout: float) -> bytes:
        """Read `size` bytes, or fewer if `timeout` passes between two chunks."""
        data = b""
        while len(data) < size:
            chunk = self.read(size - len(data), timeout)
            if not chunk:
                break
            data += chunk
        return data

    def close(self) -> None:
        """Pull the plug: the device node disappears and the driver's reads fail."""
        if self._closed:
            return
        self._closed = True
        for fd in (self._slave, self._master):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> VirtualPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
