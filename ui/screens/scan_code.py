"""Paying with the patient's own payment code: hold the phone under the scanner."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from kiosk import session as s
from kiosk.money import format_fen
from ui.i18n import Tr
from ui.screens.flow_base import MessageScreen

TEXT = Tr(
    "scan_code", QT_TRANSLATE_NOOP("scan_code", "请将手机付款码对准下方扫描口\n金额 {amount}")
)


class ScanCodeScreen(MessageScreen):
    title_words = Tr("scan_code", QT_TRANSLATE_NOOP("scan_code", "出示付款码"))

    def __init__(self) -> None:
        super().__init__("scan_code")

    def render(self, state: s.SessionState, language: str) -> None:
        super().render(state, language)
        amount = format_fen(state.amount_fen)
        self.lines.setText(TEXT.in_language(language).format(amount=amount))
