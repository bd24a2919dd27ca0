"""Command APDUs, status words (ISO 7816-4) and a channel that handles 61xx / 6Cxx.

A `CardChannel` wraps any transmit function (pyscard, the in-process backend)
so profiles see one behaviour: GET RESPONSE is sent for 61xx, the command is
resent with the right Le for 6Cxx, and every other status word comes back for
the profile to judge, or as a `StatusWordError` naming the step.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

SW_OK = 0x9000
_SW_OK_BYTES = b"\x90\x00"  # 9000 as it ends an answer: compared as bytes on the hot path
MAX_CHAINED_RESPONSES = 32  # a card asking for more GET RESPONSEs than this is broken

# Status words a profile meets, each with an operator sentence (ISO 7816-4 §5.6).
SW_MEANINGS: dict[int, str] = {
    0x6700: "wrong length",
    0x6982: "security status not satisfied",
    0x6985: "conditions of use not satisfied",
    0x6A81: "function not supported",
    0x6A82: "file or application not found",
    0x6A83: "record not found",
    0x6A86: "incorrect parameters P1-P2",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
}


def describe_sw(sw: int) -> str:
    meaning = SW_MEANINGS.get(sw)
    if meaning is None and sw >> 8 in (0x62, 0x63):
        meaning = "warning"
    return f"{sw:04X} {meaning or 'unexpected status'}"


class CardError(Exception):
    """A card read failed. `code` is the stable machine code of the `Err` it becomes."""

    code = "card_error"

    def __init__(
        self, message: str, *, sw: int | None = None, step: str = "", code: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code or self.code
        self.sw = sw
        self.step = step


class CardRemovedError(CardError):
    code = "card_removed"


class MuteCardError(CardError):
    code = "mute_card"


class StatusWordError(CardError):
    """The card answered a step with a status word that ends the read."""

    def __init__(self, step: str, sw: int) -> None:
        super().__init__(f"{step}: card answered {describe_sw(sw)}", sw=sw, step=step)


Transmit = Callable[[bytes], bytes]  # command APDU -> response data + SW1 SW2


class Response(NamedTuple):
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK


def command(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = 0) -> bytes:
    """A short command APDU; `le=None` leaves Le out (case 1 / 3)."""
    apdu = bytes([cla, ins, p1, p2])
    if data:
        apdu += bytes([len(data)]) + data
    if le is not None:
        apdu += bytes([le & 0xFF])
    return apdu


# The commands of a read are the same for every card of a model: built once, not per
# read (a read right after an insertion runs cold, where every line costs).
@lru_cache(maxsize=64)
def select_by_name(aid: bytes) -> bytes:
    return command(0x00, 0xA4, 0x04, 0x00, aid)


@lru_cache(maxsize=64)
def select_file(fid: bytes) -> bytes:
    return command(0x00, 0xA4, 0x02, 0x00, fid)


@lru_cache(maxsize=512)
def read_record(record: int, sfi: int = 0) -> bytes:
    """READ RECORD `record` of the EF with short id `sfi`, or of the current EF when 0."""
    return command(0x00, 0xB2, record, (sfi << 3) | 0x04)


@lru_cache(maxsize=64)
def get_processing_options(pdol_data: bytes) -> bytes:
    return command(0x80, 0xA8, 0x00, 0x00, bytes([0x83, len(pdol_data)]) + pdol_data)


class CardChannel:
    """Sends command APDUs, following 61xx and 6Cxx."""

    def __init__(self, transmit: Transmit) -> None:
        self._transmit = transmit

    def send(self, apdu: bytes, step: str) -> Response:
        """The final response to `apdu`, after any GET RESPONSE / resend with Le."""
        reply = self._transmit(apdu)
        if reply[-2:] == _SW_OK_BYTES:  # the usual answer: final, no detour
            return Response(reply[:-2], SW_OK)
        return self._follow(apdu, reply, step)

    def expect_ok(self, apdu: bytes, step: str) -> bytes:
        """The data of a response that must end 9000; anything else is a `StatusWordError`."""
        reply = self._transmit(apdu)
        if reply[-2:] == _SW_OK_BYTES:
            return reply[:-2]
        response = self._follow(apdu, reply, step)
        if not response.ok:
            raise StatusWordError(step, response.sw)
        return response.data

    def _follow(self, apdu: bytes, reply: bytes, step: str) -> Response:
        """The final response from a first `reply` that did not end 9000."""
        response = _response(reply, step)
        sw1 = response.sw >> 8
        if sw1 != 0x6C and sw1 != 0x61:
            return response  # an error or a warning: final
        if sw1 == 0x6C:
            response = _response(self._transmit(apdu[:-1] + bytes([response.sw & 0xFF])), step)
        data = response.data
        for _ in range(MAX_CHAINED_RESPONSES):
            if response.sw >> 8 != 0x61:
                return Response(data, response.sw)
            get_response = command(0x00, 0xC0, 0x00, 0x00, le=response.sw & 0xFF)
            response = _response(self._transmit(get_response), step)
            data += response.data
        raise CardError(f"{step}: card kept answering 61xx", sw=response.sw, step=step)


def _response(reply: bytes, step: str) -> Response:
    if len(reply) < 2:
        raise CardError(f"{step}: answer of {len(reply)} bytes has no status word", step=step)
    return Response(reply[:-2], (reply[-2] << 8) | reply[-1])
