"""Lay a `Document` out for 58 or 80 mm paper and turn it into ESC/POS bytes.

Chinese goes out as GB18030 bytes we encode ourselves (python-escpos' magic
encoder guesses code pages). A printer's built-in font covers only the 2-byte
GB18030 area, so any line holding a character outside it (4-byte GB18030: rare
name characters, CJK Extension B, emoji) is drawn with a real font and sent as a
raster image: the patient sees the character, never "?". Control characters
are replaced, so patient text can never smuggle printer commands in.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from escpos.image import EscposImage
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from drivers.printer.document import (
    Align,
    BigText,
    Block,
    Cut,
    Document,
    Feed,
    ItemRow,
    ItemTable,
    KeyValue,
    Logo,
    QrCode,
    Rule,
    Text,
    Title,
    Total,
    char_width,
    display_width,
    pad,
    wrap,
)

log = logging.getLogger(__name__)

DEFAULT_RASTER_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
# tried in order for each character the printer cannot print; HanaMin (Debian
# fonts-hanazono) covers CJK Extension B, where rare name characters live
FALLBACK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
_NO_GLYPH = "\U000f0000"  # private use: no font has it, so it draws the "missing" box
LINE_DOTS = 24  # font A: 12x24 dots for ASCII, 24x24 for a Chinese character


@dataclass(frozen=True)
class Paper:
    width_mm: int
    dots: int  # printable width at 203 dpi
    columns: int  # font A columns


PAPERS = {58: Paper(58, 384, 32), 80: Paper(80, 576, 48)}

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
_ALIGN = {"left": 0, "center": 1, "right": 2}


@dataclass(frozen=True)
class Rendered:
    data: bytes
    lines: int  # printed text lines, including rasterised ones
    warnings: tuple[str, ...] = ()


# characters whose GB18030 form is 4 bytes but which have a 2-byte twin every printer has
_PRINTER_TWINS = str.maketrans({"¥": "￥"})


def sanitize(text: str) -> str:
    """Replace control characters (could be printer commands) and lone surrogates."""
    text = text.translate(_PRINTER_TWINS)
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            out.append(" ")
        elif category == "Cs":
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def printer_font_covers(text: str) -> bool:
    """True when every character is ASCII or in the 2-byte GB18030 area."""
    return all(len(ch.encode("gb18030")) <= 2 for ch in text)


@lru_cache(maxsize=32)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont | None:
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return None


@lru_cache(maxsize=4096)
def _font_for(
    ch: str, paths: tuple[str, ...], size: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The first font in `paths` that has a glyph for `ch` (else the first that exists)."""
    fonts = [f for f in (_font(p, size) for p in paths) if f is not None]
    for font in fonts:
        if _drawn(font, ch) != _drawn(font, _NO_GLYPH):
            return font
    if not fonts:
        log.warning("no raster font found in %s; using Pillow's default font", paths)
        return ImageFont.load_default(size)
    log.warning("no raster font has a glyph for a character (code point withheld: patient data)")
    return fonts[0]


def _drawn(font: ImageFont.FreeTypeFont, ch: str) -> bytes:
    size = int(font.size * 2)
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).text((0, 0), ch, font=font, fill=255)
    return image.tobytes()


def raster_bytes(image: Image.Image) -> bytes:
    """GS v 0 raster bit image (python-escpos does the 1-bit conversion)."""
    im = EscposImage(image)
    header = GS + b"v0\x00" + im.width_bytes.to_bytes(2, "little") + im.height.to_bytes(2, "little")
    return header + im.to_raster_format()


class Renderer:
    """Renders documents for one paper width and printer; pure, no I/O."""

    def __init__(
        self,
        paper_width_mm: int = 80,
        chinese_mode_command: bool = False,
        raster_font: str = DEFAULT_RASTER_FONT,
    ) -> None:
        if paper_width_mm not in PAPERS:
            raise ValueError(f"paper width {paper_width_mm} mm: only 58 and 80 are supported")
        self.paper = PAPERS[paper_width_mm]
        self.chinese_mode_command = chinese_mode_command
        self.raster_fonts = (raster_font, *FALLBACK_FONTS)

    def render(self, doc: Document) -> Rendered:
        job = _Job(self)
        job.raw(INIT + (CHINESE_ON if self.chinese_mode_command else b""))
        for block in doc.blocks:
            job.block(_sanitized(block))
        return Rendered(b"".join(job.out), job.lines, tuple(job.warnings))


