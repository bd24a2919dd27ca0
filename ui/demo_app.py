"""The demo application: the simulators, the kiosk window and the simulator panel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSize, QTimer
from PySide6.QtWidgets import QApplication

from central_sim import DEMO_QR_TOKENS
from kiosk.config import load_config
from kiosk.demo import DemoRig
from kiosk.services import KioskServices
from kiosk.session import Screen
from ui.kiosk_ui import KioskUi
from ui.sim_panel import SimPanel

log = logging.getLogger(__name__)


def run_demo(
    config_path: str | None,
    size: tuple[int, int],
    inprocess: bool,
    tour: str | None,
    on_screen: tuple[int, int] | None = None,
) -> int:
    app = QApplication.instance() or QApplication([])
    rig = DemoRig(force_inprocess=inprocess)
    rig.start()
    config = load_config(config_path, overrides=rig.config_overrides())
    ui = KioskUi(app, lambda: KioskServices(config, rig.secret))
    ui.show(fullscreen=False, size=QSize(*size))
    panel = SimPanel(rig)
    panel.move(ui.window.x() + (on_screen or size)[0] + 20, ui.window.y())
    panel.show()
    tour_run = DemoTour(app, ui, rig, Path(tour)) if tour else None
    if tour_run:
        tour_run.start()
    try:
        code = app.exec()
    finally:
        ui.shutdown()
        rig.stop()
    return tour_run.exit_code if tour_run else code


class DemoTour(QObject):
    """A scripted walk through the slice for a machine with nobody at the screen."""

    STEP_TIMEOUT_MS = 20_000

    def __init__(self, app: QApplication, ui: KioskUi, rig: DemoRig, out_dir: Path) -> None:
        super().__init__()
        self.app, self.ui, self.rig, self.out_dir = app, ui, rig, out_dir
        self.exit_code = 1
        self._steps: list[tuple[str, Callable[[], None], Screen]] = [
            ("1-attract", lambda: None, Screen.ATTRACT),
            ("2-greeting", lambda: rig.insert_card("pboc_zhang"), Screen.GREETING),
            ("3-attract-after-pull", rig.pull_card, Screen.ATTRACT),
            ("4-error-expired-card", lambda: rig.insert_card("pboc_chen_expired"), Screen.ERROR),
            ("5-attract-after-pull", rig.pull_card, Screen.ATTRACT),
            ("6-greeting-by-health-qr", lambda: rig.scan(DEMO_QR_TOKENS["P0003"]), Screen.GREETING),
            ("7-attract-after-finish", ui.window.greeting.finish.click, Screen.ATTRACT),
        ]
        self._poll = QTimer(self, interval=50)
        self._poll.timeout.connect(self._check)
        self._waited_ms = 0

    def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.ui.services_ready.connect(lambda _: self._next())

    def _next(self) -> None:
        if not self._steps:
            self.exit_code = 0
            print(f"demo tour done: screenshots in {self.out_dir}")
            self.app.quit()
            return
        name, action, _ = self._steps[0]
        log.info("demo tour: %s", name)
        action()
        self._waited_ms = 0
        self._poll.start()

    def _check(self) -> None:
        name, _, expected = self._steps[0]
        self._waited_ms += self._poll.interval()
        if self.ui.window.current is expected:
            self._poll.stop()
            QTimer.singleShot(300, lambda: self._shoot(name))  # let the page paint
        elif self._waited_ms > self.STEP_TIMEOUT_MS:
            self._poll.stop()
            print(f"demo tour: step {name} never reached the {expected} screen")
            self.app.quit()

    def _shoot(self, name: str) -> None:
        self.ui.window.grab().save(str(self.out_dir / f"{name}.png"))
        self._steps.pop(0)
        self._next()
