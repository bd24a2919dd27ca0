"""What a scanned code is: classification rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.scanner.codes import CodeKind, PaymentProvider, classify, receipt_payload


@pytest.mark.parametrize(
    ("code", "provider"),
    [
        ("104567890123456789", PaymentProvider.WECHAT),
        ("154567890123456789", PaymentProvider.WECHAT),
        ("254567890123456789", PaymentProvider.ALIPAY),
        ("304567890123456789", PaymentProvider.ALIPAY),
    ],
)
def test_payment_codes_by_prefix(code, provider):
    scanned = classify(code)
    assert (scanned.kind, scanned.provider) == (CodeKind.PAYMENT_CODE, provider)


@pytest.mark.parametrize(
    "code",
    [
        "164567890123456789",  # prefix 16: neither
        "094567890123456789",
        "1345678901234567",  # 16 digits
        "1345678901234567890",  # 19 digits
        "13456789012345678X",
        "１３４５６７８９０１２３４５６７８９",  # full-width digits are not a payment code
    ],
)
def test_near_misses_are_not_payment_codes(code):
    assert classify(code).kind is not CodeKind.PAYMENT_CODE


def test_health_card_and_insurance_voucher():
    assert classify("0F" * 32 + ":1:330100").kind is CodeKind.HEALTH_CARD
    assert classify("1" * 28).kind is CodeKind.INSURANCE_VOUCHER
    assert classify("https://example.org/x").kind is CodeKind.UNKNOWN


def test_our_receipts_round_trip_and_a_misread_is_unknown():
    payload = receipt_payload("R-20261122-0042")
    assert classify(payload).receipt_id == "R-20261122-0042"
    tampered = payload.replace("0042", "0043", 1)
    assert classify(tampered).kind is CodeKind.UNKNOWN
    with pytest.raises(ValueError):
        receipt_payload("no spaces allowed")


@given(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True))
def test_every_receipt_id_round_trips(receipt_id):
    assert classify(receipt_payload(receipt_id)).receipt_id == receipt_id


def test_repr_never_shows_the_code():
    scanned = classify("134567890123456789")
    assert "134567890123456789" not in repr(scanned)
    assert "134567890123456789" not in scanned.masked
