"""A kiosk for the end-to-end flow tests: real pcscd + vpcd card, the real platform
simulator over HTTP, the real virtual ESC/POS printer over TCP, offscreen Qt."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
from kiosk.config import load_config
from kiosk.services import KioskServices
from kiosk.session import Screen
from ui.kiosk_ui import KioskUi

ZHANG_NUMBER = "6217000010001234569"
ZHANG_TRACES = ("张伟", "张*", ZHANG_NUMBER, "4569", "128.50")


def widget_texts(root: QWidget) -> list[str]:
    """Every text a widget under `root` holds, shown or not."""
    texts = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            texts.append(widget.toPlainText())
    return texts


def patient_traces(root: QWidget, traces=ZHANG_TRACES) -> list[str]:
    return [t for t in widget_texts(root) if any(trace in t for trace in traces)]


class Driver:
    """Taps like a patient and counts the taps."""

    def __init__(self, qtbot, ui: KioskUi) -> None:
        self.qtbot, self.ui, self.taps = qtbot, ui, 0

    @property
    def window(self):
        return self.ui.window

    def on(self, screen: Screen) -> bool:
        return self.window.current is screen and self.window.stack.currentWidget().isVisible()

    def wait_for(self, screen: Screen, timeout: int = 15_000) -> None:
        self.qtbot.waitUntil(lambda: self.on(screen), timeout=timeout)

    def tap(self, button: QPushButton) -> None:
        assert button.isVisible() and button.isEnabled(), button.text()
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        self.taps += 1

    def options(self, screen: Screen) -> list[QPushButton]:
        page = self.window.screens[screen]
        self.qtbot.waitUntil(lambda: not self.window.flow_screens[screen].status.text().startswith(
            ("正在加载", "Loading")), timeout=15_000)  # fmt: skip
        return list(page.buttons)

    def option(self, screen: Screen, key: str) -> QPushButton:
        return next(b for b in self.options(screen) if b.property("option_key") == key)

    def choose_flow(self, flow) -> None:
        self.tap(self.window.greeting.flow_buttons[flow])


@pytest.fixture
def kiosk(qtbot, qapp, central_sim, virtual_printer, tmp_path) -> Callable[..., Driver]:
    started: list[KioskUi] = []

    def start(
        printer: bool = True,
        pin_hash: str = "",
        scanner_port: str = "",
        cash_port: str = "",
        offline: dict | None = None,
        **ui_settings,
    ) -> Driver:
        config = load_config(
            overrides={
                "terminal": {"id": DEMO_TERMINAL_ID},
                "central": {"url": central_sim.url},
                "devices": {
                    "card_reader": {"backend": "pcsc", "reader": "Virtual PCD 00 00"},
                    "printer": {"url": virtual_printer.url if printer else ""},
                    "scanner": {"port": scanner_port},
                    "cash_acceptor": {"port": cash_port},
                },
                "ui": ui_settings,
                "offline": offline or {},
                "admin": {"pin_hash": pin_hash},
                "paths": {"data_dir": str(tmp_path / "data")},
            }
        )
        (tmp_path / "data").mkdir(exist_ok=True)
        secret = DEMO_SECRET if isinstance(DEMO_SECRET, bytes) else DEMO_SECRET.encode()
        ui = KioskUi(qapp, lambda: KioskServices(config, secret))
        started.append(ui)
        with qtbot.waitSignal(ui.services_ready, timeout=20_000):
            ui.show(fullscreen=False, size=QSize(1080, 1920))
        return Driver(qtbot, ui)

    yield start
    for ui in started:
        ui.shutdown()
        ui.window.close()
        ui.window.deleteLater()  # a leaked window is re-polished by every later style change
