"""Shown from card insertion until the patient is identified: progress within 100 ms."""

from __future__ import annotations

from ui.screens.base import Screen


class ReadingScreen(Screen):
    def __init__(self) -> None:
        super().__init__("reading")
        self.layout_.addStretch(2)
        self.layout_.addWidget(self.label("正在读卡，请稍候…", "title"))
        self.layout_.addWidget(self.label("Reading your card, please wait…", "subtitle"))
        self.layout_.addWidget(self.label("请勿拔出卡片 · Please do not remove the card", "note"))
        self.layout_.addStretch(3)
