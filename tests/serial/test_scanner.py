"""The scanner driver against the scanner simulator, through real pseudo-terminals."""

from __future__ import annotations

import queue
import time

import pytest

from drivers.device import DeviceState, HealthLevel, Outcome
from drivers.scanner import CodeKind, PaymentProvider, SerialScanner
from drivers.scanner.codes import receipt_payload
from drivers.scanner.sim import ScannerSimulator
from tests.harness.serial import wait_for

HEALTH_CARD = "A1" * 32 + ":1:330100"
WECHAT_CODE = "134567890123456789"


@pytest.fixture
def scanner(virtual_scanner):
    driver = SerialScanner(virtual_scanner.path, 9600, "CR", frame_gap_s=0.3)
    scans: queue.Queue = queue.Queue()
    driver.subscribe_scans(scans.put)
    driver.open()
    wait_for(lambda: driver.status.state is DeviceState.READY)
    driver.scans = scans
    yield driver
    driver.close()


def next_scan(scans: queue.Queue, timeout: float = 20.0):
    return scans.get(timeout=timeout)


def assert_no_scan(scans: queue.Queue, quiet_s: float = 0.8) -> None:
    with pytest.raises(queue.Empty):
        scans.get(timeout=quiet_s)


def test_each_code_is_delivered_once_and_classified(scanner, virtual_scanner):
    virtual_scanner.scan(HEALTH_CARD)
    virtual_scanner.scan(WECHAT_CODE)
    virtual_scanner.scan(receipt_payload("R20261122-0042"))
    first, second, third = (next_scan(scanner.scans) for _ in range(3))
    assert (first.kind, first.code) == (CodeKind.HEALTH_CARD, HEALTH_CARD)
    assert (second.kind, second.provider) == (CodeKind.PAYMENT_CODE, PaymentProvider.WECHAT)
    assert (third.kind, third.receipt_id) == (CodeKind.RECEIPT, "R20261122-0042")
    assert_no_scan(scanner.scans)


def test_a_code_held_under_the_scanner_is_one_presentation(scanner, virtual_scanner):
    for _ in range(5):  # continuous mode re-reads a code held under the window
        virtual_scanner.scan(WECHAT_CODE)
    assert next_scan(scanner.scans).code == WECHAT_CODE
    assert_no_scan(scanner.scans)


def test_garbage_bytes_are_dropped_and_the_next_code_still_reads(scanner, virtual_scanner):
    virtual_scanner.send_raw(b"\x00\xff\xfe\x81\x07\r")  # line noise with a CR in it
    virtual_scanner.send_raw(b"\x1b[2J\r")  # control characters are not a code
    virtual_scanner.scan(WECHAT_CODE)
    assert next_scan(scanner.scans).code == WECHAT_CODE
    assert_no_scan(scanner.scans)
    assert scanner.stats["garbage"] == 2


def test_a_partial_frame_is_dropped_not_glued_to_the_next_code(scanner, virtual_scanner):
    virtual_scanner.send_raw(b"2812345")  # the burst stops without its suffix
    wait_for(lambda: scanner.stats["partial"] == 1)
    virtual_scanner.scan(WECHAT_CODE)
    assert next_scan(scanner.scans).code == WECHAT_CODE
    assert_no_scan(scanner.scans)


def test_a_4_kb_code_arrives_whole(scanner, virtual_scanner):
    big = "".join(chr(ord("A") + i % 26) for i in range(4096))
    virtual_scanner.scan(big)
    scanned = next_scan(scanner.scans)
    assert scanned.code == big
    assert scanned.kind is CodeKind.UNKNOWN


def test_an_endless_run_without_suffix_is_dropped_and_memory_stays_bounded(
    scanner, virtual_scanner
):
    virtual_scanner.send_raw(b"9" * 20_000 + b"\r")
    virtual_scanner.scan(WECHAT_CODE)
    assert next_scan(scanner.scans).code == WECHAT_CODE
    assert scanner.stats["overlong"] == 1
    assert_no_scan(scanner.scans)


def test_chinese_text_from_a_gbk_scanner_is_decoded(scanner, virtual_scanner):
    virtual_scanner.scan("挂号单", encoding="gb18030")
    assert next_scan(scanner.scans).code == "挂号单"


@pytest.mark.parametrize("suffix", ["LF", "CRLF"])
def test_other_suffixes_from_config(tmp_path, suffix):
    sim = ScannerSimulator(suffix=suffix, link=tmp_path / "tty")
    driver = SerialScanner(sim.path, 9600, suffix)
    scans: queue.Queue = queue.Queue()
    driver.subscribe_scans(scans.put)
    driver.open()
    try:
        wait_for(lambda: driver.status.state is DeviceState.READY)
        sim.scan(WECHAT_CODE)
        sim.scan("263456789012345678")
        assert next_scan(scans).code == WECHAT_CODE
        assert next_scan(scans).provider is PaymentProvider.ALIPAY
    finally:
        driver.close()
        sim.close()


def test_unplugged_and_plugged_back(scanner, virtual_scanner):
    statuses: list = []
    scanner.subscribe(statuses.append)
    virtual_scanner.unplug()
    wait_for(lambda: scanner.status.state is DeviceState.NO_DEVICE)
    assert scanner.status.reason == "scanner unplugged"
    assert scanner.health_check().outcome is Outcome.FAIL
    time.sleep(1.5)  # several reopen attempts while unplugged: still one event
    assert [s.state for s in statuses] == [DeviceState.NO_DEVICE]

    virtual_scanner.plug()
    wait_for(lambda: scanner.status.state is DeviceState.READY)
    virtual_scanner.scan(WECHAT_CODE)
    assert next_scan(scanner.scans).code == WECHAT_CODE
    assert [s.state for s in statuses] == [DeviceState.NO_DEVICE, DeviceState.READY]


def test_port_not_fitted_and_port_missing(tmp_path):
    unfitted = SerialScanner("")
    unfitted.open()
    assert unfitted.status.state is DeviceState.NO_DEVICE
    assert unfitted.health_check().outcome is Outcome.SKIPPED

    missing = SerialScanner(str(tmp_path / "ttyUSB9"))
    missing.open()
    try:
        wait_for(lambda: missing.status.state is DeviceState.NO_DEVICE)
    finally:
        missing.close()


def test_interactive_health_check_waits_for_a_scan(scanner, virtual_scanner):
    def scan_soon():
        time.sleep(0.3)
        virtual_scanner.scan(HEALTH_CARD)

    import threading

    threading.Thread(target=scan_soon, daemon=True).start()
    result = scanner.health_check(HealthLevel.INTERACTIVE, wait_s=20)
    assert result.outcome is Outcome.PASS
    assert "health_card" in result.summary
    assert HEALTH_CARD not in repr(result)


def test_the_log_never_shows_a_payment_code(scanner, virtual_scanner, caplog):
    caplog.set_level("DEBUG")
    virtual_scanner.scan(WECHAT_CODE)
    next_scan(scanner.scans)
    assert "payment_code" in caplog.text
    assert WECHAT_CODE not in caplog.text
