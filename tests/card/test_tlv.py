"""The BER-TLV parser: what cards send, what broken cards send, and arbitrary bytes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.card import tlv


def test_parses_a_nested_fci_and_finds_values_at_any_depth() -> None:
    fci = bytes.fromhex("6F1A840E315041592E5359532E4444463031A5088801015F2D027A68")
    nodes = tlv.parse(fci)
    assert [n.tag for n in nodes] == [0x6F]
    assert tlv.find(nodes, 0x84) == b"1PAY.SYS.DDF01"
    assert tlv.find(nodes, 0x88) == b"\x01"
    assert tlv.find(nodes, 0x5F2D) == b"zh"
    assert tlv.find(nodes, 0x9F38) is None


def test_long_form_lengths_are_read() -> None:
    value = bytes(range(200))
    data = bytes.fromhex("9F0B81C8") + value + bytes.fromhex("5A820003") + b"\x62\x17\x00"
    nodes = tlv.parse(data)
    assert nodes[0].value == value
    assert nodes[1].tag == 0x5A and nodes[1].value == b"\x62\x17\x00"


def test_padding_between_objects_is_skipped_and_empty_input_is_no_objects() -> None:
    assert tlv.parse(b"") == []
    assert [n.tag for n in tlv.parse(bytes.fromhex("00FF5A0101FF00"))] == [0x5A]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ("70105A0862", "past the end"),
        ("7080" + "5A0101" + "0000", "indefinite"),
        ("5A85" + "0000000001" + "00", "5-byte length"),
        ("5A82", "cut short"),
        ("9F", "cut short"),
        ("9F8181810100", "longer than"),
        ("70", "length missing"),
    ],
)
def test_malformed_input_raises_tlv_error_naming_the_fault(data: str, why: str) -> None:
    with pytest.raises(tlv.TlvError, match=why):
        tlv.parse(bytes.fromhex(data))


def test_deep_nesting_is_refused() -> None:
    data = b"\x5a\x01\x00"
    for _ in range(tlv.MAX_DEPTH + 2):
        data = tlv.encode(0x70, data)
    with pytest.raises(tlv.TlvError, match="deeper"):
        tlv.parse(data)


def test_nesting_up_to_the_limit_is_fine() -> None:
    data = b"\x5a\x01\x07"
    for _ in range(tlv.MAX_DEPTH - 1):
        data = tlv.encode(0x70, data)
    assert tlv.find(tlv.parse(data), 0x5A) == b"\x07"


def test_dol_lists_tags_and_lengths() -> None:
    pdol = bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")
    assert tlv.parse_dol(pdol)[:3] == [(0x9F66, 4), (0x9F02, 6), (0x9F03, 6)]
    assert sum(length for _, length in tlv.parse_dol(pdol)) == 33


@given(st.binary(max_size=600))
@settings(max_examples=400, deadline=None)
def test_arbitrary_bytes_only_ever_raise_tlv_error(data: bytes) -> None:
    try:
        nodes = tlv.parse(data)
    except tlv.TlvError:
        return
    assert all(isinstance(node, tlv.Tlv) for node in tlv.walk(nodes))


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_arbitrary_dols_only_ever_raise_tlv_error(data: bytes) -> None:
    with contextlib.suppress(tlv.TlvError):
        tlv.parse_dol(data)


primitive_tags = st.sampled_from([0x5A, 0x57, 0x5F20, 0x5F24, 0x9F0B, 0x9F61, 0x9F62, 0x84])


@st.composite
def tlv_trees(draw: st.DrawFn, depth: int = 0) -> bytes:
    if depth >= 3 or draw(st.booleans()):
        return tlv.encode(draw(primitive_tags), draw(st.binary(max_size=300)))
    children = draw(st.lists(tlv_trees(depth + 1), max_size=3))
    return tlv.encode(draw(st.sampled_from([0x70, 0x77, 0x6F, 0xA5, 0xBF0C])), b"".join(children))


@given(st.lists(tlv_trees(), max_size=4))
@settings(max_examples=200, deadline=None)
def test_what_encode_writes_parse_reads_back(trees: list[bytes]) -> None:
    nodes = tlv.parse(b"".join(trees))
    assert b"".join(tlv.encode(n.tag, n.value) for n in nodes) == b"".join(trees)


@given(st.lists(tlv_trees(), min_size=1, max_size=3), st.data())
@settings(max_examples=200, deadline=None)
def test_truncated_or_corrupted_card_answers_only_raise_tlv_error(
    trees: list[bytes], data: st.DataObject
) -> None:
    raw = bytearray(b"".join(trees))
    cut = data.draw(st.integers(0, len(raw)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, max(0, cut - 1)), st.integers(0, 255))))
    for index, byte in flips:
        if index < cut:
            raw[index] = byte
    with contextlib.suppress(tlv.TlvError):
        tlv.parse(bytes(raw[:cut]))


def _walked_or_error(data: bytes) -> list[tuple[int, bytes]] | str:
    try:
        return [(node.tag, node.value) for node in tlv.walk(tlv.parse(data))]
    except tlv.TlvError:
        return "TlvError"


def _flattened_or_error(data: bytes) -> list[tuple[int, bytes]] | str:
    try:
        return tlv.flatten(data)
    except tlv.TlvError:
        return "TlvError"


def test_flatten_lists_every_object_depth_first() -> None:
    fci = bytes.fromhex("6F1A840E315041592E5359532E4444463031A5088801015F2D027A68")
    assert [tag for tag, _ in tlv.flatten(fci)] == [0x6F, 0x84, 0xA5, 0x88, 0x5F2D]
    deep = b"\x5a\x01\x00"
    for _ in range(tlv.MAX_DEPTH + 2):
        deep = tlv.encode(0x70, deep)
    with pytest.raises(tlv.TlvError, match="deeper"):
        tlv.flatten(deep)


@given(st.binary(max_size=600))
@settings(max_examples=400, deadline=None)
def test_flatten_accepts_and_refuses_exactly_what_parse_does(data: bytes) -> None:
    assert _flattened_or_error(data) == _walked_or_error(data)


@given(st.lists(tlv_trees(), min_size=1, max_size=3), st.integers(0, 2000), st.data())
@settings(max_examples=200, deadline=None)
def test_flatten_agrees_with_parse_on_card_answers_cut_anywhere(
    trees: list[bytes], cut: int, data: st.DataObject
) -> None:
    raw = bytearray(b"".join(trees))
    if raw and data.draw(st.booleans()):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    raw = raw[: min(cut, len(raw))]
    assert _flattened_or_error(bytes(raw)) == _walked_or_error(bytes(raw))
