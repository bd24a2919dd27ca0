"""Home: the greeting with the masked name and balance, and the flows on offer.

Only the flows the core offers get a button (device health and the offline policy
decide that in the core); while the platform is unreachable a plain banner says so.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtWidgets import QGridLayout, QPushButton

from kiosk import session as s
from kiosk.flows import Flow
from kiosk.money import format_fen
from kiosk.session import PatientView
from ui.i18n import Tr
from ui.screens.base import Screen

FLOW_WORDS = {
    Flow.REGISTER: Tr("greeting", QT_TRANSLATE_NOOP("greeting", "当日挂号")),
    Flow.BOOK: Tr("greeting", QT_TRANSLATE_NOOP("greeting", "预约挂号")),
    Flow.CHECK_IN: Tr("greeting", QT_TRANSLATE_NOOP("greeting", "签到取号")),
    Flow.CANCEL: Tr("greeting", QT_TRANSLATE_NOOP("greeting", "退号")),
    Flow.PAY: Tr("greeting", QT_TRANSLATE_NOOP("greeting", "门诊缴费")),
    Flow.TOP_UP: Tr("greeting", QT_TRANSLATE_NOOP("greeting", "充值")),
    Flow.BALANCE: Tr("greeting", QT_TRANSLATE_NOOP("greeting", "余额查询")),
    Flow.REPRINT: Tr("greeting", QT_TRANSLATE_NOOP("greeting", "补打凭条")),
}
LAST_KNOWN = Tr("greeting", QT_TRANSLATE_NOOP("greeting", "最后已知"))


class GreetingScreen(Screen):
    finish_tapped = Signal()
    event = Signal(object)
    language_toggled = Signal()
    large_text_toggled = Signal()
    contrast_toggled = Signal()

    def __init__(self) -> None:
        super().__init__("greeting")
        self.layout_.setContentsMargins(48, 48, 48, 48)
        self.layout_.setSpacing(20)
        self.banner = self.label("", "note")
        self.banner.setObjectName("notice")
        self.banner.hide()
        self.hello = self.label("", "title")
        self.card = self.label("", "note")
        self.balance_caption = self.label("卡内余额 Card balance", "subtitle")
        self.balance = self.label("", "big")
        self.as_of = self.label("", "note")
        self.flows = QGridLayout()
        self.flows.setSpacing(16)
        self.flow_buttons: dict[Flow, QPushButton] = {}
        for index, flow in enumerate(Flow):
            button = QPushButton()
            button.clicked.connect(lambda _=False, f=flow: self.event.emit(s.ChooseFlow(f)))
            self.flows.addWidget(button, index // 2, index % 2)
            self.flow_buttons[flow] = button
        self.finish = QPushButton("结束 Finish")
        self.finish.clicked.connect(self.finish_tapped)
        self.lang = QPushButton("English")
        self.lang.clicked.connect(self.language_toggled)
        self.layout_.addWidget(self.banner)
        for widget in (self.hello, self.card, self.balance_caption, self.balance, self.as_of):
            self.layout_.addWidget(widget)
        self.layout_.addLayout(self.flows)
        self.layout_.addStretch(1)
        self.large_text = QPushButton("大字 Aa")
        self.large_text.clicked.connect(self.large_text_toggled)
        self.contrast = QPushButton("高对比 ◐")
        self.contrast.clicked.connect(self.contrast_toggled)
        self.bottom = QGridLayout()
        self.bottom.setSpacing(16)
        for button in (self.large_text, self.contrast, self.lang):
            button.setProperty("role", "nav")
        self.layout_.addLayout(self.bottom)
        self._columns = 0
        self._arrange(portrait=True)
        self.render_offer((), None, "zh")

    def resizeEvent(self, event) -> None:
        """Two columns of flows in portrait, four in landscape, so both fit."""
        super().resizeEvent(event)
        self._arrange(portrait=self.width() <= self.height())

    def _arrange(self, portrait: bool) -> None:
        columns = 2 if portrait else 4
        if columns == self._columns:
            return
        self._columns = columns
        for index, button in enumerate(self.flow_buttons.values()):
            self.flows.addWidget(button, index // columns, index % columns)
        switches = (self.large_text, self.contrast, self.lang)
        if portrait:  # the switches on their own row, Finish full width below
            for column, button in enumerate(switches):
                self.bottom.addWidget(button, 0, column)
            self.bottom.addWidget(self.finish, 1, 0, 1, 3)
        else:
            self.bottom.addWidget(self.finish, 0, 0)
            for column, button in enumerate(switches, start=1):
                self.bottom.addWidget(button, 0, column)

    def show_patient(self, patient: PatientView) -> None:
        self.hello.setText(f"您好，{patient.display_name}\nHello, {patient.display_name}")
        self.card.setText(patient.masked_card_number)
        self.balance.setText(format_fen(patient.balance_fen))
        mark = f" ({LAST_KNOWN.zh} {LAST_KNOWN.en})" if patient.balance_last_known else ""
        self.as_of.setText(f"截至 As of {patient.balance_as_of[11:16]}{mark}")

    def render_offer(self, offered: tuple[Flow, ...], banner, language: str) -> None:
        for flow, button in self.flow_buttons.items():
            button.setText(FLOW_WORDS[flow].in_language(language))
            button.setVisible(flow in offered)
        self.banner.setVisible(banner is not None)
        self.banner.setText(banner.in_language(language) if banner else "")
        self.lang.setText("English" if language == "zh" else "中文")
        self.finish.setText("结束 Finish")
        english = language == "en"
        self.large_text.setText("Large Aa" if english else "大字 Aa")
        self.contrast.setText("Contrast ◐" if english else "高对比 ◐")

    def clear(self) -> None:
        for widget in (self.hello, self.card, self.balance, self.as_of):
            widget.clear()
