"""The neutral receipt document a printer renders.

The kiosk core builds a `Document` from its own data (amounts already formatted,
names already masked); the driver only lays it out for the paper width and turns
it into ESC/POS bytes. A document round-trips through JSON, so the journal can
keep exactly what was printed and a reprint gives the same slip.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Align = Literal["left", "center", "right"]


class DocumentError(ValueError):
    """A document (or its JSON) is malformed; the message says which block and why."""


@dataclass(frozen=True)
class Text:
    text: str
    align: Align = "left"
    bold: bool = False


@dataclass(frozen=True)
class Title:
    """The flow title: centred, bold, double height."""

    text: str


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: str


@dataclass(frozen=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True)
class ItemRow:
    name: str
    amount: str
    quantity: str = ""


@dataclass(frozen=True)
class ItemTable:
    rows: tuple[ItemRow, ...]
    headers: tuple[str, str, str] = ("项目 Item", "数量 Qty", "金额 Amount")


@dataclass(frozen=True)
class Total:
    label: str
    amount: str


@dataclass(frozen=True)
class BigText:
    """Large centred text, e.g. the queue number. `scale` multiplies width and height."""

    text: str
    scale: int = 3


@dataclass(frozen=True)
class QrCode:
    payload: str
    size: int = 6  # module size in dots, 1-16


@dataclass(frozen=True)
class Logo:
    path: str


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = False


Block = Text | Title | KeyValue | Rule | ItemTable | Total | BigText | QrCode | Logo | Feed | Cut

_BLOCK_TYPES: dict[str, type] = {
    cls.__name__.lower(): cls
    for cls in (Text, Title, KeyValue, Rule, ItemTable, Total, BigText, QrCode, Logo, Feed, Cut)
}


@dataclass(frozen=True)
class Document:
    """An ordered list of blocks; `kind` and `reference` identify it in the journal."""

    blocks: tuple[Block, ...]
    kind: str = ""
    reference: str = ""
    meta: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(_document_to_dict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Document:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"receipt JSON is not valid: {exc}") from exc
        return _document_from_dict(data)


def _block_to_dict(block: Block) -> dict[str, Any]:
    return {"type": type(block).__name__.lower(), **asdict(block)}


def _document_to_dict(doc: Document) -> dict[str, Any]:
    return {
        "kind": doc.kind,
        "reference": doc.reference,
        "meta": dict(doc.meta),
        "blocks": [_block_to_dict(b) for b in doc.blocks],
    }


def _block_from_dict(index: int, data: Any) -> Block:
    if not isinstance(data, dict) or data.get("type") not in _BLOCK_TYPES:
        raise DocumentError(f"block {index}: unknown or missing type in {data!r:.80}")
    fields = {k: v for k, v in data.items() if k != "type"}
    cls = _BLOCK_TYPES[data["type"]]
    if cls is ItemTable:
        fields["rows"] = tuple(ItemRow(**row) for row in fields.get("rows", ()))
        if "headers" in fields:
            fields["headers"] = tuple(fields["headers"])
    try:
        return cls(**fields)
    except TypeError as exc:
        raise DocumentError(f"block {index} ({data['type']}): {exc}") from exc


def _document_from_dict(data: Any) -> Document:
    if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
        raise DocumentError("receipt JSON must be an object with a 'blocks' list")
    blocks = tuple(_block_from_dict(i, b) for i, b in enumerate(data["blocks"]))
    return Document(
        blocks=blocks,
        kind=str(data.get("kind", "")),
        reference=str(data.get("reference", "")),
        meta={str(k): str(v) for k, v in dict(data.get("meta") or {}).items()},
    )


# --- text width: a CJK (wide or full-width) character takes two columns -------------


def char_width(ch: str) -> int:
    if unicodedata.combining(ch) or ch in "\u200b\u200d\ufe0f":
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Split `text` into lines of at most `width` columns, CJK-aware, breaking Latin
    words at spaces where possible and anywhere else when a word is too long."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if display_width(current) + char_width(ch) <= width or not current:
            current += ch
            continue
        head, space, tail = current.rpartition(" ")
        if space and head.strip() and ch != " " and not _is_wide(ch):
            lines.append(head)
            current = tail + ch
        else:
            lines.append(current)
            current = "" if ch == " " else ch
    if current or not lines:
        lines.append(current)
    return lines


def _is_wide(ch: str) -> bool:
    return char_width(ch) == 2


def pad(text: str, width: int, align: Align = "left") -> str:
    """Pad `text` with spaces to exactly `width` columns (text must already fit)."""
    gap = max(0, width - display_width(text))
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap
