"""Outstanding charges, itemised: tap to choose which, then Pay."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QPushButton

from kiosk import session as s
from kiosk.money import format_fen
from ui.i18n import Tr
from ui.screens.flow_base import OptionsScreen

NEXT = Tr("charges", QT_TRANSLATE_NOOP("charges", "支付所选 {total}"))


class ChargesScreen(OptionsScreen):
    title_words = Tr("charges", QT_TRANSLATE_NOOP("charges", "请选择要缴纳的费用"))
    toggles = True

    def __init__(self) -> None:
        super().__init__("charges")
        self.next = QPushButton()
        self.next.clicked.connect(lambda: self.event.emit(s.Next()))
        self.body.addWidget(self.next)

    def render(self, state: s.SessionState, language: str) -> None:
        super().render(state, language)
        total = sum(o.amount_fen or 0 for o in state.options if o.key in state.selected)
        self.next.setText(NEXT.in_language(language).format(total=format_fen(total)))
        self.next.setEnabled(bool(state.selected))
