"""What a patient reads on screen and an engineer reads in the log."""

import logging

import pytest

from kiosk.logsetup import MaskDigitsFilter, mask_name, mask_number
from kiosk.money import format_fen


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (12850, "¥128.50"),
        (0, "¥0.00"),
        (5, "¥0.05"),
        (-500, "-¥5.00"),
        (123456789, "¥1,234,567.89"),
    ],
)
def test_fen_are_shown_as_yuan(fen, text):
    assert format_fen(fen) == text


def test_float_money_is_refused():
    with pytest.raises(TypeError):
        format_fen(128.5)


def test_names_and_numbers_are_masked():
    assert mask_name("张伟") == "张*"
    assert mask_name("LI/NA") == "L****"
    assert mask_name("ZHANG SAN") == "Z**** S**"
    assert mask_number("6217000010001234569") == "6217***********4569"
    assert mask_number("A01234567") == "A0*****67"
    assert mask_number("1234567") == "1*****7"


def test_log_filter_masks_a_card_number_that_slipped_into_a_message(caplog):
    logger = logging.getLogger("test.masking")
    handler_filter = MaskDigitsFilter()
    record = logger.makeRecord(
        "t", logging.INFO, __file__, 1, "card %s read", ("6217000010001234569",), None
    )
    handler_filter.filter(record)
    assert "6217000010001234569" not in record.getMessage()
    assert record.getMessage() == "card 6217***********4569 read"


def test_file_log_is_masked_too(tmp_path):
    from kiosk.logsetup import add_file_logging

    path = add_file_logging(tmp_path)
    logger = logging.getLogger("test.file_masking")
    logger.setLevel(logging.INFO)
    try:
        logger.info("lookup for card %s", "6217000010001234569")
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "baseFilename", "") == str(path)]:
            handler.close()
            root.removeHandler(handler)
    text = path.read_text(encoding="utf-8")
    assert "6217***********4569" in text
    assert "6217000010001234569" not in text
