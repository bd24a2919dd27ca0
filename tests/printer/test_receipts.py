"""Every receipt type printed to the virtual printer over a real TCP socket."""

from __future__ import annotations

import pytest

from drivers.device import Fact
from drivers.printer.document import Document, display_width
from kiosk import receipts as r
from tests.printer.conftest import AT, HEADER, ZHANG, every_receipt, paid, txn

EXPECTED = {
    "registration": ["挂号凭条 Registration", "A023", "￥12.00", "已确认 confirmed", "305诊室"],
    "booking": ["预约凭条 Booking", "待确认 pending confirmation", "扫码支付 QR payment"],
    "check_in": ["签到凭条 Check-in", "A023", "已签到 checked in"],
    "cancel": ["退号凭条 Cancellation", "退款 Refund", "￥12.00"],
    "fee_payment": ["缴费凭条 Payment", "阿莫西林胶囊", "￥80.00", "￥128.50", "卡内余额"],
    "top_up": ["充值凭条 Top-up", "￥100.00", "现金 Cash", "￥228.50"],
    "balance": ["余额查询 Balance", "￥128.50", "￥-48.50".replace("￥-", "-￥")],
}


@pytest.mark.parametrize("width", [58, 80])
def test_every_receipt_type_prints_and_decodes(make_virtual_printer, open_printer, width):
    vp = make_virtual_printer(paper_width_mm=width)
    printer = open_printer(vp.url, width)
    docs = every_receipt()
    for number, (kind, doc) in enumerate(docs.items(), start=1):
        result = printer.print_document(doc)
        assert result.ok, result
        assert result.value.confirmed is Fact.GOOD
        receipt = vp.wait_for_receipts(number)[-1]
        text = receipt.text
        for expected in [*EXPECTED[kind], "示范医院 Demo Hospital", "DEMO-0001", doc.reference]:
            assert expected in text, (kind, expected, text)
        assert "张*" in text and "张伟" not in text  # masked name
        assert "6217***********4569" in text and "6217000010001234569" not in text
        assert "2026-11-23 09:15:30" in text
        assert receipt.qr_payloads == [doc.reference]
        assert receipt.cut and not receipt.paper_ran_out
        assert receipt.unprintable == 0 and receipt.overflowed == 0
        assert receipt.unknown_commands == []
        assert "?" not in text


def test_queue_number_is_printed_large(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    assert printer.print_document(every_receipt()["registration"]).ok
    lines = virtual_printer.wait_for_receipts(1)[0].styled_lines
    queue = [line for line in lines if line.text.strip() == "A023"]
    assert queue and queue[0].width == 3 and queue[0].height == 3 and queue[0].align == "center"


def test_item_columns_line_up_with_cjk_names(make_virtual_printer, open_printer):
    vp = make_virtual_printer(paper_width_mm=58)
    printer = open_printer(vp.url, 58)
    assert printer.print_document(every_receipt()["fee_payment"]).ok
    lines = vp.wait_for_receipts(1)[0].lines
    amount_lines = [ln for ln in lines if ln.endswith(("￥23.50", "￥25.00", "￥80.00"))]
    assert len(amount_lines) == 3
    # every amount ends in the last column: same display width as the paper (32 columns)
    assert {display_width(ln) for ln in amount_lines} == {32}


def test_pending_payment_never_claims_confirmed(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    doc = r.registration(HEADER, ZHANG, every_receipt_appt(), paid(1200, False, "qr"), txn())
    assert printer.print_document(doc).ok
    text = virtual_printer.wait_for_receipts(1)[0].text
    assert "待确认 pending confirmation" in text and "已确认" not in text


def every_receipt_appt():
    from tests.printer.conftest import APPT

    return APPT


def test_reprint_from_journal_json_gives_the_same_slip_marked(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    original = every_receipt()["fee_payment"]
    assert printer.print_document(original).ok
    journal_json = original.to_json()  # what the journal keeps
    again = r.reprint(Document.from_json(journal_json), AT)
    assert printer.print_document(again).ok
    first, second = virtual_printer.wait_for_receipts(2)
    assert "重印 REPRINT" in second.text and "重印" not in first.text
    assert [ln for ln in second.lines if "REPRINT" not in ln] == first.lines
    assert second.qr_payloads == first.qr_payloads


def test_receipts_are_saved_as_text_and_png(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    assert printer.print_document(every_receipt()["check_in"]).ok
    virtual_printer.wait_for_receipts(1)
    txt = sorted(virtual_printer.out_dir.glob("*.txt"))
    png = sorted(virtual_printer.out_dir.glob("*.png"))
    assert len(txt) == 1 and len(png) == 1
    assert "签到凭条 Check-in" in txt[0].read_text(encoding="utf-8")
    assert "[QR TX-CHK-1]" in txt[0].read_text(encoding="utf-8")
    assert png[0].read_bytes().startswith(b"\x89PNG")


def test_bad_core_data_gets_a_typed_error():
    appt = every_receipt_appt()
    with pytest.raises(r.ReceiptDataError, match="integer fen"):
        r.registration(HEADER, ZHANG, appt, r.Payment("balance", 12.0, True), txn())  # type: ignore[arg-type]
    naive = r.Transaction("TX-1", AT.replace(tzinfo=None))
    with pytest.raises(r.ReceiptDataError, match="timezone-aware"):
        r.check_in(HEADER, ZHANG, appt, naive)
    with pytest.raises(r.ReceiptDataError, match="payment method"):
        r.registration(HEADER, ZHANG, appt, r.Payment("bitcoin", 1200, True), txn())
    with pytest.raises(r.ReceiptDataError, match="reference"):
        r.check_in(HEADER, ZHANG, appt, txn("ref with\nnewline"))
    with pytest.raises(r.ReceiptDataError, match="add up"):
        r.fee_payment(HEADER, ZHANG, [r.Charge("x", 100)], paid(99), txn())


def test_social_security_card_number_is_masked_more(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    wang = r.Patient("王芳", "A01234567")
    assert printer.print_document(r.check_in(HEADER, wang, every_receipt_appt(), txn())).ok
    text = virtual_printer.wait_for_receipts(1)[0].text
    assert "A0*****67" in text and "A01234567" not in text and "王*" in text


def test_header_comes_from_the_terminal_config():
    from kiosk.config import load_config

    config = load_config(overrides={"terminal": {"id": "T-42"}, "receipt": {"header": "某医院"}})
    header = r.header_from_config(config)
    assert (header.hospital, header.terminal_id) == ("某医院", "T-42")


def test_reprint_from_a_journal_detail_after_a_failed_print(virtual_printer, open_printer):
    import json

    printer = open_printer(virtual_printer.url)
    doc = every_receipt()["top_up"]
    virtual_printer.set_paper("out")
    failed = printer.print_document(doc)
    assert failed.code == "user_error"
    stored = json.dumps(r.journal_detail(doc, failed.code, card_key="k1"), ensure_ascii=False)
    virtual_printer.set_paper("ok")
    again = r.reprint(r.document_from_journal(json.loads(stored)), AT)
    assert printer.print_document(again).ok
    receipt = virtual_printer.wait_for_receipts(1)[0]
    assert "充值凭条 Top-up" in receipt.text and receipt.qr_payloads == ["TX-TOP-1"]
    with pytest.raises(r.DocumentError):
        r.document_from_journal({"kind": "top_up"})
