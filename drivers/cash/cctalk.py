"""ccTalk framing, from the public generic specification.

A frame is `[destination][data length][source][header][data…][checksum]`, the
checksum making the sum of all bytes 0 mod 256. The host is address 1; a reply
carries header 0 (ACK, with data) or 5 (NAK). The bus is one wire: the host
reads its own bytes back before the reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

HOST_ADDRESS = 1
MAX_DATA = 252


class Header(IntEnum):
    ACK = 0
    NAK = 5
    RESET_DEVICE = 1
    REQUEST_COMMS_REVISION = 4
    READ_BUFFERED_BILL_EVENTS = 159
    REQUEST_BILL_ID = 157
    REQUEST_COUNTRY_SCALING = 156
    ROUTE_BILL = 154
    MODIFY_MASTER_INHIBIT = 228
    REQUEST_MASTER_INHIBIT = 227
    MODIFY_INHIBIT_STATUS = 231
    REQUEST_INHIBIT_STATUS = 230
    READ_BUFFERED_CREDIT = 229
    REQUEST_SOFTWARE_REVISION = 241
    REQUEST_SERIAL_NUMBER = 242
    REQUEST_PRODUCT_CODE = 244
    REQUEST_EQUIPMENT_CATEGORY = 245
    REQUEST_MANUFACTURER_ID = 246
    SIMPLE_POLL = 254


class Route(IntEnum):
    """Data byte of ROUTE_BILL."""

    RETURN = 0
    STACK = 1
    EXTEND_ESCROW = 255


ROUTE_ESCROW_EMPTY = 254  # ROUTE_BILL answer: nothing in escrow
ROUTE_FAILED = 255  # ROUTE_BILL answer: the bill could not be routed


class FrameError(ValueError):
    """A frame that cannot be trusted; `code` is checksum, truncated or length."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Frame:
    destination: int
    source: int
    header: int
    data: bytes = b""

    def encode(self) -> bytes:
        return encode(self.destination, self.source, self.header, self.data)


def checksum(body: bytes) -> int:
    """The byte that makes the frame's sum 0 mod 256."""
    return (-sum(body)) & 0xFF


def encode(destination: int, source: int, header: int, data: bytes = b"") -> bytes:
    if len(data) > MAX_DATA:
        raise ValueError(f"ccTalk data is at most {MAX_DATA} bytes, got {len(data)}")
    body = bytes([destination, len(data), source, header]) + bytes(data)
    return body + bytes([checksum(body)])


def decode(raw: bytes) -> Frame:
    if len(raw) < 5:
        raise FrameError("truncated", f"a ccTalk frame is at least 5 bytes, got {len(raw)}")
    if len(raw) != raw[1] + 5:
        raise FrameError("length", f"length byte says {raw[1] + 5} bytes, got {len(raw)}")
    if sum(raw) & 0xFF:
        raise FrameError("checksum", "checksum error")
    return Frame(destination=raw[0], source=raw[2], header=raw[3], data=bytes(raw[4:-1]))


def events_since(cursor: int, counter: int) -> int:
    """How many events the device logged between `cursor` and `counter`.

    The counter runs 1..255 and wraps to 1; 0 only ever means "just reset", so
    from cursor 0 the count is the counter itself.
    """
    if not 0 <= cursor <= 255 or not 0 <= counter <= 255:
        raise ValueError("event counters are 0..255")
    if counter == 0:
        return 0
    if cursor == 0:
        return counter
    return (counter - cursor) % 255


def next_counter(counter: int, steps: int = 1) -> int:
    """The counter after `steps` more events (255 wraps to 1, never to 0)."""
    return (counter - 1 + steps) % 255 + 1 if steps else counter
