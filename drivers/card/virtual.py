"""A virtual card for vpcd: connects to the virtual reader as a card and answers
its APDUs from a card image (brief §4).

vpcd listens on 127.0.0.1, reader N on port 35963 + N. Every message either way
is a 2-byte big-endian length and that many bytes; a 1-byte message from the
reader is a control (0 power off, 1 power on, 2 reset, 4 send the ATR). The card
connecting is an insertion, disconnecting a removal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import threading
from pathlib import Path

from drivers.card.emulator import CardEmulator, CardImage, ImageError, list_images, load_image

__all__ = ["ImageError", "VirtualCard", "list_images", "load_image"]

log = logging.getLogger(__name__)

VPCD_BASE_PORT = 35963
PORT_ENV = "KIOSK_VPCD_PORT"  # another vpcd (a test session's own pcscd) on other ports


def default_base_port() -> int:
    return int(os.environ.get(PORT_ENV) or VPCD_BASE_PORT)


POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04


class VirtualCardError(Exception):
    """The virtual card cannot be inserted (vpcd not listening: pcscd not running)."""


class VirtualCard:
    """One card in one vpcd reader. `insert()` connects and serves; `remove()` disconnects.

    `pull_after` pulls the card (disconnects) on receiving that many APDUs
    instead of answering the last one, as a patient pulling the card mid-read.
    """

    def __init__(
        self,
        image: str | Path | CardImage,
        reader_index: int = 0,
        host: str = "127.0.0.1",
        pull_after: int | None = None,
        base_port: int | None = None,
    ) -> None:
        self.image = load_image(image)
        self.reader_index = reader_index
        self.address = (host, (base_port or default_base_port()) + reader_index)
        self.pull_after = pull_after
        self.apdus_received = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._emulator = CardEmulator(self.image)
        self.disconnected = threading.Event()
        self.powered = threading.Event()  # vpcd asked for the ATR: the reader has the card

    @property
    def inserted(self) -> bool:
        return self._sock is not None and not self.disconnected.is_set()

    def insert(self, timeout_s: float = 5.0) -> VirtualCard:
        if self.inserted:
            return self
        try:
            sock = socket.create_connection(self.address, timeout=timeout_s)
        except OSError as exc:
            raise VirtualCardError(
                f"cannot reach vpcd at {self.address[0]}:{self.address[1]} ({exc}); "
                "is pcscd running with the vpcd driver?"
            ) from exc
        sock.settimeout(None)
        # Nagle and delayed ACK cost ~48 ms per APDU with vpcd's two-write framing.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self.apdus_received = sock, 0
        self.disconnected.clear()
        self.powered.clear()
        self._emulator = CardEmulator(self.image)
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"vcard-{self.image.name}", daemon=True
        )
        self._thread.start()
        return self

    def remove(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            _close(sock)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    def wait_disconnected(self, timeout_s: float | None = None) -> bool:
        return self.disconnected.wait(timeout_s)

    def __enter__(self) -> VirtualCard:
        return self.insert()

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                message = _receive(sock)
                if message is None:
                    return
                reply = self._answer(message)
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError as exc:
            log.debug("virtual card %s: connection ended (%s)", self.image.name, exc)
        finally:
            _close(sock)
            self.disconnected.set()

    def _answer(self, message: bytes) -> bytes | None:
        if len(message) == 1:
            if message[0] == GET_ATR:
                self.powered.set()
                return self.image.atr
            if message[0] in (POWER_ON, RESET, POWER_OFF):
                self._emulator.reset()
            return None
        self.apdus_received += 1
        if self.pull_after is not None and self.apdus_received >= self.pull_after:
            raise ConnectionAbortedError("card pulled mid-read")
        if self.image.mute:
            return None
        return self._emulator.process(message)


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    """`size` bytes, looping on short reads; None when the reader hung up."""
    chunks, needed = [], size
    while needed:
        chunk = sock.recv(needed)
        # Delayed ACK comes back on after each receive, so it is switched off each time.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        if not chunk:
            return None
        chunks.append(chunk)
        needed -= len(chunk)
    return b"".join(chunks)


def _receive(sock: socket.socket) -> bytes | None:
    header = _receive_exactly(sock, 2)
    if header is None:
        return None
    return _receive_exactly(sock, struct.unpack(">H", header)[0])


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
