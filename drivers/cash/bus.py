"""The host side of a ccTalk bus on a serial port: one request, one checked reply."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import serial

from drivers.cash.cctalk import HOST_ADDRESS, FrameError, Header, decode, encode
from drivers.device import Err, Ok, Result

log = logging.getLogger(__name__)


@dataclass
class BusStats:
    requests: int = 0
    retries: int = 0
    no_reply: int = 0
    checksum_errors: int = 0
    echo_errors: int = 0


class CcTalkBus:
    """Sends a request to one device and returns the reply data, or a typed error.

    Errors are retried `retries` times when they are transient (no reply, bad
    checksum, garbled echo). Every command used by the drivers is safe to repeat:
    reads do not consume events, and a repeated ROUTE_BILL answers "escrow empty".
    A pulled cable raises (serial.SerialException / OSError) for the hardware
    thread to handle.
    """

    def __init__(
        self,
        port: serial.Serial,
        address: int,
        *,
        echo: bool = True,
        reply_timeout: float = 0.5,
        retries: int = 2,
    ) -> None:
        self.port = port
        self.address = address
        self.echo = echo
        self.reply_timeout = reply_timeout
        self.retries = retries
        self.stats = BusStats()

    def request(self, header: Header | int, data: bytes = b"") -> Result[bytes]:
        result: Result[bytes] = Err("no_reply", "not sent")
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.retries += 1
            result = self._exchange(int(header), data)
            if result.ok or not result.retryable:
                return result
            log.debug("ccTalk header %d: %s (attempt %d)", header, result.code, attempt + 1)
        return result

    def _exchange(self, header: int, data: bytes) -> Result[bytes]:
        self.stats.requests += 1
        frame = encode(self.address, HOST_ADDRESS, header, data)
        self.port.reset_input_buffer()  # late bytes of an earlier exchange are stale
        self.port.write(frame)
        self.port.flush()
        deadline = time.monotonic() + self.reply_timeout
        if self.echo and self._read(len(frame), deadline) != frame:
            self.stats.echo_errors += 1
            return Err("echo", "the bus did not echo our request (collision?)", retryable=True)
        return self._reply(deadline)

    def _reply(self, deadline: float) -> Result[bytes]:
        head = self._read(2, deadline)
        if len(head) < 2:
            self.stats.no_reply += 1
            return Err("no_reply", "the device did not answer", retryable=True)
        raw = head + self._read(head[1] + 3, deadline)
        try:
            reply = decode(raw)
        except FrameError as exc:
            if exc.code == "checksum":
                self.stats.checksum_errors += 1
            else:
                self.stats.no_reply += 1
            return Err(exc.code, f"bad reply: {exc}", retryable=True)
        if reply.destination != HOST_ADDRESS or reply.source != self.address:
            return Err("misaddressed", "a reply from another address", retryable=True)
        if reply.header == Header.NAK:
            return Err("nak", "the device refused the command")
        if reply.header != Header.ACK:
            return Err("bad_reply", f"reply header {reply.header}, expected 0", retryable=True)
        return Ok(reply.data)

    def _read(self, size: int, deadline: float) -> bytes:
        data = b""
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.port.timeout = min(remaining, 0.1)
            data += self.port.read(size - len(data))
        return data
