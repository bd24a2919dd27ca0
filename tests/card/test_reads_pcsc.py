"""Reading cards through the real pcscd + vpcd, with our virtual cards.

The service reads every inserted card by itself; tests insert a card and wait
for its CardRead event, as the kiosk does.
"""

from __future__ import annotations

import time
from datetime import date

import pytest

from drivers.card import tlv
from drivers.card.emulator import load_image
from drivers.card.events import CardInserted, CardRead, CardRemoved, ReaderAttached
from drivers.card.identity import CardType
from drivers.card.service import read_once, read_once_timed
from drivers.device import DeviceState, HealthLevel, Outcome
from tests.harness.pcsc import wait_status

pytestmark = pytest.mark.pcsc

READER0, READER1 = "Virtual PCD 00 00", "Virtual PCD 00 01"

EXPECTED = {
    "pboc_zhang": {
        "card_type": "pboc",
        "card_number": "6217000010001234569",
        "name": "张伟",
        "id_number": "110101198001011232",
        "id_type": "00",
        "expiry": "2030-12",
    },
    "pboc_li": {
        "card_type": "pboc",
        "card_number": "6217000010007654323",
        "name": "LI/NA",
        "id_number": None,
        "id_type": None,
        "expiry": "2029-06",
    },
    "ssc_wang": {
        "card_type": "social_security",
        "card_number": "A01234567",
        "name": "王芳",
        "id_number": "310101197505052348",
        "id_type": None,
        "expiry": "2031-05",
    },
    "pboc_chen_expired": {
        "card_type": "pboc",
        "card_number": "6217000010009998884",
        "name": "陈静",
        "id_number": "440300196211114565",
        "id_type": "00",
        "expiry": "2024-01",
    },
}


def read_through_service(service, virtual_card, image, reader: int = 0) -> CardRead:
    card = virtual_card(image, reader=reader, wait=False)
    event = service.events.wait_for(CardRead, reader=card.reader)
    card.remove()
    service.events.wait_for(CardRemoved, reader=card.reader)
    return event


@pytest.mark.parametrize("image", sorted(EXPECTED))
def test_each_shipped_card_reads_to_its_identity(card_service, virtual_card, image) -> None:
    service = card_service()
    event = read_through_service(service, virtual_card, image)
    assert event.result.ok, event.result
    identity = event.result.value
    assert {k: v for k, v in identity.as_dict(unmasked=True).items() if k != "atr"} == (
        EXPECTED[image]
    )
    assert identity.atr == load_image(image).atr
    assert identity.is_expired(date(2026, 11, 22)) == (image == "pboc_chen_expired")


def test_the_service_posts_insertion_before_the_read_and_removal_after(
    card_service, virtual_card
) -> None:
    service = card_service()
    service.events.wait_for(ReaderAttached, reader=READER0)
    card = virtual_card("pboc_zhang")
    inserted = service.events.wait_for(CardInserted, reader=READER0)
    assert inserted.atr == load_image("pboc_zhang").atr
    read = service.events.wait_for(CardRead, reader=READER0)
    assert read.result.ok and read.elapsed_ms > 0
    card.remove()
    service.events.wait_for(CardRemoved, reader=READER0)
    kinds = [type(e).__name__ for e in service.events.all if getattr(e, "reader", "") == READER0]
    assert kinds[-3:] == ["CardInserted", "CardRead", "CardRemoved"]
    wait_status(service, DeviceState.READY)


def test_unknown_card_is_unsupported_with_its_atr(card_service, virtual_card) -> None:
    service = card_service()
    result = read_through_service(service, virtual_card, "unknown").result
    assert not result.ok and result.code == "unsupported_card"
    assert result.atr == load_image("unknown").atr
    assert load_image("unknown").atr.hex().upper() in result.message


def test_card_in_the_second_reader_is_read_there(card_service, virtual_card) -> None:
    service = card_service()
    event = read_through_service(service, virtual_card, "ssc_wang", reader=1)
    assert event.reader == READER1 and event.result.ok
    assert event.result.value.card_type == CardType.SOCIAL_SECURITY
    assert not [e for e in service.events.all if isinstance(e, CardRead) and e.reader == READER0]


def test_a_reader_filter_watches_only_that_reader(card_service, virtual_card) -> None:
    service = card_service(reader="00 01")
    service.events.wait_for(ReaderAttached, reader=READER1)
    card = virtual_card("pboc_li", reader=0)
    other = virtual_card("pboc_zhang", reader=1, wait=False)
    event = service.events.wait_for(CardRead)
    assert event.reader == READER1
    card.remove()
    other.remove()
    assert service.readers() == [READER1]


