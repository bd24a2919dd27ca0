"""The walking skeleton end to end: a card in the real pcscd + vpcd reader, the patient
looked up on the real platform simulator over HTTP, the greeting on real Qt widgets
(offscreen), and nothing of the patient left once the session ends."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QWidget

from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
from kiosk.config import load_config
from kiosk.services import KioskServices
from kiosk.session import Screen
from ui.kiosk_ui import KioskUi

ZHANG_NUMBER = "6217000010001234569"
ZHANG_NAME = "张伟"


def widget_texts(root: QWidget) -> list[str]:
    """Every text a widget under `root` holds, shown or not."""
    texts = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            texts.append(widget.toPlainText())
    return texts


def patient_traces(root: QWidget) -> list[str]:
    traces = (ZHANG_NAME, "张*", ZHANG_NUMBER, "4569", "128.50")
    return [t for t in widget_texts(root) if any(trace in t for trace in traces)]


@pytest.fixture
def kiosk_ui(qtbot, qapp, central_sim, tmp_path):
    def start(**ui_settings):
        config = load_config(
            overrides={
                "terminal": {"id": DEMO_TERMINAL_ID},
                "central": {"url": central_sim.url},
                "devices": {"card_reader": {"backend": "pcsc", "reader": "Virtual PCD 00 00"}},
                "ui": ui_settings,
                "paths": {"data_dir": str(tmp_path)},
            }
        )
        secret = DEMO_SECRET if isinstance(DEMO_SECRET, bytes) else DEMO_SECRET.encode()
        ui = KioskUi(qapp, lambda: KioskServices(config, secret))
        started.append(ui)
        with qtbot.waitSignal(ui.services_ready, timeout=20_000):
            ui.show(fullscreen=False, size=QSize(540, 960))
        return ui

    started: list[KioskUi] = []
    yield start
    for ui in started:
        ui.shutdown()
        ui.window.close()
        ui.window.deleteLater()  # a leaked window is re-polished by every later style change


def on_screen(ui: KioskUi, screen: Screen) -> bool:
    return ui.window.current is screen and ui.window.stack.currentWidget().isVisible()


@pytest.mark.pcsc
def test_card_in_greets_patient_and_card_out_forgets_them(qtbot, pcscd, virtual_card, kiosk_ui):
    ui = kiosk_ui()
    assert on_screen(ui, Screen.ATTRACT)
    assert "请插入就诊卡" in widget_texts(ui.window.attract)

    card = virtual_card("pboc_zhang", reader=0)
    qtbot.waitUntil(lambda: on_screen(ui, Screen.GREETING), timeout=15_000)

    greeting = ui.window.greeting
    assert "张*" in greeting.hello.text()
    assert greeting.balance.text() == "¥128.50"
    assert ZHANG_NAME not in " ".join(widget_texts(ui.window))
    assert ZHANG_NUMBER not in " ".join(widget_texts(ui.window))

    card.remove()
    qtbot.waitUntil(lambda: on_screen(ui, Screen.ATTRACT), timeout=10_000)
    assert patient_traces(ui.window) == []
    assert ui.services.core.state.patient is None


@pytest.mark.pcsc
def test_idle_timeout_counts_down_offers_more_time_then_ends(qtbot, pcscd, virtual_card, kiosk_ui):
    ui = kiosk_ui(idle_timeout_s=10, idle_warning_s=4)
    virtual_card("ssc_wang", reader=0)
    qtbot.waitUntil(lambda: on_screen(ui, Screen.GREETING), timeout=15_000)
    assert "王*" in ui.window.greeting.hello.text()
    assert ui.window.greeting.balance.text() == "¥500.00"

    qtbot.waitUntil(lambda: ui.window.banner.isVisible(), timeout=12_000)
    assert "I need more time" in ui.window.banner.button.text()
    ui.window.banner.button.click()
    qtbot.waitUntil(lambda: not ui.window.banner.isVisible(), timeout=5_000)
    assert on_screen(ui, Screen.GREETING)  # more time keeps the patient's session

    # the card stays in; the session still ends when nobody touches the screen
    qtbot.waitUntil(lambda: on_screen(ui, Screen.ATTRACT), timeout=15_000)
    assert patient_traces(ui.window) == []


@pytest.mark.pcsc
def test_expired_card_gets_a_calm_message_with_a_reference(qtbot, pcscd, virtual_card, kiosk_ui):
    ui = kiosk_ui()
    card = virtual_card("pboc_chen_expired", reader=0)
    qtbot.waitUntil(lambda: on_screen(ui, Screen.ERROR), timeout=15_000)
    assert "过期" in ui.window.error.zh.text()
    assert "expired" in ui.window.error.en.text()
    assert ui.window.error.reference.text().startswith("CARD-EXPIRED-")
    card.remove()
    qtbot.waitUntil(lambda: on_screen(ui, Screen.ATTRACT), timeout=10_000)
    assert ui.window.error.reference.text() == ""


@pytest.mark.pcsc
def test_platform_down_says_service_limited_not_a_crash(
    qtbot, pcscd, virtual_card, kiosk_ui, central_sim
):
    ui = kiosk_ui()
    central_sim.set_faults(down=True)
    virtual_card("pboc_li", reader=0)
    qtbot.waitUntil(lambda: on_screen(ui, Screen.ERROR), timeout=20_000)
    assert ui.window.error.reference.text().startswith("SERVICE-LIMITED-")
    assert "limited" in ui.window.error.en.text()
