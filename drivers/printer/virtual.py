"""A virtual ESC/POS printer: a real TCP server that decodes the byte stream it gets.

It answers DLE EOT with the configured paper state (n=4: 0x12 ok, 0x1E near end,
0x72 out), can run out of paper after N lines, drop the connection after N
bytes, or answer status with nothing, two bytes or garbage. It decodes text
(GB18030 in Chinese mode, like a Chinese printer whose font covers only the
2-byte area: a 4-byte character prints as "?"), native QR codes, raster images
and cuts into `Receipt`s, kept in memory and, with `out_dir`, saved as .txt and
.png. Used by the tests, `kiosk sim printer` and the demo's "last receipt".
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from drivers.printer.document import char_width

log = logging.getLogger(__name__)

PaperState = Literal["ok", "near-end", "out"]
StatusMode = Literal["normal", "silent", "double", "garbage"]
PAPER_STATES: tuple[str, ...] = ("ok", "near-end", "out")
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
MONO_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
LINE_PITCH = 30  # dots per text line (24-dot font plus spacing)
_INVERT = bytes(255 - i for i in range(256))


@dataclass(frozen=True)
class PrintedLine:
    text: str
    align: str = "left"
    bold: bool = False
    width: int = 1  # character size multipliers (GS !)
    height: int = 1


@dataclass
class Receipt:
    """What came out of the printer between two cuts."""

    elements: list[tuple] = field(default_factory=list)  # ("text", line) ("image", img) ...
    cut: bool = False
    paper_ran_out: bool = False
    unprintable: int = 0  # characters the font could not print (printed as "?")
    overflowed: int = 0  # lines wider than the paper (the printer would wrap them)
    unknown_commands: list[str] = field(default_factory=list)
    paper_width_mm: int = 80

    @property
    def styled_lines(self) -> list[PrintedLine]:
        """Text lines with their alignment, emphasis and character size."""
        return [e[1] for e in self.elements if e[0] == "text"]

    @property
    def lines(self) -> list[str]:
        """The decoded text lines (images and QR codes are not lines)."""
        return [line.text.rstrip() for line in self.styled_lines]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def qr_payloads(self) -> list[str]:
        return [e[1] for e in self.elements if e[0] == "qr"]

    @property
    def images(self) -> list[Image.Image]:
        return [e[1] for e in self.elements if e[0] == "image"]

    def to_text(self) -> str:
        out = []
        for element in self.elements:
            kind = element[0]
            if kind == "text":
                out.append(element[1].text.rstrip())
            elif kind == "qr":
                out.append(f"[QR {element[1]}]")
            elif kind == "image":
                out.append(f"[IMAGE {element[1].width}x{element[1].height}]")
        out.append("[CUT]" if self.cut else "[NOT CUT]")
        if self.paper_ran_out:
            out.append("[PAPER RAN OUT]")
        return "\n".join(out) + "\n"

    def to_png(self) -> Image.Image:
        return _ReceiptPainter(self).paint()


class EscPosDecoder:
    """Decodes one connection's byte stream; returns the replies to send back."""

    def __init__(self, printer: VirtualPrinter) -> None:
        self.printer = printer
        self.buf = b""
        self.chinese = printer.chinese_by_default
        self._reset_style()
        self.line: list[str] = []
        self.qr_data = ""
        self.qr_size = 3

    def _reset_style(self) -> None:
        self.align, self.bold, self.width, self.height = "left", False, 1, 1

    def feed(self, data: bytes) -> bytes:
        self.buf += data
        replies = []
        i = 0
        while i < len(self.buf):
            used, reply = self._step(i)
            if used == 0:  # command incomplete: wait for more bytes
                break
            i += used
            if reply:
                replies.append(reply)
        self.buf = self.buf[i:]
        return b"".join(replies)

    def _need(self, i: int, n: int) -> bool:
        return len(self.buf) - i >= n

    def _step(self, i: int) -> tuple[int, bytes]:
        b = self.buf[i]
        if b == 0x0A:
            self._end_line()
            return 1, b""
        if b == 0x10:
            return self._dle(i)
        if b == 0x1B:
            return self._esc(i), b""
        if b == 0x1D:
            return self._gs(i)
        if b == 0x1C:
            return self._fs(i), b""
        if b < 0x20 or b == 0x7F:
            return 1, b""
        return self._char(i), b""

    # --- text ---------------------------------------------------------------------

    def _char(self, i: int) -> int:
        b = self.buf[i]
        if b < 0x80:
            self.line.append(chr(b))
            return 1
        if not self.chinese:
            self.line.append(bytes([b]).decode("cp437"))
            return 1
        if not self._need(i, 2):
            return 0
        if 0x30 <= self.buf[i + 1] <= 0x39:  # 4-byte GB18030: not in the printer's font
            if not self._need(i, 4):
                return 0
            self.line.append("?")
            self.printer._note_unprintable()
            return 4
        self.line.append(self.buf[i : i + 2].decode("gb18030", errors="replace"))
        return 2

    def _end_line(self) -> None:
        text = "".join(self.line)
        self.line = []
        line = PrintedLine(text, self.align, self.bold, self.width, self.height)
        self.printer._emit(("text", line), lines=self.height)

    # --- command families -----------------------------------------------------------

    def _dle(self, i: int) -> tuple[int, bytes]:
        if not self._need(i, 3):
            return 0, b""
        if self.buf[i + 1] == 0x04:
            return 3, self.printer._status_reply(self.buf[i + 2])
        if self.buf[i + 1] == 0x14:
            return (5, b"") if self._need(i, 5) else (0, b"")
        return 3, b""

    def _esc(self, i: int) -> int:
        if not self._need(i, 2):
            return 0
        c = chr(self.buf[i + 1])
        if c == "@":
            self._reset_style()
            self.chinese = self.printer.chinese_by_default
            return 2
        if c == "2":
            return 2
        if c == "p":
            return 5 if self._need(i, 5) else 0
        if c in "aE!dJM-tG{3RVU" and not self._need(i, 3):
            return 0
        arg = self.buf[i + 2] if self._need(i, 3) else 0
        if c == "a":
            self.align = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center"}.get(
                arg, "right"
            )
        elif c == "E":
            self.bold = bool(arg & 1)
        elif c == "!":
            self.bold = bool(arg & 0x08)
            self.height, self.width = (2 if arg & 0x10 else 1), (2 if arg & 0x20 else 1)
        elif c == "d":
            self.printer._emit(("feed", arg), lines=arg)
        elif c not in "JM-tG{3RVU":
            self.printer._note_unknown(f"ESC {c!r}")
            return 2
        return 3

    def _gs(self, i: int) -> tuple[int, bytes]:
        if not self._need(i, 3):
            return 0, b""
        c, arg = chr(self.buf[i + 1]), self.buf[i + 2]
        if c == "!":
            self.width, self.height = (arg >> 4) + 1, (arg & 0x0F) + 1
            return 3, b""
        if c == "V":
            if arg in (0, 1, 48, 49):
                self._cut()
                return 3, b""
            if not self._need(i, 4):
                return 0, b""
            self._cut()
            return 4, b""
        if c in "LW":
            return (4, b"") if self._need(i, 4) else (0, b"")
        if c == "v":
            return self._raster(i), b""
        if c == "(":
            return self._gs_paren(i), b""
        if c == "r":
            return 3, self.printer._status_reply(4)
        if c == "k":
            return self._barcode(i), b""
        if c not in "BHfhwab":
            self.printer._note_unknown(f"GS {c!r}")
        return 3, b""

    def _fs(self, i: int) -> int:
        if not self._need(i, 2):
            return 0
        c = chr(self.buf[i + 1])
        if c == "&":
            self.chinese = True
            return 2
        if c == ".":
            self.chinese = False
            return 2
        if c in "!W-C":
            return 3 if self._need(i, 3) else 0
        self.printer._note_unknown(f"FS {c!r}")
        return 2

    def _raster(self, i: int) -> int:
        if not self._need(i, 8):
            return 0
        width_bytes = int.from_bytes(self.buf[i + 4 : i + 6], "little")
        height = int.from_bytes(self.buf[i + 6 : i + 8], "little")
        size = 8 + width_bytes * height
        if not self._need(i, size):
            return 0
        data = self.buf[i + 8 : i + size].translate(_INVERT)
        image = Image.frombytes("1", (width_bytes * 8, height), data)
        self.printer._emit(("image", image), lines=-(-height // LINE_PITCH))
        return size

    def _gs_paren(self, i: int) -> int:
        if not self._need(i, 5):
            return 0
        fn = chr(self.buf[i + 2])
        length = int.from_bytes(self.buf[i + 3 : i + 5], "little")
        if not self._need(i, 5 + length):
            return 0
        body = self.buf[i + 5 : i + 5 + length]
        if fn == "k" and len(body) >= 2 and body[0] == 0x31:
            self._qr(body)
        elif fn != "k":
            self.printer._note_unknown(f"GS ( {fn}")
        return 5 + length

    def _qr(self, body: bytes) -> None:
        fn = body[1]
        if fn == 0x43 and len(body) > 2:  # module size
            self.qr_size = body[2]
        elif fn == 0x50:  # store data (after the m byte)
            self.qr_data = body[3:].decode("utf-8", errors="replace")
        elif fn == 0x51:  # print the stored symbol
            self.printer._emit(("qr", self.qr_data, self.qr_size, self.align), lines=4)

    def _barcode(self, i: int) -> int:
        m = self.buf[i + 2]
        if m <= 6:
            end = self.buf.find(b"\x00", i + 3)
            return 0 if end < 0 else end + 1 - i
        if not self._need(i, 4):
            return 0
        size = 4 + self.buf[i + 3]
        return size if self._need(i, size) else 0

    def _cut(self) -> None:
        if self.line:
            self._end_line()
        self.printer._finish_receipt(cut=True)


class VirtualPrinter:
    """The TCP server. Thread-safe; every setter takes effect on the next byte."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        paper: PaperState = "ok",
        paper_width_mm: int = 80,
        out_dir: str | Path | None = None,
        chinese_by_default: bool = True,
    ) -> None:
        if paper not in PAPER_STATES:
            raise ValueError(f"paper must be one of {PAPER_STATES}, not {paper!r}")
        self.host, self.port = host, port
        self.paper: str = paper
        self.paper_width_mm = paper_width_mm
        self.out_dir = Path(out_dir) if out_dir else None
        self.chinese_by_default = chinese_by_default
        self.lines_left: int | None = None
        self.cover_open = False
        self.cutter_error = False
        self.status_mode: StatusMode = "normal"
        self.drop_after_bytes: int | None = None
        self.bytes_received = 0
        self.receipts: list[Receipt] = []
        self.on_receipt: Callable[[Receipt], None] | None = None
        self._current = Receipt(paper_width_mm=paper_width_mm)
        self._lock = threading.Condition()
        self._server: socket.socket | None = None
        self._clients: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    # --- control ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def set_paper(self, paper: PaperState, lines_left: int | None = None) -> None:
        """Set the paper state; with `lines_left`, paper runs out after that many lines."""
        if paper not in PAPER_STATES:
            raise ValueError(f"paper must be one of {PAPER_STATES}, not {paper!r}")
        with self._lock:
            self.paper, self.lines_left = paper, lines_left

    @property
    def last_receipt(self) -> Receipt | None:
        with self._lock:
            return self.receipts[-1] if self.receipts else None

    def wait_for_receipts(self, count: int, timeout_s: float = 20.0) -> list[Receipt]:
        with self._lock:
            self._lock.wait_for(lambda: len(self.receipts) >= count, timeout_s)
            return list(self.receipts)

    def start(self) -> VirtualPrinter:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.port))
        server.listen(4)
        self.port = server.getsockname()[1]
        self._server = server
        self._spawn(self._accept_loop, server)
        log.info("virtual printer listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Like switching the printer off: closes the listener and every connection."""
        server, self._server = self._server, None
        if server:
            _hard_close(server)  # shutdown() wakes the thread blocked in accept()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            _hard_close(client)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- network ------------------------------------------------------------------

    def _spawn(self, target: Callable, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="vprinter")
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return  # listener closed
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._clients.add(client)
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        decoder = EscPosDecoder(self)
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                data, drop = self._count_bytes(data)
                reply = decoder.feed(data)
                if drop:
                    _hard_close(client)
                    break
                if reply:
                    client.sendall(reply)
        except OSError:
            pass  # connection reset or closed by stop()
        finally:
            with self._lock:
                self._clients.discard(client)
            client.close()
            if decoder.line:
                decoder._end_line()
            self._finish_receipt(cut=False)

    def _count_bytes(self, data: bytes) -> tuple[bytes, bool]:
        """Apply a one-shot `drop_after_bytes`: keep only the bytes before the drop."""
        with self._lock:
            self.bytes_received += len(data)
            if self.drop_after_bytes is None:
                return data, False
            if len(data) < self.drop_after_bytes:
                self.drop_after_bytes -= len(data)
                return data, False
            keep, self.drop_after_bytes = self.drop_after_bytes, None
            return data[:keep], True

    # --- called by decoders ---------------------------------------------------------

    def _status_reply(self, n: int) -> bytes:
        with self._lock:
            mode, byte = self.status_mode, self._status_byte(n)
        if mode == "silent":
            return b""
        if mode == "double":
            return bytes([byte, byte])
        if mode == "garbage":
            return b"\x00"
        return bytes([byte])

    def _status_byte(self, n: int) -> int:
        out = self.paper == "out"
        stopped = out or self.cover_open or self.cutter_error
        bits = {
            1: 0x08 if stopped else 0,
            2: (0x04 if self.cover_open else 0)
            | (0x20 if out else 0)
            | (0x40 if self.cutter_error else 0),
            3: 0x08 if self.cutter_error else 0,
            4: 0x60 if out else 0x0C if self.paper == "near-end" else 0,
        }
        return 0x12 | bits.get(n, 0)

    def _emit(self, element: tuple, lines: int) -> None:
        with self._lock:
            receipt = self._current
            if self.paper == "out":
                receipt.paper_ran_out = True
                return
            if self.lines_left is not None:
                self.lines_left -= lines
                if self.lines_left <= 0:
                    self.paper, self.lines_left = "out", None
            if element[0] == "text":
                line = element[1]
                if sum(map(char_width, line.text)) * line.width > _columns(self.paper_width_mm):
                    receipt.overflowed += 1
            receipt.elements.append(element)

    def _note_unprintable(self) -> None:
        with self._lock:
            self._current.unprintable += 1

    def _note_unknown(self, command: str) -> None:
        with self._lock:
            self._current.unknown_commands.append(command)

    def _finish_receipt(self, cut: bool) -> None:
        with self._lock:
            receipt = self._current
            if not receipt.elements and not receipt.paper_ran_out:
                return  # nothing printed since the last cut (e.g. status-only connection)
            if cut and self.paper == "out":
                receipt.paper_ran_out = True
            receipt.cut = cut and not receipt.paper_ran_out
            self._current = Receipt(paper_width_mm=self.paper_width_mm)
            self.receipts.append(receipt)
            number = len(self.receipts)
            self._lock.notify_all()
        if self.out_dir:
            self._save(receipt, number)
        if self.on_receipt:
            self.on_receipt(receipt)

    def _save(self, receipt: Receipt, number: int) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        stem = self.out_dir / f"receipt-{time.strftime('%Y%m%d-%H%M%S')}-{number:04d}"
        stem.with_suffix(".txt").write_text(receipt.to_text(), encoding="utf-8")
        receipt.to_png().save(stem.with_suffix(".png"))


def _columns(paper_width_mm: int) -> int:
    return 32 if paper_width_mm == 58 else 48


def _hard_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class _ReceiptPainter:
    """Draws a receipt like a 203 dpi thermal printer: a 12x24 dot cell per column."""

    def __init__(self, receipt: Receipt) -> None:
        self.receipt = receipt
        self.dots = 384 if receipt.paper_width_mm == 58 else 576
        self.margin = 16

    def paint(self) -> Image.Image:
        import qrcode

        parts: list[Image.Image] = []
        for element in self.receipt.elements:
            kind = element[0]
            if kind == "text":
                parts.append(self._text(element[1]))
            elif kind == "image":
                parts.append(element[1].convert("L"))
            elif kind == "qr":
                qr = qrcode.QRCode(box_size=max(1, element[2]), border=1)
                qr.add_data(element[1])
                parts.append(self._aligned(qr.make_image().get_image().convert("L"), element[3]))
            elif kind == "feed":
                parts.append(Image.new("L", (self.dots, LINE_PITCH * element[1]), 255))
        height = sum(p.height for p in parts) + 2 * self.margin
        page = Image.new("L", (self.dots + 2 * self.margin, height), 255)
        y = self.margin
        for part in parts:
            page.paste(part.crop((0, 0, min(part.width, self.dots), part.height)), (self.margin, y))
            y += part.height
        if self.receipt.cut:
            draw = ImageDraw.Draw(page)
            for x in range(0, page.width, 12):
                draw.line((x, height - 2, x + 6, height - 2), fill=0)
        return page

    def _aligned(self, image: Image.Image, align: str) -> Image.Image:
        row = Image.new("L", (self.dots, image.height), 255)
        x = {"center": (self.dots - image.width) // 2, "right": self.dots - image.width}
        row.paste(image, (max(0, x.get(align, 0)), 0))
        return row

    def _text(self, line: PrintedLine) -> Image.Image:
        cell_w, cell_h = 12 * line.width, 24 * line.height
        cols = sum(char_width(ch) for ch in line.text)
        row = Image.new("L", (max(self.dots, cols * cell_w), LINE_PITCH * line.height), 255)
        start = {"center": (self.dots - cols * cell_w) // 2, "right": self.dots - cols * cell_w}
        x = max(0, start.get(line.align, 0))
        for ch in line.text:
            w = char_width(ch)
            if ch != " ":
                glyph = _glyph(ch, w, line.bold)
                row.paste(
                    glyph.resize((w * cell_w, cell_h)), (x, LINE_PITCH * line.height - cell_h)
                )
            x += w * cell_w
        return row


_GLYPHS: dict[tuple[str, int, bool], Image.Image] = {}


def _glyph(ch: str, width: int, bold: bool) -> Image.Image:
    """One character in a 12x24 (or 24x24 when wide) cell."""
    key = (ch, width, bold)
    if key not in _GLYPHS:
        cell = Image.new("L", (12 * width, 24), 255)
        font = ImageFont.truetype(CJK_FONT if width == 2 or ord(ch) > 0x7F else MONO_FONT, 20)
        if width == 2:
            font = ImageFont.truetype(CJK_FONT, 22)
        draw = ImageDraw.Draw(cell)
        draw.text((6 * width, 12), ch, font=font, fill=0, anchor="mm", stroke_width=int(bold))
        _GLYPHS[key] = cell
    return _GLYPHS[key]
