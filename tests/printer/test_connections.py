"""Connections other than the virtual printer's TCP: raw socket, file, serial pty, URLs."""

from __future__ import annotations

import os
import threading

import pytest

from drivers.device import DeviceState, Fact
from drivers.printer.connection import PrinterUrlError, parse_url
from drivers.printer.virtual import EscPosDecoder, VirtualPrinter
from tests.printer.conftest import every_receipt


def test_raw_bytes_are_gb18030_with_native_qr_and_cut(socket_printer, open_printer):
    printer = open_printer(socket_printer.url)  # a bare socket never answers status
    result = printer.print_document(every_receipt()["registration"])
    assert result.ok and result.value.confirmed is Fact.UNKNOWN
    data = socket_printer.wait_for(b"\x1dV")
    assert data.startswith(b"\x10\x04\x01")  # status first, then the receipt
    assert b"\x1b@" in data
    assert "挂号凭条".encode("gb18030") in data
    assert b"\x1d(k\x0b\x001P0TX-REG-1" in data  # QR store: GS ( k, cn 1, fn P
    assert b"\x1d(k\x03\x001Q0" in data  # QR print
    assert data.rstrip(b"\x10\x04\x01\x02\x03").endswith(b"\x1dV\x00")  # full cut
    assert b"\x1c&" not in data  # FS & only when configured


def test_fs_ampersand_when_the_printer_needs_it(make_virtual_printer, open_printer):
    vp = make_virtual_printer(chinese_by_default=False)  # starts in ASCII mode
    plain = open_printer(vp.url)
    assert plain.print_document(every_receipt()["check_in"]).ok
    assert "签到凭条" not in vp.wait_for_receipts(1)[0].text  # mojibake without FS &
    with_fs = open_printer(vp.url + "?chinese=fs")
    assert with_fs.capabilities()["chinese_mode_command"] is True
    assert with_fs.print_document(every_receipt()["check_in"]).ok
    assert "签到凭条 Check-in" in vp.wait_for_receipts(2)[1].text


def test_file_device_is_write_only(tmp_path, open_printer):
    target = tmp_path / "lp0"
    printer = open_printer(f"file://{target}")
    readiness = printer.can_print()
    assert printer.status.state is DeviceState.READY
    assert printer.status.facts["paper"] is Fact.NOT_SUPPORTED
    assert readiness.fact is Fact.UNKNOWN  # cannot know before money is taken
    result = printer.print_document(every_receipt()["top_up"])
    assert result.ok and result.value.confirmed is Fact.UNKNOWN
    printer.close()
    decoder_host = VirtualPrinter()
    EscPosDecoder(decoder_host).feed(target.read_bytes())
    receipt = decoder_host.receipts[0]
    assert "充值凭条 Top-up" in receipt.text and receipt.cut and receipt.qr_payloads == ["TX-TOP-1"]


def test_serial_printer_through_a_pseudo_terminal(open_printer):
    master, slave = os.openpty()
    host = VirtualPrinter()
    decoder = EscPosDecoder(host)
    stop = threading.Event()

    def serve() -> None:  # the printer's side of the serial line
        while not stop.is_set():
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            reply = decoder.feed(data)
            if reply:
                os.write(master, reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        printer = open_printer(f"serial://{os.ttyname(slave)}?baud=115200&flow=none")
        assert printer.refresh().state is DeviceState.READY
        assert printer.print_document(every_receipt()["cancel"]).ok
        host.wait_for_receipts(1, timeout_s=20)
        assert "退号凭条 Cancellation" in host.receipts[0].text and host.receipts[0].cut
        printer.close()
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
        thread.join(timeout=5)


@pytest.mark.parametrize(
    ("url", "scheme", "target", "extra"),
    [
        ("tcp://10.0.0.5:9100", "tcp", "10.0.0.5", {"port": 9100}),
        ("tcp://printer.local", "tcp", "printer.local", {"port": 9100}),
        ("serial:///dev/ttyS0?baud=19200&flow=rtscts", "serial", "/dev/ttyS0", {"baud": 19200}),
        ("usb://0416:5011", "usb", "0416:5011", {}),
        ("file:///dev/usb/lp0", "file", "/dev/usb/lp0", {}),
    ],
)
def test_printer_urls(url, scheme, target, extra):
    spec = parse_url(url)
    assert (spec.scheme, spec.target) == (scheme, target)
    for key, value in extra.items():
        assert getattr(spec, key) == value


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://x",
        "tcp://",
        "tcp://h:99999",
        "serial://",
        "serial:///dev/ttyS0?baud=fast",
        "serial:///dev/ttyS0?flow=magic",
        "usb://zz:1",
        "usb://0416",
        "file://",
    ],
)
def test_bad_printer_urls_are_typed_errors(url):
    with pytest.raises(PrinterUrlError):
        parse_url(url)
