"""The patient's appointments: to check in (today's) or to cancel (cancellable ones)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from kiosk import session as s
from kiosk.flows import Flow
from ui.i18n import Tr
from ui.screens.flow_base import OptionsScreen

TITLES = {
    Flow.CHECK_IN: Tr("bookings", QT_TRANSLATE_NOOP("bookings", "请选择要签到的预约")),
    Flow.CANCEL: Tr("bookings", QT_TRANSLATE_NOOP("bookings", "请选择要取消的预约")),
}


class BookingsScreen(OptionsScreen):
    def __init__(self) -> None:
        super().__init__("bookings")

    def render(self, state: s.SessionState, language: str) -> None:
        self.title_words = TITLES.get(state.flow, TITLES[Flow.CHECK_IN])
        super().render(state, language)
