"""The patient-facing window: one stacked page per screen, driven by the core's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from kiosk import session as s
from ui.idle_banner import IdleBanner
from ui.screens.amount import AmountScreen
from ui.screens.attract import AttractScreen
from ui.screens.balance import BalanceScreen
from ui.screens.base import Screen
from ui.screens.bookings import BookingsScreen
from ui.screens.cash import CashScreen
from ui.screens.charges import ChargesScreen
from ui.screens.confirm import ConfirmScreen
from ui.screens.days import DaysScreen
from ui.screens.departments import DepartmentsScreen
from ui.screens.done import DoneScreen
from ui.screens.error import ErrorScreen
from ui.screens.flow_base import FlowScreen
from ui.screens.greeting import GreetingScreen
from ui.screens.payment_qr import PaymentQrScreen
from ui.screens.printing import PrintingScreen
from ui.screens.reading import ReadingScreen
from ui.screens.receipts import ReceiptsScreen
from ui.screens.scan_code import ScanCodeScreen
from ui.screens.sessions import SessionsScreen
from ui.screens.working import WorkingScreen

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
        self.flow_screens: dict[s.Screen, FlowScreen] = {
            s.Screen.DEPARTMENTS: DepartmentsScreen(),
            s.Screen.DAYS: DaysScreen(),
            s.Screen.SESSIONS: SessionsScreen(),
            s.Screen.BOOKINGS: BookingsScreen(),
            s.Screen.CHARGES: ChargesScreen(),
            s.Screen.AMOUNT: AmountScreen(),
            s.Screen.CONFIRM: ConfirmScreen(),
            s.Screen.BALANCE: BalanceScreen(),
            s.Screen.RECEIPTS: ReceiptsScreen(),
            s.Screen.WORKING: WorkingScreen(),
            s.Screen.PAYMENT_QR: PaymentQrScreen(),
            s.Screen.SCAN_CODE: ScanCodeScreen(),
            s.Screen.CASH: CashScreen(),
            s.Screen.PRINTING: PrintingScreen(),
            s.Screen.DONE: DoneScreen(),
        }
        self.screens: dict[s.Screen, Screen] = {
            s.Screen.ATTRACT: self.attract,
            s.Screen.READING: self.reading,
            s.Screen.GREETING: self.greeting,
            s.Screen.ERROR: self.error,
            **self.flow_screens,
        }
        self.language = "zh"
        self.service_page: QWidget | None = None
        self._scanner_shown = False
        self._last_state: s.SessionState | None = None
        for screen in (*self.flow_screens.values(), self.greeting):
            screen.event.connect(post)
            screen.language_toggled.connect(self.toggle_language)
        self.stack = QStackedWidget()
        # the window's size is the panel's; pages fit it rather than grow it
        self.stack.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
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
        self.error.home_tapped.connect(lambda: post(s.Home()))
        self.banner.more_time.connect(lambda: post(s.UserActivity()))
        self.current = s.Screen.ATTRACT

    def show_service(self, page: QWidget) -> None:
        """A technician page over the patient screens (only from the attract screen)."""
        if self.stack.indexOf(page) < 0:
            self.stack.addWidget(page)
        self.service_page = page
        self.stack.setCurrentWidget(page)

    def close_service(self) -> None:
        self.service_page = None
        self.stack.setCurrentWidget(self.screens[self.current])

    def toggle_language(self) -> None:
        self.language = "en" if self.language == "zh" else "zh"
        if self._last_state is not None:
            self.render(self._last_state)

    def closeEvent(self, event) -> None:
        """In kiosk mode a close request (Alt+F4 that got through, a WM) is refused."""
        if self.property("kiosk_mode"):
            event.ignore()
            return
        super().closeEvent(event)

    def render(self, state: s.SessionState) -> None:
        """Show `state`. Called on the GUI thread for every state the core publishes."""
        self._last_state = state if state.patient is not None else None
        if state.patient is None:
            self.language = "zh"  # the next patient starts in the default language
        if state.screen is not self.current:
            self.screens[self.current].clear()
        if state.screen is s.Screen.ATTRACT and state.health.scanner != self._scanner_shown:
            self._scanner_shown = state.health.scanner
            self.attract.set_scanner(state.health.scanner)
        if state.screen is s.Screen.GREETING and state.patient:
            self.greeting.show_patient(state.patient)
            self.greeting.render_offer(state.offered, state.banner, self.language)
        if state.screen is s.Screen.ERROR and state.error:
            self.error.show_error(state.error, in_session=state.patient is not None)
        if state.screen in self.flow_screens:
            self.flow_screens[state.screen].render(state, self.language)
        self.current = state.screen
        if self.service_page is not None and state.screen is s.Screen.ATTRACT:
            return  # the technician keeps the screen until they close it
        self.service_page = None
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
    widget.setProperty("kiosk_mode", True)
    widget.showFullScreen()