def test_no_matching_reader_is_a_clear_error(pcscd) -> None:
    result = read_once(reader="Reader that is not there", timeout_s=3)
    assert not result.ok and result.code == "no_reader"


def test_no_card_within_the_timeout_is_a_clear_error(pcscd) -> None:
    result = read_once(reader=READER1, timeout_s=0.5)
    assert not result.ok and result.code == "no_card"


def test_read_once_reads_a_card_already_in_the_reader(virtual_card) -> None:
    virtual_card("pboc_zhang", reader=1)
    result, elapsed_ms = read_once_timed(reader="00 01")
    assert result.ok and result.value.card_number == "6217000010001234569"
    assert elapsed_ms > 0


# -- status words at each step --------------------------------------------------------

PBOC_STEPS = {
    "SELECT PSE": ("00A404000E315041592E5359532E4444463031", "ok"),  # falls back to the AIDs
    "READ RECORD PSE directory": ("00B2010C", "ok"),  # falls back to the AIDs
    "SELECT application": ("00A4040008A000000333010101", "unsupported_card"),
    "GET PROCESSING OPTIONS": ("80A8", "card_error"),
    "READ RECORD (SFI 2": ("00B20114", "card_error"),
}
SSC_STEPS = {
    "SELECT SSSE": ("00A404000F7378312E", "unsupported_card"),
    "SELECT EF05": ("00A4020002EF05", "card_error"),
    "READ RECORD (EF05 record 06)": ("00B20604", "card_error"),
    "SELECT EF06": ("00A4020002EF06", "card_error"),
    "READ RECORD (EF06 record 08)": ("00B20804", "card_error"),
}
ERROR_SWS = ["6A82", "6A83", "6985", "6D00", "6E00"]
CASES = [("pboc_zhang", step, *spec) for step, spec in PBOC_STEPS.items()] + [
    ("ssc_wang", step, *spec) for step, spec in SSC_STEPS.items()
]


@pytest.mark.parametrize("sw", ERROR_SWS)
@pytest.mark.parametrize(("image", "step", "command", "expected"), CASES)
def test_each_error_status_word_at_each_step_has_a_clear_result(
    card_service, virtual_card, image, step, command, expected, sw
) -> None:
    service = card_service()
    faulty = load_image(image).with_faults((command, sw))
    result = read_through_service(service, virtual_card, faulty).result
    if expected == "ok":
        assert result.ok, result
        return
    assert not result.ok and result.code == expected, result
    if expected == "card_error":
        assert result.sw == int(sw, 16) and result.step.startswith(step)
        assert sw in result.message  # the operator sees which status word, at which step
    else:
        assert sw in result.message


def test_61xx_is_followed_by_get_response(card_service, virtual_card) -> None:
    image = load_image("pboc_zhang").with_behaviour(t0_get_response=True)
    result = read_through_service(card_service(), virtual_card, image).result
    assert result.ok and result.value.name == "张伟"


def test_6cxx_is_answered_by_resending_with_the_right_le(card_service, virtual_card) -> None:
    image = load_image("pboc_li").with_behaviour(exact_le=True)
    result = read_through_service(card_service(), virtual_card, image).result
    assert result.ok and result.value.name == "LI/NA"


# -- malformed TLV in card answers -------------------------------------------------------

ZHANG = load_image("pboc_zhang")
NESTED = b"\x5a\x01\x00"
for _ in range(tlv.MAX_DEPTH + 1):
    NESTED = tlv.encode(0x70, NESTED)

