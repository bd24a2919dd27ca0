"""Cash top-up: notes go in one by one, the running total shows, Done ends it."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QPushButton

from kiosk import session as s
from kiosk.money import format_fen
from ui.i18n import Tr
from ui.screens.flow_base import MessageScreen

TEXT = Tr("cash", QT_TRANSLATE_NOOP("cash", "请逐张放入纸币，最多 {limit}\n已放入"))
DONE = Tr("cash", QT_TRANSLATE_NOOP("cash", "放入完毕"))


class CashScreen(MessageScreen):
    title_words = Tr("cash", QT_TRANSLATE_NOOP("cash", "现金充值"))

    def __init__(self) -> None:
        super().__init__("cash")
        self.total = self.label("", "big")
        self.body.insertWidget(2, self.total)
        self.done = QPushButton()
        self.done.clicked.connect(lambda: self.event.emit(s.Next()))
        self.body.addWidget(self.done)

    def render(self, state: s.SessionState, language: str) -> None:
        super().render(state, language)
        limit = format_fen(state.amount_fen)
        self.lines.setText(TEXT.in_language(language).format(limit=limit))
        self.total.setText(format_fen(state.cash_in_fen))
        self.done.setText(DONE.in_language(language))
        self.done.setEnabled(state.cash_in_fen > 0)
        self.back.setEnabled(state.cash_in_fen == 0)  # stacked notes cannot be handed back
        self.home.setEnabled(state.cash_in_fen == 0)

    def clear(self) -> None:
        self.total.clear()
        super().clear()
