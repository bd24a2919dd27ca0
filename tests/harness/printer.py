"""Printer fixtures for every test suite: a virtual ESC/POS printer and a raw socket.

`virtual_printer`: the real TCP virtual printer on a free port. Switch paper with
`.set_paper("out")` (or `lines_left=N`), read decoded receipts from `.receipts` /
`.last_receipt` / `.wait_for_receipts(n)`, connect to `.url`. Stopped at teardown.

`socket_printer`: a bare TCP server that keeps every byte it gets in `.data`
(and never answers), for asserting on the raw ESC/POS stream.

`make_virtual_printer(**kwargs)`: more virtual printers (e.g. 58 mm paper).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.printer.virtual import VirtualPrinter


class SocketPrinter:
    """A TCP server that captures raw bytes; optionally answers each DLE EOT with `reply`."""

    def __init__(self, reply: bytes | None = None) -> None:
        self.reply = reply
        self._data = bytearray()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._clients: list[socket.socket] = []
        self._spawn(self._accept)

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def data(self) -> bytes:
        with self._lock:
            return bytes(self._data)

    def wait_for(self, needle: bytes, timeout_s: float = 20.0) -> bytes:
        """Wait until `needle` has arrived; returns everything received so far."""
        deadline = time.monotonic() + timeout_s
        while needle not in self.data and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self._server.close()
        for client in self._clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: Callable, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._clients.append(client)
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        try:
            while chunk := client.recv(65536):
                with self._lock:
                    self._data += chunk
                if self.reply is not None:
                    client.sendall(self.reply * chunk.count(b"\x10\x04"))
        except OSError:
            pass


@pytest.fixture
def make_virtual_printer(tmp_path: Path) -> Iterator[Callable[..., VirtualPrinter]]:
    started: list[VirtualPrinter] = []

    def make(**kwargs: object) -> VirtualPrinter:
        kwargs.setdefault("out_dir", tmp_path / f"receipts-{len(started)}")
        printer = VirtualPrinter(**kwargs).start()  # type: ignore[arg-type]
        started.append(printer)
        return printer

    yield make
    for printer in started:
        printer.stop()


@pytest.fixture
def virtual_printer(make_virtual_printer: Callable[..., VirtualPrinter]) -> VirtualPrinter:
    return make_virtual_printer()


@pytest.fixture
def socket_printer() -> Iterator[SocketPrinter]:
    printer = SocketPrinter()
    yield printer
    printer.close()
