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
import threading
import time
import tty

_SLICE_S = 0.05  # longest a read holds the descriptor lock, so close() never waits long


def open_pty_pair() -> tuple[int, int, str]:
    """Open a raw pty: (master fd, slave fd, slave path pyserial can open)."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


def _slice(deadline: float | None) -> float:
    if deadline is None:
        return _SLICE_S
    return max(0.0, min(_SLICE_S, deadline - time.monotonic()))


class VirtualPort:
    """The device end of a pty: a byte pipe with a device path for the driver."""

    def __init__(self) -> None:
        self._master, self._slave, self.path = open_pty_pair()
        self._closed = False
        # Reads and writes run on the simulator's thread while close() comes from another
        # (a test or the demo panel pulling the plug): without this lock a read could
        # land on a descriptor number the kernel has already given to another file.
        self._io = threading.Lock()

    @property
    def closed(self) -> bool:
        return self._closed

    def fileno(self) -> int:
        return self._master

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + 5.0
        while view:
            with self._io:
                if self._closed:
                    raise OSError("the virtual port is unplugged")
                _, ready, _ = select.select([], [self._master], [], _SLICE_S)
                if ready:
                    view = view[os.write(self._master, view) :]
                    continue
            if time.monotonic() > deadline:
                raise TimeoutError("the pty is not draining: nobody reads the other end")

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        """Up to `size` bytes; b"" when nothing came within `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._io:
                if self._closed:
                    return b""
                ready, _, _ = select.select([self._master], [], [], _slice(deadline))
                if ready:
                    try:
                        return os.read(self._master, size)
                    except OSError:  # EIO: the other end is gone for good
                        return b""
            if deadline is not None and time.monotonic() >= deadline:
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
        with self._io:
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
