"""The frame of every flow screen: a title, the content, and Back / Home / language
at the bottom. Screens render the core's state and turn taps into session events;
no business rule lives here."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk import session as s
from kiosk.messages import Words
from kiosk.money import format_fen
from ui.i18n import Tr
from ui.screens.base import Screen

NAV = {
    "back": Tr("flow_base", QT_TRANSLATE_NOOP("flow_base", "返回")),
    "home": Tr("flow_base", QT_TRANSLATE_NOOP("flow_base", "首页")),
    "language": Tr("flow_base", QT_TRANSLATE_NOOP("flow_base", "English")),
    "loading": Tr("flow_base", QT_TRANSLATE_NOOP("flow_base", "正在加载，请稍候…")),
    "empty": Tr("flow_base", QT_TRANSLATE_NOOP("flow_base", "暂无可选项目")),
}


class FlowScreen(Screen):
    """A flow step. `event` carries the session event a tap means."""

    event = Signal(object)
    language_toggled = Signal()
    title_words = Words("", "")

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.layout_.setContentsMargins(48, 48, 48, 48)
        self.layout_.setSpacing(24)
        self.title = self.label("", "heading")
        self.notice = self.label("", "note")
        self.notice.setObjectName("notice")
        self.body = QVBoxLayout()
        self.body.setSpacing(16)
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(self.notice)
        self.layout_.addLayout(self.body, 1)
        self.back = QPushButton()
        self.home = QPushButton()
        self.lang = QPushButton()
        for button, event in ((self.back, s.Back()), (self.home, s.Home())):
            button.clicked.connect(lambda _=False, e=event: self.event.emit(e))
        self.lang.clicked.connect(self.language_toggled)
        for button in (self.back, self.home, self.lang):
            button.setProperty("role", "nav")
        nav = QHBoxLayout()
        nav.addWidget(self.back)
        nav.addWidget(self.home)
        nav.addStretch(1)
        nav.addWidget(self.lang)
        self.layout_.addLayout(nav)
        self.language = "zh"

    def render(self, state: s.SessionState, language: str) -> None:
        self.language = language
        self.title.setText(self.title_words.in_language(language))
        self.back.setText(NAV["back"].in_language(language))
        self.home.setText(NAV["home"].in_language(language))
        self.lang.setText(NAV["language"].in_language(language))
        message = state.notice
        self.notice.setText(message.in_language(language) if message else "")
        self.notice.setVisible(message is not None)

    def words(self, words: Words) -> str:
        return words.in_language(self.language)


class OptionsScreen(FlowScreen):
    """A list or grid of options; a tap on one picks it (or toggles it)."""

    columns = 1
    toggles = False  # charges: tap chooses or un-chooses

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.status = self.label("", "subtitle")
        self.body.addWidget(self.status)
        holder = QWidget()
        holder.setObjectName("screen")
        self.grid = QGridLayout(holder)
        self.grid.setSpacing(16)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.body.addWidget(scroll, 1)
        self.buttons: list[QPushButton] = []
        self._shown: tuple = ()

    def visible_options(self, state: s.SessionState) -> tuple[s.Option, ...]:
        return state.options

    def render(self, state: s.SessionState, language: str) -> None:
        super().render(state, language)
        options = self.visible_options(state)
        if state.loading:
            self.status.setText(NAV["loading"].in_language(language))
        else:
            self.status.setText("" if options else NAV["empty"].in_language(language))
        key = (options, language, state.selected)
        if key != self._shown:
            self._shown = key
            self._fill(options, state.selected)

    def _fill(self, options: tuple[s.Option, ...], selected: frozenset[str]) -> None:
        self._drop_buttons()
        for index, option in enumerate(options):
            button = QPushButton(self.option_text(option))
            button.setEnabled(option.enabled)
            button.setProperty("option_key", option.key)
            if self.toggles:
                button.setCheckable(True)
                button.setChecked(option.key in selected)
            event = s.Toggle(option.key) if self.toggles else s.Pick(option.key)
            button.clicked.connect(lambda _=False, e=event: self.event.emit(e))
            self.grid.addWidget(button, index // self.columns, index % self.columns)
            button.show()  # a child added to a page already on screen is hidden until shown
            self.buttons.append(button)

    def option_text(self, option: s.Option) -> str:
        text = self.words(option.title)
        if option.amount_fen is not None:
            text = f"{text}   {format_fen(option.amount_fen)}"
        detail = self.words(option.detail)
        return f"{text}\n{detail}" if detail else text

    def _drop_buttons(self) -> None:
        for button in self.buttons:
            button.setParent(None)
            button.deleteLater()
        self.buttons = []

    def clear(self) -> None:
        self._drop_buttons()
        self._shown = ()
        self.status.clear()


class MessageScreen(FlowScreen):
    """A screen of a few lines of text (working, printing, done)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.lines = QLabel()
        self.lines.setProperty("role", "subtitle")
        self.lines.setWordWrap(True)
        self.lines.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addStretch(1)
        self.body.addWidget(self.lines)
        self.body.addStretch(1)

    def clear(self) -> None:
        self.lines.clear()
