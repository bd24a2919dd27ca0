"""The hardware thread of a serial device: open, work, recover after an unplug.

All I/O on the port happens on this one thread. Other threads hand it work with
`call()`, which runs a function on the hardware thread and waits for its result,
so a driver never needs a lock around the port.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import termios
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import serial

log = logging.getLogger(__name__)

R = TypeVar("R")


class PortGone(Exception):
    """Raised by a driver step when the port stopped working (unplugged, hung up)."""


# What pyserial and the OS raise when a cable is pulled or a device node vanishes.
PORT_ERRORS = (serial.SerialException, OSError, termios.error, PortGone)


class SerialWorker:
    """Runs `step(port)` in a loop on its own thread, reopening the port after a loss.

    Hooks, all called on the hardware thread:
    - `on_open(port)`: just opened (clear stale input, greet the device);
    - `step(port)`: one unit of work, returning within about `read_timeout`;
    - `on_lost(reason, present)`: the port could not be opened or stopped working;
      `present` tells whether the device node exists at all.
    """

    def __init__(
        self,
        name: str,
        path: str,
        baud: int,
        *,
        step: Callable[[serial.Serial], None],
        on_open: Callable[[serial.Serial], None],
        on_lost: Callable[[str, bool], None],
        read_timeout: float = 0.05,
        retry_s: float = 0.5,
    ) -> None:
        self.name = name
        self.path = path
        self.baud = baud
        self._step = step
        self._on_open = on_open
        self._on_lost = on_lost
        self._read_timeout = read_timeout
        self._retry_s = retry_s
        self._port: serial.Serial | None = None
        self._calls: queue.SimpleQueue[tuple[Callable[[Any], Any], Future[Any]]] = (
            queue.SimpleQueue()
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def connected(self) -> bool:
        return self._port is not None

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"hw-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None

    def on_hardware_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def call(self, fn: Callable[[serial.Serial | None], R], timeout: float = 10.0) -> R:
        """Run `fn(port or None)` on the hardware thread and return its result."""
        if self.on_hardware_thread():
            return fn(self._port)
        future: Future[R] = Future()
        self._calls.put((fn, future))
        return future.result(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._run_calls()
            if self._port is None and not self._try_open():
                self._stop.wait(self._retry_s)
                continue
            try:
                self._step(self._port)
            except PORT_ERRORS as exc:
                self._lose(f"port stopped working: {exc}")
            except Exception:  # a driver bug must not kill the hardware thread
                log.exception("%s: unexpected error on the hardware thread", self.name)
                self._stop.wait(self._retry_s)
        self._close_port()

    def _run_calls(self) -> None:
        while True:
            try:
                fn, future = self._calls.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(self._port))
            except PORT_ERRORS as exc:
                future.set_exception(exc)
                self._lose(f"port stopped working: {exc}")
            except Exception as exc:
                future.set_exception(exc)

    def _try_open(self) -> bool:
        try:
            port = serial.Serial(self.path, self.baud, timeout=self._read_timeout)
        except (serial.SerialException, OSError, termios.error) as exc:
            present = os.path.exists(self.path)
            reason = f"cannot open {self.path}: {exc}" if present else f"{self.path} not present"
            self._on_lost(reason, present)
            return False
        self._port = port
        log.info("%s: opened %s at %d baud", self.name, self.path, self.baud)
        try:
            self._on_open(port)
        except PORT_ERRORS as exc:
            self._lose(f"port failed right after opening: {exc}")
            return False
        return True

    def _lose(self, reason: str) -> None:
        self._close_port()
        self._on_lost(reason, os.path.exists(self.path))
        self._stop.wait(self._retry_s)

    def _close_port(self) -> None:
        if self._port is not None:
            with contextlib.suppress(serial.SerialException, OSError, termios.error):
                self._port.close()
            self._port = None