class _Job:
    """The byte stream of one document being rendered."""

    def __init__(self, renderer: Renderer) -> None:
        self.r = renderer
        self.cols = renderer.paper.columns
        self.out: list[bytes] = []
        self.lines = 0
        self.warnings: list[str] = []

    def raw(self, data: bytes) -> None:
        self.out.append(data)

    def line(
        self, text: str, align: Align = "left", bold: bool = False, scale: int = 1, tall: int = 0
    ) -> None:
        """One printed line; `scale` multiplies width and height, `tall` only the height."""
        height = tall or scale
        self.lines += 1
        if printer_font_covers(text):
            size = bytes([((scale - 1) << 4) | (height - 1)])
            self.raw(ESC + b"a" + bytes([_ALIGN[align]]) + ESC + b"E" + bytes([bold]))
            self.raw(GS + b"!" + size + text.encode("gb18030") + b"\n")
            self.raw(GS + b"!\x00" + ESC + b"E\x00")
        else:
            image = self.text_image(text, align, bold, height)
            self.raw(ESC + b"a\x00" + raster_bytes(image))

    def text_image(self, text: str, align: Align, bold: bool, scale: int) -> Image.Image:
        """The line drawn on the printer's own 12x24 grid with real fonts, for the
        characters the printer's font lacks; columns line up with printed text."""
        cell_w, cell_h = 12 * scale, LINE_DOTS * scale
        image = Image.new("1", (self.r.paper.dots, cell_h), 1)
        draw = ImageDraw.Draw(image)
        used = display_width(text) * cell_w
        x = {"left": 0, "center": (image.width - used) // 2, "right": image.width - used}[align]
        for ch in text:
            w = char_width(ch)
            if not ch.isspace():
                font = _font_for(ch, self.r.raster_fonts, (22 if w == 2 else 20) * scale)
                centre = (x + w * cell_w / 2, cell_h / 2)
                draw.text(centre, ch, font=font, fill=0, anchor="mm", stroke_width=int(bold))
            x += w * cell_w
        return image

    def pair(self, left: str, right: str, bold: bool = False) -> None:
        """`left` and `right` on one line if they fit, else left then right on its own line."""
        if display_width(left) + 1 + display_width(right) <= self.cols:
            gap = self.cols - display_width(left) - display_width(right)
            self.line(left + " " * gap + right, bold=bold)
            return
        for part in wrap(left, self.cols):
            self.line(part, bold=bold)
        for part in wrap(right, self.cols - 2):
            self.line(pad(part, self.cols, "right"), bold=bold)

    def block(self, block: Block) -> None:
        handler = getattr(self, "_" + type(block).__name__.lower())
        handler(block)

    def _text(self, b: Text) -> None:
        for part in wrap(b.text, self.cols):
            self.line(part, b.align, b.bold)

    def _title(self, b: Title) -> None:
        for part in wrap(b.text, self.cols):
            self.line(part, "center", bold=True, tall=2)

    def _keyvalue(self, b: KeyValue) -> None:
        self.pair(b.key, b.value)

    def _rule(self, b: Rule) -> None:
        char = b.char if display_width(b.char) == 1 else "-"
        self.line(char * self.cols)

    def _total(self, b: Total) -> None:
        self.pair(b.label, b.amount, bold=True)

    def _bigtext(self, b: BigText) -> None:
        scale = min(max(b.scale, 1), 8)
        for part in wrap(b.text, max(1, self.cols // scale)):
            self.line(part, "center", bold=True, scale=scale)

    def _itemtable(self, b: ItemTable) -> None:
        qty_w, amount_w = (5, 11) if self.cols < 40 else (7, 13)
        name_w = self.cols - qty_w - amount_w
        name_h, qty_h, amount_h = b.headers
        header = _cell(name_h, name_w) + _cell(qty_h, qty_w, "right")
        self.line(header + _cell(amount_h, amount_w, "right"), bold=True)
        for row in b.rows:
            names = wrap(row.name, name_w - 1)
            fits = display_width(row.amount) < amount_w and display_width(row.quantity) < qty_w
            if not fits:  # an amount is never cut: give it a line of its own
                for part in names:
                    self.line(part)
                self.line(pad(f"{row.quantity}  {row.amount}".strip(), self.cols, "right"))
                continue
            first = pad(names[0], name_w) + pad(row.quantity, qty_w, "right")
            self.line(first + pad(row.amount, amount_w, "right"))
            for more in names[1:]:
                self.line(more)

    def _qrcode(self, b: QrCode) -> None:
        if not b.payload:
            self.warnings.append("empty QR payload: QR code left out")
            return
        escpos = Dummy()
        escpos.qr(b.payload, native=True, size=min(max(b.size, 1), 16))
        self.raw(ESC + b"a\x01" + escpos.output + b"\n" + ESC + b"a\x00")
        self.lines += 1

    def _logo(self, b: Logo) -> None:
        try:
            with Image.open(Path(b.path)) as img:
                img.load()
                logo = img.copy()
        except (OSError, UnidentifiedImageError) as exc:
            self.warnings.append(f"logo {b.path} left out: not a readable image ({exc})")
            log.warning("logo %s left out: %s", b.path, exc)
            return
        if logo.width > self.r.paper.dots:
            ratio = self.r.paper.dots / logo.width
            logo = logo.resize((self.r.paper.dots, max(1, int(logo.height * ratio))))
        canvas = Image.new("RGB", (self.r.paper.dots, logo.height), "white")
        canvas.paste(logo.convert("RGB"), ((self.r.paper.dots - logo.width) // 2, 0))
        self.raw(ESC + b"a\x00" + raster_bytes(canvas))

    def _feed(self, b: Feed) -> None:
        self.raw(ESC + b"d" + bytes([min(max(b.lines, 0), 255)]))

    def _cut(self, b: Cut) -> None:
        escpos = Dummy()
        escpos.cut(mode="PART" if b.partial else "FULL")
        self.raw(escpos.output)


def _sanitized(block: Block) -> Block:
    """The block with every text field sanitised, before any layout measures it."""
    changes: dict[str, object] = {}
    for f in fields(block):
        value = getattr(block, f.name)
        if isinstance(value, str) and f.name != "path":
            changes[f.name] = sanitize(value)
        elif isinstance(value, tuple) and value and isinstance(value[0], str):
            changes[f.name] = tuple(sanitize(v) for v in value)
        elif isinstance(value, tuple) and value and isinstance(value[0], ItemRow):
            changes[f.name] = tuple(_sanitized(row) for row in value)
    return replace(block, **changes)


def _cell(text: str, width: int, align: Align = "left") -> str:
    """A header cell: bilingual text that does not fit keeps its first word(s), then padded."""
    while display_width(text) > width - 1 and " " in text:
        text = text.rsplit(" ", 1)[0]
    return pad(wrap(text, max(1, width - 1))[0], width, align)
