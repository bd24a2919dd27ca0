"""A receipt document as plain lines, for the on-screen receipt when nothing is printed."""

from __future__ import annotations

from drivers.printer.document import (
    BigText,
    Document,
    ItemTable,
    KeyValue,
    Rule,
    Text,
    Title,
    Total,
)


def receipt_lines(doc: Document) -> tuple[str, ...]:
    lines: list[str] = []
    for block in doc.blocks:
        match block:
            case Title(text) | Text(text) | BigText(text):
                lines.append(text)
            case KeyValue(key, value) | Total(key, value):
                lines.append(f"{key}: {value}")
            case ItemTable(rows):
                lines.extend(f"{r.name} {r.quantity} {r.amount}".strip() for r in rows)
            case Rule():
                lines.append("—" * 12)
    return tuple(lines)
