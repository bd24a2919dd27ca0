"""Identity masking and expiry; the shipped card images; the in-process backend."""

from __future__ import annotations

import json
import logging
import time
from datetime import date

import pytest

from drivers.card import imagebuild, inprocess
from drivers.card.emulator import IMAGES_DIR, CardEmulator, ImageError, list_images, load_image
from drivers.card.events import CardInserted, CardRead, CardRemoved, ReaderAttached
from drivers.card.identity import CardIdentity, CardType
from drivers.card.profiles import read_identity
from drivers.card.service import read_once
from drivers.device import DeviceState
from tests.harness.pcsc import wait_status

ZHANG = CardIdentity(
    CardType.PBOC,
    "6217000010001234569",
    "张伟",
    "110101198001011232",
    "00",
    "2030-12",
    bytes.fromhex("3B6D"),
)


def test_identity_is_masked_in_repr_str_and_masked() -> None:
    for text in (repr(ZHANG), str(ZHANG), json.dumps(ZHANG.masked(), ensure_ascii=False)):
        for secret in ("6217000010001234569", "张伟", "110101198001011232"):
            assert secret not in text
    assert ZHANG.masked()["card_number"] == "6217***********4569"
    assert ZHANG.masked()["name"] == "张*"
    assert ZHANG.as_dict(unmasked=True)["name"] == "张伟"


def test_latin_names_keep_only_initials() -> None:
    li = CardIdentity(CardType.PBOC, "6217000010007654323", "LI/NA", None, None, "2029-06")
    assert li.masked()["name"] == "L*/N*"
    assert li.masked()["id_number"] is None


def test_logging_an_identity_never_shows_it(caplog) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("read %s", ZHANG)
    assert "6217000010001234569" not in caplog.text and "张伟" not in caplog.text


@pytest.mark.parametrize(
    ("expiry", "today", "expired"),
    [
        ("2024-01", date(2024, 1, 31), False),
        ("2024-01", date(2024, 2, 1), True),
        ("2024-02", date(2024, 2, 29), False),
        ("2030-12", date(2026, 11, 22), False),
    ],
)
def test_a_card_is_valid_to_the_end_of_its_expiry_month(expiry, today, expired) -> None:
    identity = CardIdentity(CardType.PBOC, "1", None, None, None, expiry)
    assert identity.is_expired(today) is expired


def test_shipped_images_are_what_the_builder_writes(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(imagebuild, "IMAGES_DIR", tmp_path)
    imagebuild.main()
    for built in tmp_path.glob("*.json"):
        assert built.read_text("utf-8") == (IMAGES_DIR / built.name).read_text("utf-8")
    assert list_images() == sorted(p.stem for p in tmp_path.glob("*.json"))


def test_bad_image_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(ImageError, match="no card image"):
        load_image("no_such_card")
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x", "atr": "not hex"}')
    with pytest.raises(ImageError, match="not a card image"):
        load_image(broken)


def test_profiles_read_images_directly_without_any_reader() -> None:
    image = load_image("pboc_chen_expired")
    result = read_identity(CardEmulator(image).process, image.atr)
    assert result.ok and result.value.name == "陈静"


# -- the in-process backend: the same service and profiles, no pcscd ----------------------


@pytest.fixture
def slots():
    inprocess.reset()
    yield inprocess
    inprocess.reset()


def test_inprocess_service_follows_slots_and_reads_cards(card_service_inprocess, slots) -> None:
    slots.slot(0)
    service = card_service_inprocess()
    service.events.wait_for(ReaderAttached, reader="In-process slot 0")
    slots.slot(0).insert("ssc_wang")
    assert service.events.wait_for(CardInserted).atr == load_image("ssc_wang").atr
    read = service.events.wait_for(CardRead)
    assert read.result.ok and read.result.value.name == "王芳"
    slots.slot(0).remove()
    service.events.wait_for(CardRemoved)
    slots.slot(1).insert("pboc_li")  # a second slot appears as a new reader
    service.events.wait_for(ReaderAttached, reader="In-process slot 1")
    assert service.events.wait_for(CardRead, reader="In-process slot 1").result.ok


def test_inprocess_swapped_card_is_seen_as_removed_and_inserted(card_service_inprocess, slots):
    slots.slot(0).insert("pboc_zhang")
    service = card_service_inprocess()
    service.events.wait_for(CardRead)
    slots.slot(0).insert("pboc_li")  # swapped without a visible gap
    service.events.wait_for(CardRemoved)
    assert service.events.wait_for(CardRead).result.value.name == "LI/NA"


def test_inprocess_mute_card(card_service_inprocess, slots) -> None:
    slots.slot(0).insert("mute")
    service = card_service_inprocess(mute_timeout_s=0.5)
    started = time.monotonic()
    assert service.events.wait_for(CardRead).result.code == "mute_card"
    assert time.monotonic() - started < 5
    time.sleep(3.5)  # past the in-process card's own timeout: still the mute card's fault
    assert service.status.state == DeviceState.USER_ERROR
    slots.slot(0).remove()
    service.events.wait_for(CardRemoved)
    wait_status(service, DeviceState.READY)


def test_inprocess_read_once(slots) -> None:
    slots.slot(0).insert("pboc_zhang")
    result = read_once(backend="inprocess")
    assert result.ok and result.value.card_number == "6217000010001234569"


@pytest.fixture
def card_service_inprocess():
    from drivers.card.service import CardReaderService
    from tests.harness.pcsc import EventLog

    services = []

    def start(**kwargs):
        events = EventLog()
        service = CardReaderService(events, backend="inprocess", **kwargs)
        service.events = events
        service.open()
        services.append(service)
        return service

    yield start
    for service in services:
        service.close()


@pytest.mark.parametrize("answer", ["", "90"])
def test_inprocess_an_answer_without_a_status_word_is_a_card_error(
    card_service_inprocess, slots, answer
) -> None:
    # In process, where a card's answer reaches the APDU channel as the card gave it
    # (through pcscd, the PC/SC session turns away an answer this short first).
    slots.slot(0).insert(load_image("pboc_zhang").with_faults(("00B2", answer)))
    service = card_service_inprocess()
    result = service.events.wait_for(CardRead).result
    assert not result.ok and result.code == "card_error"
    assert "no status word" in result.message and result.step.startswith("READ RECORD")
    slots.slot(0).remove()
    service.events.wait_for(CardRemoved)
    wait_status(service, DeviceState.READY)
