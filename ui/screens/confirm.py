"""Confirm: what is being done, how much, and one button per way to pay."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from kiosk import session as s
from kiosk.flows import Flow, Step
from kiosk.money import format_fen
from ui.i18n import Tr
from ui.screens.flow_base import OptionsScreen

TITLES = {
    Flow.REGISTER: Tr("confirm", QT_TRANSLATE_NOOP("confirm", "确认挂号并支付")),
    Flow.BOOK: Tr("confirm", QT_TRANSLATE_NOOP("confirm", "确认预约并支付")),
    Flow.CHECK_IN: Tr("confirm", QT_TRANSLATE_NOOP("confirm", "确认签到")),
    Flow.CANCEL: Tr("confirm", QT_TRANSLATE_NOOP("confirm", "确认取消预约")),
    Flow.PAY: Tr("confirm", QT_TRANSLATE_NOOP("confirm", "确认缴费")),
    Flow.TOP_UP: Tr("confirm", QT_TRANSLATE_NOOP("confirm", "确认充值")),
}
AMOUNT = Tr("confirm", QT_TRANSLATE_NOOP("confirm", "金额 {amount}"))
REFUND = Tr("confirm", QT_TRANSLATE_NOOP("confirm", "可退 {amount}"))


class ConfirmScreen(OptionsScreen):
    def __init__(self) -> None:
        super().__init__("confirm")
        self.summary = self.label("", "subtitle")
        self.amount = self.label("", "big")
        self.body.insertWidget(0, self.amount)
        self.body.insertWidget(0, self.summary)

    def render(self, state: s.SessionState, language: str) -> None:
        self.title_words = TITLES.get(state.flow, TITLES[Flow.REGISTER])
        super().render(state, language)
        chosen = [o for step, o in state.picks if step is not Step.DEPARTMENTS]
        lines = [f"{self.words(o.title)} {self.words(o.detail)}".strip() for o in chosen]
        department = state.pick(Step.DEPARTMENTS)
        if department is not None:
            lines.insert(0, self.words(department.title))
        self.summary.setText("\n".join(lines))
        words = REFUND if state.flow is Flow.CANCEL else AMOUNT
        self.amount.setText(words.in_language(language).format(amount=format_fen(state.amount_fen)))

    def option_text(self, option: s.Option) -> str:
        return self.words(option.title)

    def clear(self) -> None:
        self.summary.clear()
        self.amount.clear()
        super().clear()
