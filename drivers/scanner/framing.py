"""Cut the scanner's byte stream into codes.

A scanner sends each code in one burst followed by its suffix (CR, LF or CRLF).
Anything else on the line is noise: bytes that are not text, a burst that stops
without its suffix (cable wiggled, scanner unplugged mid-code), or a run longer
than any QR code can hold. Noise is dropped and counted, never delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

SUFFIXES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n"}

# A version-40 QR code holds at most 7089 digits; nothing longer is a real code.
MAX_CODE_BYTES = 7200


@dataclass
class FrameStats:
    codes: int = 0
    garbage: int = 0  # frames that were not printable text
    partial: int = 0  # bursts that never got their suffix
    overlong: int = 0  # runs longer than MAX_CODE_BYTES


def decode_code(frame: bytes) -> str | None:
    """The code as text, or None when the frame is not a printable code."""
    frame = frame.strip(b"\r\n")
    if not frame:
        return None
    try:
        text = frame.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = frame.decode("gb18030")  # Chinese scanners often send GBK text
        except UnicodeDecodeError:
            return None
    if not text.isprintable() or text != text.strip():
        return None
    return text


class Framer:
    """Feed bytes in, get complete codes out; call `idle()` when the line goes quiet."""

    def __init__(self, suffix: str = "CR", max_bytes: int = MAX_CODE_BYTES) -> None:
        self._terminator = SUFFIXES[suffix]
        self._max = max_bytes
        self._buffer = bytearray()
        self._discarding = False  # inside an overlong run: drop up to the next suffix
        self.stats = FrameStats()

    @property
    def pending(self) -> bool:
        return bool(self._buffer) or self._discarding

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        codes: list[str] = []
        while True:
            end = self._buffer.find(self._terminator)
            if end < 0:
                break
            frame = bytes(self._buffer[:end])
            del self._buffer[: end + len(self._terminator)]
            if self._discarding:
                self._discarding = False
                continue
            if len(frame) > self._max:
                self.stats.overlong += 1
                continue
            code = self._accept(frame)
            if code is not None:
                codes.append(code)
        if len(self._buffer) > self._max:
            self._start_discarding()
        return codes

    def idle(self) -> None:
        """The line has been quiet: whatever is buffered will never be completed."""
        if self._discarding:
            self._discarding = False
            self._buffer.clear()
        elif self._buffer.strip(b"\r\n"):
            self.stats.partial += 1
            self._buffer.clear()
        else:
            self._buffer.clear()

    def _start_discarding(self) -> None:
        if not self._discarding:
            self.stats.overlong += 1
        self._discarding = True
        self._buffer.clear()

    def _accept(self, frame: bytes) -> str | None:
        if not frame.strip(b"\r\n"):
            return None  # a bare suffix, e.g. the LF of a CRLF scanner set to CR
        code = decode_code(frame)
        if code is None:
            self.stats.garbage += 1
            return None
        self.stats.codes += 1
        return code
