"""Balance and the last transactions, read-only."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.i18n import Tr
from ui.screens.flow_base import OptionsScreen


class BalanceScreen(OptionsScreen):
    title_words = Tr("balance", QT_TRANSLATE_NOOP("balance", "余额与交易记录"))

    def __init__(self) -> None:
        super().__init__("balance")
