"""Every screen rendered with demo data: sizes, touch targets, Back/Home, and no
visible string left in the other language."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from kiosk import session as s
from ui.main_window import MainWindow
from ui.screens.flow_base import FlowScreen
from ui.screenshots import demo_states, render_all
from ui.style import MIN_TOUCH_PX, apply_global_style

CJK = re.compile(r"[\u3400-\u9fff]")
# shown as such in either language: the masked name, the hospital's own name on a
# receipt, and the button that switches to Chinese
ALWAYS_CHINESE = ("张*", "中文", "示范医院", "拼音首字母", "您好")


def visible_texts(root: QWidget) -> list[str]:
    texts = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
    return texts


@pytest.fixture
def window(qtbot, qapp):
    apply_global_style(qapp)
    window = MainWindow(lambda event: None)
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    return window


def show(window: MainWindow, state: s.SessionState, language: str) -> QWidget:
    window.render(state)
    window.language = language
    window.render(state)
    return window.screens[state.screen]


def test_english_screens_have_no_chinese_left_and_chinese_ones_no_english_buttons(window):
    for name, state in demo_states():
        if state.screen not in window.flow_screens:
            continue
        page = show(window, state, "en")
        for text in visible_texts(page):
            stripped = text
            for allowed in ALWAYS_CHINESE:
                stripped = stripped.replace(allowed, "")
            if state.screen is s.Screen.DONE and text.startswith("Your receipt"):
                continue  # the receipt itself is bilingual, as printed
            assert not CJK.search(stripped), f"{name}: untranslated {text!r}"
        page = show(window, state, "zh")
        for button in page.findChildren(QAbstractButton):
            if button.isVisible() and button.text() not in ("English", "×"):
                assert CJK.search(button.text()) or re.fullmatch(r"[0-9C⌫¥.,\s]+", button.text()), (
                    f"{name}: untranslated button {button.text()!r}"
                )


def test_every_flow_screen_has_back_or_home_and_big_targets(window):
    for name, state in demo_states():
        page = show(window, state, "zh")
        if not isinstance(page, FlowScreen):
            continue
        assert page.home.isVisible() or page.back.isVisible(), name
        for button in page.findChildren(QAbstractButton):
            if button.isVisible():
                assert button.height() >= MIN_TOUCH_PX - 1, f"{name}: {button.text()!r}"


def test_screenshots_command_writes_every_screen(tmp_path, qapp):
    written = render_all(tmp_path, "en", (1920, 1080))
    assert len(written) == len(demo_states())
    for path in written:
        image = QImage(str(path))
        assert (image.width(), image.height()) == (1920, 1080), path.name
