"""The issue's bad-input cases, each over a real socket: a clear state, the
document untouched, and a reprint possible once the cause is gone."""

from __future__ import annotations

import time

from drivers.device import DeviceState, Fact
from drivers.printer.virtual import VirtualPrinter
from kiosk import receipts as r
from tests.printer.conftest import APPT, AT, CHARGES, HEADER, ZHANG, every_receipt, paid, txn


def wait_until(predicate, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def assert_reprint_works(printer, vp: VirtualPrinter, doc: r.Document) -> None:
    count = len(vp.receipts)
    result = printer.print_document(r.reprint(doc, AT))
    assert result.ok, result
    receipt = vp.wait_for_receipts(count + 1)[-1]
    assert receipt.cut and not receipt.paper_ran_out
    assert receipt.qr_payloads == [doc.reference]
    assert "重印 REPRINT" in receipt.text


def test_paper_runs_out_mid_receipt(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    doc = every_receipt()["fee_payment"]
    before = doc.to_json()
    virtual_printer.set_paper("ok", lines_left=8)
    result = printer.print_document(doc)
    assert not result.ok and result.code == "paper_out" and result.retryable
    assert printer.status.state is DeviceState.USER_ERROR
    assert printer.status.facts["paper_level"] == "out"
    assert printer.can_print().fact is Fact.BAD
    partial = virtual_printer.wait_for_receipts(1)[0]
    assert partial.paper_ran_out and not partial.cut
    assert doc.to_json() == before
    virtual_printer.set_paper("ok")  # a new roll
    assert printer.can_print().fact is Fact.GOOD
    assert_reprint_works(printer, virtual_printer, doc)


def test_connection_dropped_mid_receipt(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    assert printer.refresh().state is DeviceState.READY
    doc = every_receipt()["fee_payment"]
    before = doc.to_json()
    virtual_printer.drop_after_bytes = 300
    result = printer.print_document(doc)
    assert not result.ok and result.code == "connection_lost" and result.retryable
    assert printer.status.state is DeviceState.OFFLINE
    partial = virtual_printer.wait_for_receipts(1)[0]
    assert not partial.cut
    assert doc.to_json() == before
    assert_reprint_works(printer, virtual_printer, doc)  # the driver reconnects by itself


def test_printer_off_then_power_cycled(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    assert printer.refresh().state is DeviceState.READY
    virtual_printer.stop()  # switched off
    assert wait_until(lambda: printer.status.state is DeviceState.OFFLINE)
    readiness = printer.can_print()
    assert readiness.fact is Fact.BAD and readiness.paper_level == "unknown"
    doc = every_receipt()["registration"]
    result = printer.print_document(doc)
    assert not result.ok and result.code == "offline"
    virtual_printer.start()  # switched on again, same port: python-escpos' socket is dead
    assert wait_until(lambda: printer.status.state is DeviceState.READY)
    assert_reprint_works(printer, virtual_printer, doc)


def test_printer_never_there_is_offline_not_out_of_paper(open_printer):
    from tests.harness.printer import SocketPrinter

    gone = SocketPrinter()
    url = gone.url
    gone.close()  # nothing listens on this port now
    printer = open_printer(url)
    status = printer.refresh()
    assert status.state is DeviceState.OFFLINE
    assert status.facts.get("paper") is None  # no claim about paper at all
    assert printer.print_document(every_receipt()["check_in"]).code == "offline"


def _unknown_status_case(vp: VirtualPrinter, open_printer, mode: str) -> None:
    vp.status_mode = mode
    printer = open_printer(vp.url)
    status = printer.refresh()
    assert status.state is DeviceState.UNKNOWN, (mode, status)
    assert status.facts["paper"] is Fact.UNKNOWN and status.facts["paper_level"] == "unknown"
    readiness = printer.can_print()
    assert readiness.fact is Fact.UNKNOWN and "paper" not in readiness.reason
    doc = every_receipt()["check_in"]
    result = printer.print_document(doc)  # unknown is not bad: it prints, unconfirmed
    assert result.ok and result.value.confirmed is Fact.UNKNOWN
    assert vp.wait_for_receipts(1)[0].cut
    vp.status_mode = "normal"
    assert printer.refresh().state is DeviceState.READY
    assert_reprint_works(printer, vp, doc)


def test_status_reply_of_zero_bytes_is_unknown(virtual_printer, open_printer):
    _unknown_status_case(virtual_printer, open_printer, "silent")


def test_status_reply_of_two_bytes_is_unknown(virtual_printer, open_printer):
    _unknown_status_case(virtual_printer, open_printer, "double")


def test_status_reply_with_wrong_fixed_bits_is_unknown(virtual_printer, open_printer):
    _unknown_status_case(virtual_printer, open_printer, "garbage")


def test_characters_outside_the_printer_font_and_gb18030(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    # 𠮷: 4-byte GB18030 (CJK Ext. B); a lone surrogate cannot be encoded at all;
    # ESC @ / GS V in a name must not reach the printer as commands
    patient = r.Patient("𠮷野\ud800\x1b@\x1dV\x00家", "6217000010001234569")
    doc = r.check_in(HEADER, patient, APPT, txn("TX-ODD-1"))
    before = doc.to_json()
    result = printer.print_document(doc)
    assert result.ok, result
    receipts = virtual_printer.wait_for_receipts(1)
    time.sleep(0.2)  # an injected cut would show up as a second receipt
    assert len(virtual_printer.receipts) == 1
    receipt = receipts[0]
    assert receipt.cut and receipt.unprintable == 0 and "?" not in receipt.text
    assert "患者 Patient" not in receipt.text  # the patient line went out as an image
    assert any(img.width == 576 and img.height == 24 for img in receipt.images)
    assert receipt.unknown_commands == []
    assert doc.to_json() == before
    assert_reprint_works(printer, virtual_printer, doc)


def test_a_60_character_name(make_virtual_printer, open_printer):
    vp = make_virtual_printer(paper_width_mm=58)
    printer = open_printer(vp.url, 58)
    long_cjk = "欧阳" + "明" * 58
    long_latin = "WOLFESCHLEGELSTEINHAUSEN BERGERDORFF JOHANNES MAXIMILIAN ALEX"
    for name in (long_cjk, long_latin):
        doc = r.check_in(HEADER, r.Patient(name), APPT, txn())
        assert printer.print_document(doc).ok
    cjk, latin = vp.wait_for_receipts(2)
    for receipt, initial in ((cjk, "欧*"), (latin, "W***")):
        assert receipt.cut and receipt.overflowed == 0
        assert any(initial in line and "…" in line for line in receipt.lines)
    assert "明明" not in cjk.text and "OLFE" not in latin.text


def test_200_items(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    charges = [r.Charge(f"检验项目 Lab test {i:03d}", 150 + i) for i in range(200)]
    total = sum(c.amount_fen for c in charges)
    doc = r.fee_payment(HEADER, ZHANG, charges, paid(total), txn("TX-BIG-1"))
    result = printer.print_document(doc)
    assert result.ok, result
    receipt = virtual_printer.wait_for_receipts(1)[0]
    assert receipt.cut and receipt.overflowed == 0
    for i in (0, 99, 199):
        assert f"Lab test {i:03d}" in receipt.text
    assert sum("检验项目" in line for line in receipt.lines) == 200
    assert r.format_fen(total) in receipt.text
    assert_reprint_works(printer, virtual_printer, doc)


def test_a_logo_file_that_is_not_an_image(virtual_printer, open_printer, tmp_path):
    fake = tmp_path / "logo.png"
    fake.write_text("this is not a PNG")
    header = r.Header(HEADER.hospital, HEADER.terminal_id, logo_path=str(fake))
    printer = open_printer(virtual_printer.url)
    doc = r.fee_payment(header, ZHANG, CHARGES, paid(12850), txn())
    result = printer.print_document(doc)
    assert result.ok
    assert any("logo" in w and "not a readable image" in w for w in result.value.warnings)
    receipt = virtual_printer.wait_for_receipts(1)[0]
    assert receipt.images == [] and receipt.cut and "示范医院" in receipt.text
    assert_reprint_works(printer, virtual_printer, doc)


def test_a_real_logo_is_printed_as_an_image(virtual_printer, open_printer, tmp_path):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (900, 120), "black").save(logo)  # wider than the paper: scaled down
    header = r.Header(HEADER.hospital, HEADER.terminal_id, logo_path=str(logo))
    printer = open_printer(virtual_printer.url)
    result = printer.print_document(r.check_in(header, ZHANG, APPT, txn()))
    assert result.ok and result.value.warnings == ()
    images = virtual_printer.wait_for_receipts(1)[0].images
    assert len(images) == 1 and images[0].width == 576 and images[0].height == 76
