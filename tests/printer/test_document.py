"""The neutral document: CJK column widths, wrapping, JSON round trip, rendering rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer.document import Document, DocumentError, display_width, pad, wrap
from drivers.printer.render import Renderer, printer_font_covers, sanitize
from tests.printer.conftest import every_receipt


def test_cjk_characters_are_two_columns():
    assert display_width("挂号 A1") == 7
    assert display_width("￥12.00") == 7
    assert pad("张*", 6, "right") == "   张*"


@given(st.text(min_size=0, max_size=120), st.integers(min_value=2, max_value=48))
def test_wrap_never_exceeds_the_width_and_loses_nothing(text, width):
    lines = wrap(text, width)
    assert all(display_width(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_wrap_breaks_latin_words_at_spaces():
    assert wrap("Registration fee due", 14) == ["Registration", "fee due"]


@pytest.mark.parametrize("kind", list(every_receipt()))
def test_every_document_round_trips_through_json(kind):
    doc = every_receipt()[kind]
    again = Document.from_json(doc.to_json())
    assert again == doc
    assert Renderer(58).render(again).data == Renderer(58).render(doc).data


@pytest.mark.parametrize(
    "text", ["not json", "[]", '{"blocks": [{"type": "bogus"}]}', '{"blocks": [{"type": "text"}]}']
)
def test_bad_journal_json_is_a_typed_error(text):
    with pytest.raises(DocumentError):
        Document.from_json(text)


def test_control_characters_can_never_become_printer_commands():
    assert sanitize("a\x1b@b\x1dV\x00c\ud800") == "a @b V c\ufffd"
    assert printer_font_covers("张伟 ￥12.00") and not printer_font_covers("𠮷")
    assert not printer_font_covers("😀")


def test_unknown_paper_width_is_refused():
    with pytest.raises(ValueError, match="58 and 80"):
        Renderer(76)
