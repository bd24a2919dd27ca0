"""The virtual printer's decoder: arbitrary TCP segmentation and arbitrary bytes."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer.render import Renderer
from drivers.printer.virtual import EscPosDecoder, VirtualPrinter
from tests.printer.conftest import every_receipt

RECEIPT = Renderer(80).render(every_receipt()["fee_payment"]).data


def decode(chunks: list[bytes]) -> VirtualPrinter:
    host = VirtualPrinter()  # not started: the decoder alone, fed by hand
    decoder = EscPosDecoder(host)
    for chunk in chunks:
        decoder.feed(chunk)
    return host


def test_one_byte_at_a_time_decodes_like_one_piece():
    whole = decode([RECEIPT]).receipts[0]
    trickled = decode([RECEIPT[i : i + 1] for i in range(len(RECEIPT))]).receipts[0]
    assert trickled.lines == whole.lines and trickled.qr_payloads == whole.qr_payloads
    assert trickled.cut and "缴费凭条 Payment" in trickled.text


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(RECEIPT)), max_size=20))
def test_any_segmentation_decodes_the_same(cuts):
    points = sorted({0, *cuts, len(RECEIPT)})
    chunks = [RECEIPT[a:b] for a, b in itertools.pairwise(points)]
    receipt = decode(chunks).receipts[0]
    assert receipt.qr_payloads == ["TX-FEE-1"] and receipt.cut


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_decoder(data):
    host = decode([data, b"\n\x1dV\x00"])
    assert all(isinstance(line, str) for r in host.receipts for line in r.lines)
