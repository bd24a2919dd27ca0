"""The patient-facing window: one stacked page per screen, driven by the core's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from kiosk import session as s
from ui.idle_banner import IdleBanner
from ui.screens.attract import AttractScreen
from ui.screens.base import Screen
from ui.screens.error import ErrorScreen
from ui.screens.greeting import GreetingScreen
from ui.screens.reading import ReadingScreen

Post = Callable[[s.Event], None]


class MainWindow(QWidget):
    def __init__(self, post: Post) -> None:
        super().__init__()
        self.setWindowTitle("自助服务 Self-service")
        self._post = post
        self.attract = AttractScreen()
        self.reading = ReadingScreen()
        self.greeting = GreetingScreen()
        self.error = ErrorScreen()
        self.screens: dict[s.Screen, Screen] = {
            s.Screen.ATTRACT: self.attract,
            s.Screen.READING: self.reading,
            s.Screen.GREETING: self.greeting,
            s.Screen.ERROR: self.error,
        }
        self.stack = QStackedWidget()
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        self.banner = IdleBanner()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.greeting.finish_tapped.connect(lambda: post(s.Finish()))
        self.error.finish_tapped.connect(lambda: post(s.Finish()))
        self.banner.more_time.connect(lambda: post(s.UserActivity()))
        self.current = s.Screen.ATTRACT

    def render(self, state: s.SessionState) -> None:
        """Show `state`. Called on the GUI thread for every state the core publishes."""
        if state.screen is not self.current:
            self.screens[self.current].clear()
        if state.screen is s.Screen.GREETING and state.patient:
            self.greeting.show_patient(state.patient)
        if state.screen is s.Screen.ERROR and state.error:
            self.error.show_error(state.error)
        self.current = state.screen
        self.stack.setCurrentWidget(self.screens[state.screen])
        if state.idle_warning:
            self.banner.start()
        else:
            self.banner.stop()


class ActivityFilter(QObject):
    """Any touch or key press in the window counts as activity for the idle timer."""

    _ACTIVITY: ClassVar = {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.TouchBegin,
        QEvent.Type.KeyPress,
    }

    def __init__(self, post: Post) -> None:
        super().__init__()
        self._post = post

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self._ACTIVITY and isinstance(watched, QWidget):
            self._post(s.UserActivity())
        return False


def kiosk_window_flags(widget: QWidget) -> None:
    """Full screen, no decorations: a patient has no way out to the desktop."""
    widget.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
    widget.showFullScreen()
