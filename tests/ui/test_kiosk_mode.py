"""Kiosk mode: escapes ignored, a keypad drives the screens, and the hidden technician
entry (corner taps on the attract screen, then the admin PIN)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent

from kiosk import session as s
from kiosk.admin_auth import hash_pin
from kiosk.session import Screen
from ui.kiosk_mode import CornerTaps, KioskKeys
from ui.main_window import MainWindow
from ui.screens.attract import AttractScreen


def key(code: Qt.Key, mods=Qt.KeyboardModifier.NoModifier) -> QKeyEvent:
    return QKeyEvent(QEvent.Type.KeyPress, code, mods)


def test_desktop_escapes_are_swallowed_and_the_keypad_means_back_and_home(qapp):
    posted: list = []
    keys = KioskKeys(posted.append)
    window = MainWindow(posted.append)
    alt, ctrl_alt = (
        Qt.KeyboardModifier.AltModifier,
        (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier),
    )
    for event in (key(Qt.Key.Key_F4, alt), key(Qt.Key.Key_Tab, alt),
                  key(Qt.Key.Key_Backspace, ctrl_alt)):  # fmt: skip
        assert keys.eventFilter(window, event) is True
    assert posted == []
    assert keys.eventFilter(window, key(Qt.Key.Key_Escape)) is True
    assert keys.eventFilter(window, key(Qt.Key.Key_Home)) is True
    assert posted == [s.Back(), s.Home()]
    assert keys.eventFilter(window, key(Qt.Key.Key_A)) is False  # typing still works


def test_kiosk_window_refuses_to_close(qtbot, qapp):
    window = MainWindow(lambda e: None)
    qtbot.addWidget(window)
    window.setProperty("kiosk_mode", True)
    event = QCloseEvent()
    window.closeEvent(event)
    assert not event.isAccepted()


def test_corner_taps_must_come_in_order_and_quickly(qtbot, qapp):
    screen = AttractScreen()
    qtbot.addWidget(screen)
    screen.resize(1080, 1920)
    now = [0.0]
    taps = CornerTaps(screen, clock=lambda: now[0])
    with qtbot.assertNotEmitted(taps.requested):
        for corner in ("tl", "tr", "bl", "br"):
            taps.tap(corner)
        for corner in ("tl", "tr", "br"):
            taps.tap(corner)
        now[0] += 30  # too slow
        taps.tap("bl")
    with qtbot.waitSignal(taps.requested, timeout=1000):
        for corner in ("tl", "tr", "br", "bl"):
            taps.tap(corner)


@pytest.mark.pcsc
def test_technician_entry_needs_the_corner_taps_then_the_admin_pin(qtbot, kiosk, pcscd):
    driver = kiosk(pin_hash=hash_pin("246810"))
    attract = driver.window.attract
    width, height = attract.width(), attract.height()
    for point in (QPoint(5, 5), QPoint(width - 5, 5), QPoint(width - 5, height - 5),
                  QPoint(5, height - 5)):  # fmt: skip
        qtbot.mouseClick(attract, Qt.MouseButton.LeftButton, pos=point)
    pin_screen = driver.ui.admin_pin
    qtbot.waitUntil(lambda: driver.window.stack.currentWidget() is pin_screen, timeout=5_000)
    pin_screen.pin.setText("111111")
    pin_screen.submit()
    qtbot.waitUntil(lambda: "wrong PIN" in pin_screen.message.text(), timeout=10_000)
    assert driver.ui.service_widget is None
    pin_screen.pin.setText("246810")
    pin_screen.submit()
    qtbot.waitUntil(lambda: driver.ui.service_widget is not None, timeout=10_000)
    assert driver.window.stack.currentWidget() is driver.ui.service_widget
    assert driver.window.current is Screen.ATTRACT


def test_enter_on_the_focused_button_taps_it(qtbot, qapp):
    from PySide6.QtWidgets import QPushButton

    keys = KioskKeys(lambda e: None)
    button = QPushButton("当日挂号")
    qtbot.addWidget(button)
    with qtbot.waitSignal(button.clicked, timeout=1000):
        assert keys.eventFilter(button, key(Qt.Key.Key_Return)) is True
