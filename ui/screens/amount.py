"""Top-up amount: presets and a numeric keypad (whole yuan)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QGridLayout, QPushButton

from kiosk import session as s
from kiosk.money import format_fen
from ui.i18n import Tr
from ui.screens.flow_base import OptionsScreen

NEXT = Tr("amount", QT_TRANSLATE_NOOP("amount", "下一步"))


class AmountScreen(OptionsScreen):
    title_words = Tr("amount", QT_TRANSLATE_NOOP("amount", "请选择或输入充值金额"))
    columns = 2

    def __init__(self) -> None:
        super().__init__("amount")
        self.amount = self.label("", "big")
        self.body.addWidget(self.amount)
        keypad = QGridLayout()
        self.keys: dict[str, QPushButton] = {}
        for index, key in enumerate("123456789C0⌫"):
            button = QPushButton(key)
            button.setProperty("role", "nav")  # 2 cm square keys; three fit any panel
            button.clicked.connect(lambda _=False, k=key: self._key(k))
            keypad.addWidget(button, index // 3, index % 3)
            self.keys[key] = button
        self.body.addLayout(keypad)
        self.next = QPushButton()
        self.next.clicked.connect(lambda: self.event.emit(s.Next()))
        self.body.addWidget(self.next)
        self._fen = 0

    def option_text(self, option: s.Option) -> str:
        return format_fen(option.amount_fen or 0)

    def _key(self, key: str) -> None:
        yuan = self._fen // 100
        if key == "C":
            yuan = 0
        elif key == "⌫":
            yuan //= 10
        elif yuan < 100000:
            yuan = yuan * 10 + int(key)
        # kept here too, so quick taps build on each other before the core's answer
        self._fen = yuan * 100
        self.event.emit(s.SetAmount(self._fen))

    def render(self, state: s.SessionState, language: str) -> None:
        super().render(state, language)
        self._fen = state.amount_fen
        self.amount.setText(format_fen(state.amount_fen))
        self.next.setText(NEXT.in_language(language))

    def clear(self) -> None:
        self._fen = 0
        self.amount.clear()
        super().clear()
