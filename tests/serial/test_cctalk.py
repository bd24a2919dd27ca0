"""ccTalk framing and event-counter arithmetic (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.cash.cctalk import FrameError, Header, decode, encode, events_since, next_counter


def test_simple_poll_and_ack_match_the_specification():
    assert encode(2, 1, Header.SIMPLE_POLL) == bytes.fromhex("020001FEFF")
    ack = decode(bytes.fromhex("01000200FD"))
    assert (ack.destination, ack.source, ack.header, ack.data) == (1, 2, 0, b"")


@given(st.integers(1, 255), st.integers(0, 255), st.binary(max_size=252))
def test_every_frame_sums_to_zero_and_decodes_back(dest, header, data):
    raw = encode(dest, 1, header, data)
    assert sum(raw) % 256 == 0
    assert decode(raw).data == data


@given(st.binary(min_size=5, max_size=40), st.integers(1, 255))
def test_a_corrupted_byte_is_caught(data, flip):
    raw = bytearray(encode(40, 1, 159, data[:30]))
    raw[len(raw) // 2] ^= flip
    with pytest.raises(FrameError):
        decode(bytes(raw))


def test_truncated_and_wrong_length_frames_are_refused():
    with pytest.raises(FrameError) as exc:
        decode(b"\x01\x00\x02")
    assert exc.value.code == "truncated"
    with pytest.raises(FrameError) as exc:
        decode(encode(1, 40, 0, b"abc")[:-2])
    assert exc.value.code == "length"


@pytest.mark.parametrize(
    ("cursor", "counter", "new"),
    [(0, 0, 0), (0, 3, 3), (5, 5, 0), (5, 7, 2), (254, 2, 3), (255, 1, 1), (250, 4, 9)],
)
def test_events_since_wraps_255_to_1(cursor, counter, new):
    assert events_since(cursor, counter) == new


@given(st.integers(1, 255), st.integers(0, 300))
def test_counting_forward_then_back_agrees(start, steps):
    end = next_counter(start, steps)
    assert 1 <= end <= 255
    assert events_since(start, end) == steps % 255
