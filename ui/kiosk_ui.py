"""Composition of the patient window with the core: the attract screen paints first,
then the services (platform client, card reader, core loop) start off the GUI thread."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtWidgets import QApplication

from kiosk import session as s
from kiosk.messages import new_reference
from ui.bridge import CoreBridge
from ui.kiosk_mode import AdminPinScreen, CornerTaps, install_kiosk_keys
from ui.main_window import ActivityFilter, MainWindow, kiosk_window_flags
from ui.style import apply_global_style, touch_px
from ui.voice import Voice
from ui.watchdog import Watchdog

if TYPE_CHECKING:
    from kiosk.services import KioskServices
    from ui.screens.needs_config import NeedsConfigScreen

log = logging.getLogger(__name__)


class KioskUi(QObject):
    services_ready = Signal(object)
    services_failed = Signal(str)
    config_needed = Signal(str, object)  # a reference and the ConfigError

    def __init__(
        self,
        app: QApplication,
        build_services: Callable[[], KioskServices],
        config_path: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__()
        # the terminal's file, for the "needs configuration" screen (None: $KIOSK_CONFIG)
        self._config_path = config_path
        self.needs_config: NeedsConfigScreen | None = None
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
        self.bridge.state_changed.connect(self._reset_look_after_session)
        self._look_default = {"large_text": False, "high_contrast": False, "min_touch_px": 160}
        self.look = dict(self._look_default)
        self.window.greeting.large_text_toggled.connect(lambda: self._toggle_look("large_text"))
        self.window.greeting.contrast_toggled.connect(lambda: self._toggle_look("high_contrast"))
        self._activity = ActivityFilter(self._post)
        app.installEventFilter(self._activity)
        self._keys = install_kiosk_keys(app, self._post)
        self.corner_taps = CornerTaps(self.window.attract)
        self.corner_taps.requested.connect(self._ask_admin_pin)
        self.admin_pin = AdminPinScreen(self._check_admin_pin)
        self.admin_pin.granted.connect(self._open_service)
        self.admin_pin.cancelled.connect(self.window.close_service)
        self.service_widget = None
        self.watchdog = Watchdog(self._core_alive)
        self.voice = Voice(enabled=False)
        self.bridge.state_changed.connect(
            lambda state: self.voice.screen_shown(state.screen, self.window.language)
        )
        self.window.attract.painted.connect(self._start_services)
        self.services_ready.connect(self._on_services_ready)
        self.services_failed.connect(self.window.attract.set_out_of_service)
        self.config_needed.connect(self._show_needs_config)

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
        from kiosk.config import ConfigError

        try:
            services = self._build_services()
        except ConfigError as exc:
            # a bad or missing file never bricks the kiosk: a technician can fix it here
            reference = new_reference("CONFIG")
            log.warning("kiosk needs configuration [%s]: %s", reference, exc)
            self.config_needed.emit(reference, exc)
            return
        except Exception as exc:
            self._failed_to_start(exc)
            return
        try:
            services.core.subscribe(self.bridge.on_core_state)
            services.start()
        except Exception as exc:
            self._failed_to_start(exc)
            return
        self.services_ready.emit(services)

    def _failed_to_start(self, exc: Exception) -> None:
        reference = new_reference("START")
        log.exception("kiosk services failed to start [%s]: %s", reference, exc)
        self.services_failed.emit(reference)

    # -- a bad or missing config ------------------------------------------------------

    def _show_needs_config(self, reference: str, error: Exception) -> None:
        """The config did not load: the patient sees "out of service", the technician the
        problems, and the kiosk starts its services once the file is fixed."""
        from kiosk.config import LoadOutcome, try_load_config
        from ui.screens.needs_config import NeedsConfigScreen

        self.window.attract.set_out_of_service(reference)
        outcome = try_load_config(self._config_path)
        if outcome.error is None:  # loads here (fixed meanwhile?): show what the start met
            outcome = LoadOutcome(None, error, outcome.path)
        self._drop_needs_config()
        self.needs_config = NeedsConfigScreen(outcome)
        self.needs_config.config_fixed.connect(self._config_fixed)
        self.needs_config.close_requested.connect(self.window.close_service)
        self.window.show_service(self.needs_config)
        self.watchdog.ready()  # up and waiting for a fix, not a start-up to time out

    def _config_fixed(self, _config: object) -> None:
        self.window.close_service()
        self._drop_needs_config()
        self.window.attract.set_scanner(False)  # in service again
        self._start_services()

    def _drop_needs_config(self) -> None:
        if self.needs_config is not None:
            self.needs_config.deleteLater()
            self.needs_config = None

    def _on_services_ready(self, services: KioskServices) -> None:
        ui_settings = services.config.ui
        dpi = ui_settings.dpi or self._app.primaryScreen().physicalDotsPerInch()
        self._look_default = {
            "large_text": ui_settings.large_text,
            "high_contrast": False,
            "min_touch_px": touch_px(dpi),
        }
        self.look = dict(self._look_default)
        apply_global_style(self._app, **self.look)
        self.voice = Voice(enabled=ui_settings.voice)
        self.window.banner.warning_s = ui_settings.idle_warning_s
        self.services = services
        self.watchdog.ready()
        log.info("kiosk ready")

    def _toggle_look(self, name: str) -> None:
        """The patient's own switch; it lasts until their session ends."""
        self.look[name] = not self.look[name]
        apply_global_style(self._app, **self.look)

    def _reset_look_after_session(self, state: s.SessionState) -> None:
        if state.patient is None and self.look != self._look_default:
            self.look = dict(self._look_default)
            apply_global_style(self._app, **self.look)

    def _core_alive(self) -> bool:
        if self.services is None and self.needs_config is not None:
            return True  # waiting for a technician: a restart would not fix the file
        return self.services is not None and self.services.core.alive

    # -- the hidden technician entry ------------------------------------------------

    def _ask_admin_pin(self) -> None:
        if self.window.current is not s.Screen.ATTRACT:
            return
        if self.needs_config is not None:  # its own PIN check guards the fixes
            self.window.show_service(self.needs_config)
        else:
            self.window.show_service(self.admin_pin)

    def _check_admin_pin(self, pin: str) -> tuple[bool, str]:
        """Runs on a worker thread (scrypt)."""
        from kiosk.admin_auth import AdminGate

        if self.services is None:
            return False, "kiosk not started"
        config = self.services.config
        attempt = AdminGate(config.admin.pin_hash, config.data_dir()).attempt(pin)
        log.info("admin PIN attempt: %s", attempt.message)
        return attempt.granted, attempt.message

    def _open_service(self) -> None:
        from PySide6.QtWidgets import QTabWidget

        from kiosk.config import terminal_file
        from kiosk.diagnostics import DiagContext
        from ui.screens.engineer import EngineerScreen
        from ui.screens.technician import TechnicianScreen

        assert self.services is not None
        config = self.services.config
        path = terminal_file() or config.data_dir() / "kiosk.toml"
        tabs = QTabWidget()
        technician = TechnicianScreen(path, config)
        engineer = EngineerScreen(lambda: DiagContext.from_config_path(terminal_file()))
        tabs.addTab(technician, "设置 Settings")
        tabs.addTab(engineer, "诊断 Diagnostics")
        for screen in (technician, engineer):
            screen.close_requested.connect(self._close_service)
        self.service_widget = tabs
        self.window.show_service(tabs)

    def _close_service(self) -> None:
        self.window.close_service()
        if self.service_widget is not None:
            self.service_widget.deleteLater()
            self.service_widget = None

    def shutdown(self) -> None:
        self.watchdog.stopping()
        self._app.removeEventFilter(self._activity)
        self._app.removeEventFilter(self._keys)
        if self.services is not None:
            self.services.stop()
            self.services = None