MALFORMED = {
    "length past the end": "70205A0862170000100012345F24033012",
    "indefinite length": "70805A0A6217000010001234569F0000",
    "five length bytes": "7085000000000A5A0862170000100012345F",
    "deep nesting": NESTED.hex(),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_tlv_in_a_record_is_a_card_error(card_service, virtual_card, case) -> None:
    image = ZHANG.with_record(3, 1, MALFORMED[case])
    result = read_through_service(card_service(), virtual_card, image).result
    assert not result.ok and result.code == "card_error"
    assert "malformed TLV" in result.message and result.step == "READ RECORD (SFI 3 record 1)"


def test_long_form_lengths_in_records_are_read(card_service, virtual_card) -> None:
    record = tlv.parse(bytes.fromhex(ZHANG.data["applications"][1]["sfi"]["3"][0]))[0]
    long_form = bytes.fromhex("7081") + bytes([len(record.value)]) + record.value
    image = ZHANG.with_record(3, 1, long_form.hex())
    result = read_through_service(card_service(), virtual_card, image).result
    assert result.ok and result.value.card_number == "6217000010001234569"


@pytest.mark.parametrize("empty", ["", "7000"])
def test_empty_records_are_tolerated(card_service, virtual_card, empty) -> None:
    image = ZHANG.with_record(3, 2, empty)  # the record with the name and ID number
    result = read_through_service(card_service(), virtual_card, image).result
    assert result.ok, result
    assert result.value.card_number == "6217000010001234569"
    assert result.value.name is None and result.value.id_number is None


def test_a_record_without_any_card_number_is_a_card_error(card_service, virtual_card) -> None:
    image = load_image("pboc_li").with_record(1, 1, "70085F20054C492F4E41")
    result = read_through_service(card_service(), virtual_card, image).result
    assert not result.ok and result.code == "card_error" and "card number" in result.message


# -- cards that misbehave -----------------------------------------------------------------


def test_an_answer_too_short_for_a_status_word_is_a_card_error(card_service, virtual_card) -> None:
    service = card_service()
    garbled = load_image("pboc_zhang").with_faults(("00B2", "90"))  # one byte, no SW2
    result = read_through_service(service, virtual_card, garbled).result
    assert not result.ok and result.code == "card_error" and "no valid answer" in result.message
    assert read_through_service(service, virtual_card, "pboc_zhang").result.ok  # carries on


@pytest.mark.parametrize("pull_after", [1, 4, 7])
def test_card_pulled_mid_read_is_card_removed(card_service, virtual_card, pull_after) -> None:
    service = card_service()
    card = virtual_card("pboc_zhang", pull_after=pull_after, wait=False)
    event = service.events.wait_for(CardRead, reader=READER0)
    assert not event.result.ok and event.result.code == "card_removed"
    service.events.wait_for(CardRemoved, reader=READER0)
    card.remove()
    assert read_through_service(service, virtual_card, "pboc_zhang").result.ok  # carries on


def test_mute_card_is_reported_and_the_reader_recovers_when_it_is_pulled(
    card_service, virtual_card
) -> None:
    service = card_service(mute_timeout_s=1.0)
    card = virtual_card("mute", wait=False)
    started = time.monotonic()
    event = service.events.wait_for(CardRead, reader=READER0)
    assert not event.result.ok and event.result.code == "mute_card"
    assert event.result.atr == load_image("mute").atr
    assert time.monotonic() - started < 8
    assert service.status.state == DeviceState.USER_ERROR
    card.remove()
    service.events.wait_for(CardRemoved, reader=READER0)
    assert read_through_service(service, virtual_card, "pboc_li").result.ok
    wait_status(service, DeviceState.READY)


def test_close_returns_promptly_even_while_a_mute_card_holds_the_reader(
    card_service, virtual_card
) -> None:
    service = card_service(mute_timeout_s=30)
    virtual_card("mute", wait=False)
    service.events.wait_for(CardInserted, reader=READER0)
    started = time.monotonic()
    service.close()
    assert time.monotonic() - started < 2.5


def test_close_is_prompt_when_idle(card_service) -> None:
    service = card_service()
    service.events.wait_for(ReaderAttached)
    started = time.monotonic()
    service.close()
    assert time.monotonic() - started < 1.5


# -- health checks -------------------------------------------------------------------------


def test_health_checks(card_service, virtual_card) -> None:
    service = card_service()
    service.events.wait_for(ReaderAttached)
    internal = service.health_check(HealthLevel.INTERNAL)
    assert internal.outcome == Outcome.PASS
    assert service.health_check(HealthLevel.EXTERNAL).outcome == Outcome.SKIPPED  # no card
    virtual_card("pboc_zhang")
    service.events.wait_for(CardRead)
    external = service.health_check(HealthLevel.EXTERNAL)
    assert external.outcome == Outcome.PASS
    assert external.details["atr"] == load_image("pboc_zhang").atr.hex().upper()
    assert "6217" not in str(external)  # no card number in a diagnostics report


def test_health_check_fails_without_a_reader(card_service) -> None:
    service = card_service(reader="no such reader")
    deadline = time.monotonic() + 5
    while service.status.state != DeviceState.NO_DEVICE and time.monotonic() < deadline:
        time.sleep(0.05)
    result = service.health_check()
    assert result.outcome == Outcome.FAIL and "no card reader" in result.cause
