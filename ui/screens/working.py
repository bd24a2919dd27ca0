"""Busy: the platform is doing what the patient asked; shown at once, no way back."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from kiosk import session as s
from ui.i18n import Tr
from ui.screens.flow_base import MessageScreen

TEXT = Tr("working", QT_TRANSLATE_NOOP("working", "正在办理，请稍候…\n请勿拔卡"))


class WorkingScreen(MessageScreen):
    title_words = Tr("working", QT_TRANSLATE_NOOP("working", "请稍候"))

    def __init__(self) -> None:
        super().__init__("working")

    def render(self, state: s.SessionState, language: str) -> None:
        super().render(state, language)
        self.lines.setText(TEXT.in_language(language))
        self.back.setEnabled(False)
        self.home.setEnabled(False)
