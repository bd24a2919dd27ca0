"""`kiosk card read|watch` and `kiosk sim card`, as a technician runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.card.test_reads_pcsc import EXPECTED
from tests.harness.pcsc import VPCD_READERS, LineStream, wait_reader_state

pytestmark = pytest.mark.pcsc

KIOSK = [sys.executable, "-m", "kiosk.cli"]


def kiosk(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([*KIOSK, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("image", sorted(EXPECTED))
def test_read_json_unmasked_prints_the_identity(virtual_card, image) -> None:
    virtual_card(image, reader=1)
    result = kiosk("card", "read", "--json", "--unmasked", "--reader", "00 01", "--backend", "pcsc")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert set(shown) == {
        "card_type",
        "card_number",
        "name",
        "id_number",
        "id_type",
        "expiry",
        "atr",
        "elapsed_ms",
    }
    assert {k: shown[k] for k in EXPECTED[image]} == EXPECTED[image]
    assert shown["elapsed_ms"] > 0 and len(bytes.fromhex(shown["atr"])) > 8
    assert ("expired" in result.stderr) == (image == "pboc_chen_expired")


def test_read_is_masked_by_default_and_nothing_leaks_to_stderr(virtual_card) -> None:
    virtual_card("pboc_zhang", reader=1)
    result = kiosk("-v", "card", "read", "--json", "--reader", "00 01", "--backend", "pcsc")
    shown = json.loads(result.stdout)
    assert shown["card_number"] == "6217***********4569"
    assert shown["name"] == "张*" and shown["id_number"] == "110101********1232"
    for secret in ("6217000010001234569", "张伟", "110101198001011232"):
        assert secret not in result.stdout + result.stderr


def test_unmasked_is_refused_to_non_root(pcscd, monkeypatch, capsys) -> None:
    # A mock of the user id: the venv's interpreter lives under /root, so no other
    # user can run it on this machine; the check itself is the real code path.
    from kiosk.cli import build_parser

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    args = build_parser().parse_args(["card", "read", "--json", "--unmasked"])
    assert args.handler(args) == 2
    captured = capsys.readouterr()
    assert "root only" in captured.err and captured.out == ""


def test_unsupported_card_exits_3_with_its_atr(virtual_card) -> None:
    virtual_card("unknown", reader=1)
    result = kiosk("card", "read", "--json", "--reader", "00 01", "--backend", "pcsc")
    assert result.returncode == 3
    shown = json.loads(result.stdout)
    assert shown["card_type"] == "unsupported" and shown["error"] == "unsupported_card"
    assert shown["atr"] == "3B8F8001804F0CA000000306030001000000006A"


def test_no_card_exits_4(pcscd) -> None:
    result = kiosk("card", "read", "--reader", "00 01", "--timeout", "0.5", "--backend", "pcsc")
    assert result.returncode == 4 and "no_card" in result.stderr


def test_read_text_output(virtual_card) -> None:
    virtual_card("ssc_wang", reader=1)
    result = kiosk("card", "read", "--reader", "00 01", "--backend", "pcsc")
    assert result.returncode == 0
    assert "card type: social_security" in result.stdout and "name: 王*" in result.stdout


def test_inprocess_backend_reads_an_image_without_pcscd() -> None:
    result = kiosk(
        "card", "read", "--json", "--unmasked", "--backend", "inprocess", "--image", "ssc_wang"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["card_number"] == "A01234567"


def test_sim_card_holds_the_card_until_interrupted(pcscd) -> None:
    reader = VPCD_READERS[1]
    assert wait_reader_state(reader, present=False)
    process = subprocess.Popen(
        [
            *KIOSK,
            "sim",
            "card",
            "--image",
            "pboc_li",
            "--reader",
            "1",
            "--port",
            str(pcscd.base_port),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    stream = LineStream(process)
    try:
        stream.wait_for(lambda line: "inserted" in line)
        assert wait_reader_state(reader, present=True)
        result = kiosk("card", "read", "--json", "--reader", "00 01", "--backend", "pcsc")
        assert json.loads(result.stdout)["card_number"] == "6217***********4323"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert wait_reader_state(reader, present=False)


def test_sim_card_lists_images_and_refuses_an_unknown_one() -> None:
    listed = kiosk("sim", "card", "--list")
    assert listed.stdout.split() == [
        "mute",
        "pboc_chen_expired",
        "pboc_li",
        "pboc_zhang",
        "ssc_wang",
        "unknown",
    ]
    unknown = kiosk("sim", "card", "--image", "no_such_card")
    assert unknown.returncode == 2 and "no card image" in unknown.stderr


def test_watch_prints_events_as_they_happen(virtual_card) -> None:
    process = subprocess.Popen(
        [*KIOSK, "card", "watch", "--json", "--reader", "00 00", "--backend", "pcsc"],
        stdout=subprocess.PIPE,
        text=True,
    )
    stream = LineStream(process)
    try:
        stream.wait_for(lambda line: "ReaderAttached" in line)
        card = virtual_card("pboc_zhang", reader=0, wait=False)
        read = json.loads(stream.wait_for(lambda line: "CardRead" in line))
        assert read["identity"]["name"] == "张*"
        card.remove()
        stream.wait_for(lambda line: "CardRemoved" in line)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
