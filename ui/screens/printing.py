"""Printing the receipt."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from kiosk import session as s
from ui.i18n import Tr
from ui.screens.flow_base import MessageScreen

TEXT = Tr("printing", QT_TRANSLATE_NOOP("printing", "正在打印凭条…"))


class PrintingScreen(MessageScreen):
    title_words = Tr("printing", QT_TRANSLATE_NOOP("printing", "打印中"))

    def __init__(self) -> None:
        super().__init__("printing")

    def render(self, state: s.SessionState, language: str) -> None:
        super().render(state, language)
        self.lines.setText(TEXT.in_language(language))
        self.back.setEnabled(False)
        self.home.setEnabled(False)
