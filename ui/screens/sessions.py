"""Doctors and sessions: period, fee and places left; a full session cannot be tapped."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.i18n import Tr
from ui.screens.flow_base import OptionsScreen


class SessionsScreen(OptionsScreen):
    title_words = Tr("sessions", QT_TRANSLATE_NOOP("sessions", "请选择医生和时段"))

    def __init__(self) -> None:
        super().__init__("sessions")
