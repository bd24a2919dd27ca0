"""Common frame of every screen: a named, styled page that can forget what it showed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class Screen(QWidget):
    """A page of the stacked main window.

    `clear()` wipes anything patient-specific; the main window calls it on every
    screen that is left, so nothing of a patient stays in a widget after a session.
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.screen_name = name
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(64, 96, 64, 96)
        self.layout_.setSpacing(40)

    def label(self, text: str = "", role: str = "subtitle") -> QLabel:
        widget = QLabel(text)
        widget.setProperty("role", role)
        widget.setWordWrap(True)
        widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return widget

    def clear(self) -> None:
        """Forget patient data. Screens that show none keep the default."""
