"""A calm error: what happened, what to do next, and a reference for staff."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton

from kiosk.session import ShownError
from ui.screens.base import Screen


class ErrorScreen(Screen):
    finish_tapped = Signal()
    home_tapped = Signal()

    def __init__(self) -> None:
        super().__init__("error")
        self.zh = self.label("", "heading")
        self.en = self.label("", "subtitle")
        self.reference_caption = self.label("参考号 Reference", "note")
        self.reference = self.label("", "reference")
        self.reference.setWordWrap(False)  # a reference must never break at its hyphens
        self.done = QPushButton("好的 OK")
        self.done.clicked.connect(self.finish_tapped)
        self.home = QPushButton("返回首页 Home")
        self.home.clicked.connect(self.home_tapped)
        self.home.hide()
        self.layout_.addStretch(1)
        for widget in (self.zh, self.en, self.reference_caption, self.reference):
            self.layout_.addWidget(widget)
        self.layout_.addStretch(2)
        self.layout_.addWidget(self.home)
        self.layout_.addWidget(self.done)

    def show_error(self, error: ShownError, in_session: bool = False) -> None:
        self.home.setVisible(in_session)  # a patient still identified may go on
        self.zh.setText(error.message.zh)
        self.en.setText(error.message.en)
        self.reference.setText(error.reference)

    def clear(self) -> None:
        for widget in (self.zh, self.en, self.reference):
            widget.clear()
