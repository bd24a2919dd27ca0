"""Department grid, with search by pinyin initials (心血管内科 → XXGNK)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton

from kiosk import session as s
from ui.i18n import Tr
from ui.screens.flow_base import OptionsScreen


class DepartmentsScreen(OptionsScreen):
    title_words = Tr("departments", QT_TRANSLATE_NOOP("departments", "请选择科室"))
    columns = 2

    def __init__(self) -> None:
        super().__init__("departments")
        self.search = QLineEdit()
        self.search.setPlaceholderText("拼音首字母 Pinyin initials, e.g. XXNK")
        self.search.textChanged.connect(self._refilter)
        self.clear_search = QPushButton("×")
        self.clear_search.clicked.connect(self.search.clear)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.clear_search)
        self.body.insertLayout(0, row)
        self._state: s.SessionState | None = None

    def visible_options(self, state: s.SessionState) -> tuple[s.Option, ...]:
        typed = self.search.text().strip().upper()
        return tuple(o for o in state.options if o.search.upper().startswith(typed))

    def render(self, state: s.SessionState, language: str) -> None:
        self._state = state
        super().render(state, language)

    def _refilter(self) -> None:
        if self._state is not None:
            self.render(self._state, self.language)

    def clear(self) -> None:
        self.search.clear()
        self._state = None
        super().clear()
