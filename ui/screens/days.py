"""Advance booking: a day within the hospital's booking window."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

from ui.i18n import Tr
from ui.screens.flow_base import OptionsScreen


class DaysScreen(OptionsScreen):
    title_words = Tr("days", QT_TRANSLATE_NOOP("days", "请选择就诊日期"))
    columns = 2

    def __init__(self) -> None:
        super().__init__("days")
