"""The demo's simulator panel, as a person at the demo uses it (real widgets, real simulators)."""

from __future__ import annotations

import httpx
import pytest

from drivers.card import inprocess
from drivers.printer.document import Cut, Document, KeyValue, Title
from drivers.printer.printer import Printer
from kiosk.demo import DemoRig
from ui.sim_panel import SimPanel


@pytest.fixture
def inprocess_rig(tmp_path):
    inprocess.reset()
    rig = DemoRig(workdir=tmp_path, force_inprocess=True)
    rig.start()
    yield rig
    rig.stop()
    inprocess.reset()


def test_panel_says_when_cards_run_in_process(qtbot, inprocess_rig):
    panel = SimPanel(inprocess_rig)
    qtbot.addWidget(panel)
    assert "in-process reader" in panel.card_path.text()


def test_panel_inserts_and_pulls_a_demo_card(qtbot, inprocess_rig):
    panel = SimPanel(inprocess_rig)
    qtbot.addWidget(panel)
    panel.card_buttons["ssc_wang"].click()
    qtbot.waitUntil(lambda: inprocess.slot(0).image is not None, timeout=5_000)
    qtbot.waitUntil(lambda: panel.status.text() == "inserted ssc_wang", timeout=5_000)
    panel.pull_button.click()
    qtbot.waitUntil(lambda: inprocess.slot(0).image is None, timeout=5_000)


def test_panel_runs_the_printer_out_of_paper_and_takes_the_platform_down(qtbot, inprocess_rig):
    panel = SimPanel(inprocess_rig)
    qtbot.addWidget(panel)
    panel.paper.setCurrentText("out")
    qtbot.waitUntil(lambda: inprocess_rig.printer.paper == "out", timeout=5_000)

    panel.platform_down.setChecked(True)
    qtbot.waitUntil(lambda: panel.status.text() == "platform down", timeout=5_000)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{inprocess_rig.central.url}/v1/ping", timeout=2)


def test_panel_shows_the_last_receipt_the_printer_received(qtbot, inprocess_rig):
    panel = SimPanel(inprocess_rig)
    qtbot.addWidget(panel)
    panel.show_last_receipt()
    assert panel.receipt.toPlainText() == "(no receipt printed yet)"

    printer = Printer(inprocess_rig.printer.url)  # the real driver, over the rig's socket
    printer.open()
    try:
        slip = Document((Title("余额查询 Balance"), KeyValue("余额 Balance", "¥128.50"), Cut()))
        assert printer.print_document(slip, timeout_s=20).ok
    finally:
        printer.close()
    qtbot.waitUntil(lambda: bool(inprocess_rig.printer.receipts), timeout=5_000)
    panel.show_last_receipt()
    shown = panel.receipt.toPlainText()
    # the printer has no ¥ (U+00A5) in its GB18030 font; it prints the full-width ￥
    assert "余额查询 Balance" in shown and "￥128.50" in shown


def test_panel_scans_a_payment_code_into_the_real_scanner_driver(qtbot, inprocess_rig):
    from drivers.device import DeviceState
    from drivers.scanner.driver import SerialScanner

    panel = SimPanel(inprocess_rig)
    qtbot.addWidget(panel)
    scanner = SerialScanner(inprocess_rig.scanner.path)  # over the rig's pseudo-terminal
    scanner.open()
    try:
        qtbot.waitUntil(lambda: scanner.status.state is DeviceState.READY, timeout=10_000)
        scanned = []
        scanner.subscribe_scans(scanned.append)
        panel.scan_buttons["WeChat Pay code"].click()
        qtbot.waitUntil(lambda: bool(scanned), timeout=10_000)
        assert scanned[0].kind == "payment_code"
    finally:
        scanner.close()


def test_panel_feeds_a_note_to_the_cash_acceptor(qtbot, inprocess_rig):
    panel = SimPanel(inprocess_rig)
    qtbot.addWidget(panel)
    before = inprocess_rig.cash.state.counter
    panel.note_buttons[50].click()
    # nobody has enabled the acceptor: it refuses the note, and says so as an event
    qtbot.waitUntil(lambda: inprocess_rig.cash.state.counter > before, timeout=5_000)
    qtbot.waitUntil(lambda: panel.status.text() == "fed a ¥50 note", timeout=5_000)
