"""Composition of the patient window with the core: the attract screen paints first,
then the services (platform client, card reader, core loop) start off the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtWidgets import QApplication

from kiosk import session as s
from kiosk.messages import new_reference
from ui.bridge import CoreBridge
from ui.main_window import ActivityFilter, MainWindow, kiosk_window_flags
from ui.style import apply_global_style

if TYPE_CHECKING:
    from kiosk.services import KioskServices

log = logging.getLogger(__name__)


class KioskUi(QObject):
    services_ready = Signal(object)
    services_failed = Signal(str)

    def __init__(self, app: QApplication, build_services: Callable[[], KioskServices]) -> None:
        super().__init__()
        # The config is validated off the GUI thread with the services; until then the
        # attract screen paints with the default look, and the terminal's settings
        # (large text, idle warning) apply as soon as the services are up.
        self._app = app
        apply_global_style(app)
        self.services: KioskServices | None = None
        self._build_services = build_services
        self.bridge = CoreBridge()
        self.window = MainWindow(self._post)
        self.bridge.state_changed.connect(self.window.render)
        self._activity = ActivityFilter(self._post)
        app.installEventFilter(self._activity)
        self.window.attract.painted.connect(self._start_services)
        self.services_ready.connect(self._on_services_ready)
        self.services_failed.connect(self.window.attract.set_out_of_service)

    def show(self, fullscreen: bool, size: QSize | None = None) -> None:
        if fullscreen:
            kiosk_window_flags(self.window)
            return
        if size is not None:
            self.window.resize(size)
        self.window.show()

    def _post(self, event: s.Event) -> None:
        if self.services is not None:
            self.services.core.post(event)

    def _start_services(self) -> None:
        threading.Thread(
            target=self._start_services_off_gui, name="kiosk-start", daemon=True
        ).start()

    def _start_services_off_gui(self) -> None:
        try:
            services = self._build_services()
            services.core.subscribe(self.bridge.on_core_state)
            services.start()
        except Exception as exc:
            reference = new_reference("START")
            log.exception("kiosk services failed to start [%s]: %s", reference, exc)
            self.services_failed.emit(reference)
            return
        self.services_ready.emit(services)

    def _on_services_ready(self, services: KioskServices) -> None:
        ui_settings = services.config.ui
        if ui_settings.large_text:
            apply_global_style(self._app, large_text=True)
        self.window.banner.warning_s = ui_settings.idle_warning_s
        self.services = services
        log.info("kiosk ready")

    def shutdown(self) -> None:
        if self.services is not None:
            self.services.stop()
            self.services = None
