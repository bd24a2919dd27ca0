"""`kiosk run`: the patient-facing kiosk, full screen, on the configured devices."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run the kiosk on this terminal's devices and platform",
        description="Start the patient-facing kiosk full screen with the configured devices.",
    )
    p.add_argument("--windowed", metavar="WxH", help="a window of this size instead of full screen")
    # for bench/startup.py: print the wall clock at the attract screen's first paint and exit
    p.add_argument("--exit-on-paint", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import time

    from PySide6.QtCore import QSize, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.kiosk_ui import KioskUi

    app = QApplication.instance() or QApplication([])
    ui = KioskUi(app, lambda: _build_services(args.config), config_path=args.config)
    if args.exit_on_paint:

        def painted() -> None:
            import resource

            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"painted {time.time():.6f} {peak_kib}", flush=True)
            QTimer.singleShot(0, app.quit)

        ui.window.attract.painted.connect(painted)
    size = _size(args.windowed)
    ui.show(fullscreen=size is None, size=size and QSize(*size))
    try:
        return app.exec()
    finally:
        ui.shutdown()


def _size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    width, height = (int(v) for v in text.lower().split("x"))
    return width, height


def _build_services(config_path: str | None):
    """Runs off the GUI thread: config, secret and devices are loaded here."""
    from kiosk.central.secrets import load_terminal_secret
    from kiosk.config import load_config
    from kiosk.logsetup import add_file_logging
    from kiosk.services import KioskServices

    config = load_config(config_path)
    add_file_logging(config.data_dir())
    return KioskServices(config, load_terminal_secret(config.data_dir(), config.terminal.id))
