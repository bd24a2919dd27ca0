"""BER-TLV as EMV / ISO 7816-4 cards use it.

`parse` turns bytes into a tree and raises only `TlvError` on bad input, whatever
the bytes (hypothesis checks this). Lengths may be short or long form (up to four
length bytes); indefinite length is refused because no card answer may use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

MAX_DEPTH = 8  # EMV templates nest 3 deep at most; deeper is garbage, not a card
MAX_TAG_BYTES = 3
MAX_LENGTH_BYTES = 4
PADDING = (0x00, 0xFF)  # EMV allows these between TLV objects


class TlvError(ValueError):
    """The bytes are not valid BER-TLV; the message says where and why."""


class Tlv(NamedTuple):
    # A NamedTuple, not a dataclass: a card read builds dozens of these per APDU.
    tag: int
    value: bytes
    children: tuple[Tlv, ...] = ()

    @property
    def constructed(self) -> bool:
        return _first_tag_byte(self.tag) & 0x20 != 0


def _first_tag_byte(tag: int) -> int:
    while tag > 0xFF:
        tag >>= 8
    return tag


def _read_tag(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    tag, pos = first, pos + 1
    if first & 0x1F != 0x1F:
        return tag, pos
    for count in range(1, MAX_TAG_BYTES):
        if pos >= len(data):
            raise TlvError(f"tag cut short at offset {pos}")
        byte = data[pos]
        tag, pos = (tag << 8) | byte, pos + 1
        if byte & 0x80 == 0:
            return tag, pos
        if count == MAX_TAG_BYTES - 1:
            break
    raise TlvError(f"tag longer than {MAX_TAG_BYTES} bytes at offset {pos}")


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError(f"length missing at offset {pos}")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    if first == 0x80:
        raise TlvError(f"indefinite length at offset {pos - 1}")
    count = first & 0x7F
    if count > MAX_LENGTH_BYTES:
        raise TlvError(f"{count}-byte length at offset {pos - 1}")
    if pos + count > len(data):
        raise TlvError(f"length bytes cut short at offset {pos}")
    return int.from_bytes(data[pos : pos + count], "big"), pos + count


def _parse(data: bytes, depth: int) -> list[Tlv]:
    if depth > MAX_DEPTH:
        raise TlvError(f"nested deeper than {MAX_DEPTH} levels")
    nodes, pos, end = [], 0, len(data)
    while pos < end:
        first = data[pos]
        if first in PADDING:
            pos += 1
            continue
        if first & 0x1F != 0x1F and pos + 1 < end and data[pos + 1] < 0x80:
            tag, length, pos = first, data[pos + 1], pos + 2  # the usual short form
        else:
            tag, pos = _read_tag(data, pos)
            length, pos = _read_length(data, pos)
        if pos + length > end:
            raise TlvError(
                f"tag {tag:X}: length {length} runs past the end ({end - pos} bytes left)"
            )
        value = data[pos : pos + length]
        pos += length
        children = tuple(_parse(value, depth + 1)) if first & 0x20 else ()
        nodes.append(Tlv(tag, value, children))
    return nodes


def parse(data: bytes) -> list[Tlv]:
    """All TLV objects in `data`, constructed ones with their children parsed."""
    return _parse(bytes(data), 1)


def flatten(data: bytes) -> list[tuple[int, bytes]]:
    """(tag, value) of every object in `data`, depth first: `walk(parse(data))` without
    building the tree, for the card read path, where it runs for every answer.
    Refuses exactly what `parse` refuses, with the same `TlvError`."""
    found: list[tuple[int, bytes]] = []
    _flatten(bytes(data), 1, found)
    return found


def _flatten(data: bytes, depth: int, found: list[tuple[int, bytes]]) -> None:
    # The loop of `_parse`, appending to one list instead of nesting nodes, with the
    # one- and two-byte tags of every card answer read inline: this runs for every
    # answer of every read, and right after an insertion it runs cold.
    if depth > MAX_DEPTH:
        raise TlvError(f"nested deeper than {MAX_DEPTH} levels")
    append = found.append
    pos, end = 0, len(data)
    while pos < end:
        first = data[pos]
        if first == 0x00 or first == 0xFF:  # PADDING, spelt out: this loop is hot
            pos += 1
            continue
        if first & 0x1F != 0x1F:
            if pos + 1 < end and data[pos + 1] < 0x80:
                tag, length, pos = first, data[pos + 1], pos + 2
            else:
                tag, length, pos = _general_form(data, pos)
        elif pos + 2 < end and data[pos + 1] < 0x80 and data[pos + 2] < 0x80:
            tag, length, pos = (first << 8) | data[pos + 1], data[pos + 2], pos + 3
        else:
            tag, length, pos = _general_form(data, pos)
        start, pos = pos, pos + length
        if pos > end:
            raise TlvError(
                f"tag {tag:X}: length {length} runs past the end ({end - start} bytes left)"
            )
        value = data[start:pos]
        append((tag, value))
        if first & 0x20:
            _flatten(value, depth + 1, found)


def _general_form(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, length, position after them) for the long tags and lengths."""
    tag, pos = _read_tag(data, pos)
    length, pos = _read_length(data, pos)
    return tag, length, pos


def walk(nodes: Iterable[Tlv]) -> Iterator[Tlv]:
    """Every node, depth first."""
    for node in nodes:
        yield node
        yield from walk(node.children)


def find(nodes: Iterable[Tlv], tag: int) -> bytes | None:
    """The value of the first node with `tag`, searching depth first."""
    for node in nodes:
        if node.tag == tag:
            return node.value
        if node.children:
            found = find(node.children, tag)
            if found is not None:
                return found
    return None


def index(nodes: Iterable[Tlv]) -> dict[int, bytes]:
    """Tag -> value of its first occurrence depth first: one pass for many look-ups."""
    values: dict[int, bytes] = {}
    for node in walk(nodes):
        values.setdefault(node.tag, node.value)
    return values


def find_all(nodes: Iterable[Tlv], tag: int) -> list[Tlv]:
    return [node for node in walk(nodes) if node.tag == tag]


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    """One TLV object (for card images and tests)."""
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    return tag_bytes + encode_length(len(value)) + bytes(value)


def _short_form(data: bytes, pos: int, end: int, first: int) -> tuple[int, int, int]:
    """(tag, length, position after them) at `pos`: the one- and two-byte tags with a
    one-byte length that every card answer is made of, else the general readers."""
    if first & 0x1F != 0x1F:
        if pos + 1 < end and data[pos + 1] < 0x80:
            return first, data[pos + 1], pos + 2
    elif pos + 2 < end and data[pos + 1] < 0x80 and data[pos + 2] < 0x80:
        return (first << 8) | data[pos + 1], data[pos + 2], pos + 3
    tag, pos = _read_tag(data, pos)
    length, pos = _read_length(data, pos)
    return tag, length, pos


def parse_dol(data: bytes) -> list[tuple[int, int]]:
    """A data object list (PDOL, CDOL): (tag, length) pairs with no values."""
    data = bytes(data)
    pairs, pos, end = [], 0, len(data)
    while pos < end:
        tag, length, pos = _short_form(data, pos, end, data[pos])
        pairs.append((tag, length))
    return pairs
