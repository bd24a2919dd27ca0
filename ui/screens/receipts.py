"""Reprint: the recent receipts of this card, this session's first (from the journal)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.i18n import Tr
from ui.screens.flow_base import OptionsScreen


class ReceiptsScreen(OptionsScreen):
    title_words = Tr("receipts", QT_TRANSLATE_NOOP("receipts", "选择要补打的凭条"))

    def __init__(self) -> None:
        super().__init__("receipts")
