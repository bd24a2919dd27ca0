"""Kiosk mode on the GUI side: no way out for a patient, keypad use, and the hidden
technician entry (a corner tap sequence on the attract screen, then the admin PIN).

The PIN check (scrypt, with the persisted lockout of kiosk.admin_auth) runs on a
worker thread, never on the GUI thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QGridLayout, QLineEdit, QPushButton

from kiosk import session as s
from ui.screens.base import Screen

Post = Callable[[s.Event], None]

# What a desktop would treat as "leave the app"; swallowed before any widget sees them.
_ESCAPES: tuple[tuple[Qt.KeyboardModifier, Qt.Key], ...] = (
    (Qt.KeyboardModifier.AltModifier, Qt.Key.Key_F4),
    (Qt.KeyboardModifier.AltModifier, Qt.Key.Key_Tab),
    (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier, Qt.Key.Key_Backspace),
    (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier, Qt.Key.Key_Delete),
    (Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_Q),
    (Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_W),
    (Qt.KeyboardModifier.MetaModifier, Qt.Key.Key_D),
)


def is_escape(event: QKeyEvent) -> bool:
    modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    if event.key() == Qt.Key.Key_Meta or event.key() == Qt.Key.Key_Super_L:
        return True
    return any(modifiers == mods and event.key() == key for mods, key in _ESCAPES)


class KioskKeys(QObject):
    """Swallows desktop escapes; a physical keypad works: Esc = Back, Home = Home,
    Enter = tap the focused button, arrows and Tab move the focus (Qt's own order)."""

    def __init__(self, post: Post) -> None:
        super().__init__()
        self._post = post

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and is_escape(event):  # type: ignore[arg-type]
            return True
        if event.type() != QEvent.Type.KeyPress:
            return False
        key_event: QKeyEvent = event  # type: ignore[assignment]
        if is_escape(key_event):
            return True
        match key_event.key():
            case Qt.Key.Key_Escape:
                self._post(s.Back())
                return True
            case Qt.Key.Key_Home:
                self._post(s.Home())
                return True
            case Qt.Key.Key_Return | Qt.Key.Key_Enter if isinstance(watched, QAbstractButton):
                watched.click()
                return True
        return False


class CornerTaps(QObject):
    """Top-left, top-right, bottom-right, bottom-left within a few seconds: the technician."""

    requested = Signal()
    SEQUENCE: ClassVar = ("tl", "tr", "br", "bl")
    CORNER_FRACTION = 0.12
    WINDOW_S = 6.0

    def __init__(self, screen: Screen, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._screen = screen
        self._clock = clock
        self._taps: list[tuple[str, float]] = []
        screen.installEventFilter(self)

    def corner_of(self, point: QPointF) -> str | None:
        width, height = self._screen.width(), self._screen.height()
        edge_x, edge_y = width * self.CORNER_FRACTION, height * self.CORNER_FRACTION
        horizontal = "l" if point.x() < edge_x else "r" if point.x() > width - edge_x else None
        vertical = "t" if point.y() < edge_y else "b" if point.y() > height - edge_y else None
        return f"{vertical}{horizontal}" if horizontal and vertical else None

    def tap(self, corner: str | None) -> None:
        now = self._clock()
        self._taps = [(c, t) for c, t in self._taps if now - t < self.WINDOW_S]
        expected = self.SEQUENCE[len(self._taps)]
        if corner != expected:
            self._taps = [(corner, now)] if corner == self.SEQUENCE[0] else []
            return
        self._taps.append((corner, now))
        if len(self._taps) == len(self.SEQUENCE):
            self._taps = []
            self.requested.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            self.tap(self.corner_of(event.position()))  # type: ignore[attr-defined]
        return False


class AdminPinScreen(Screen):
    """The admin PIN on an on-screen keypad; the check runs off the GUI thread."""

    granted = Signal()
    cancelled = Signal()
    _answer = Signal(bool, str)

    def __init__(self, check_pin: Callable[[str], tuple[bool, str]]) -> None:
        super().__init__("admin_pin")
        self._check_pin = check_pin
        self.layout_.addWidget(self.label("管理员密码 Admin PIN", "heading"))
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.layout_.addWidget(self.pin)
        self.message = self.label("", "note")
        self.layout_.addWidget(self.message)
        keypad = QGridLayout()
        for index, key in enumerate("123456789⌫0✓"):
            button = QPushButton(key)
            button.setProperty("role", "nav")
            button.clicked.connect(lambda _=False, k=key: self._key(k))
            keypad.addWidget(button, index // 3, index % 3)
        self.layout_.addLayout(keypad)
        cancel = QPushButton("取消 Cancel")
        cancel.clicked.connect(self._cancel)
        self.layout_.addWidget(cancel)
        self._answer.connect(self._answered)

    def _key(self, key: str) -> None:
        if key == "⌫":
            self.pin.backspace()
        elif key == "✓":
            self.submit()
        else:
            self.pin.insert(key)

    def submit(self) -> None:
        pin = self.pin.text()
        self.pin.clear()
        self.message.setText("正在验证… Checking…")

        def check() -> None:
            granted, why = self._check_pin(pin)
            self._answer.emit(granted, why)

        threading.Thread(target=check, name="admin-pin", daemon=True).start()

    def _answered(self, granted: bool, why: str) -> None:
        self.message.setText("" if granted else why)
        if granted:
            self.granted.emit()

    def _cancel(self) -> None:
        self.clear()
        self.cancelled.emit()

    def clear(self) -> None:
        self.pin.clear()
        self.message.clear()


def install_kiosk_keys(app: QApplication, post: Post) -> KioskKeys:
    keys = KioskKeys(post)
    app.installEventFilter(keys)
    return keys
