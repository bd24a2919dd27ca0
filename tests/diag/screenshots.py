"""Screenshots of the technician, engineer and needs-configuration screens for docs/screens/.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.diag.screenshots docs/screens

Runs the screens against the real simulators (platform, virtual printer, pcscd's
vpcd readers when pcscd is running), waits for their worker threads, and grabs them.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _wait(app, predicate, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)


def main(out_dir: str) -> int:
    from PySide6.QtWidgets import QApplication

    from central_sim.server import start_in_thread
    from drivers.printer.virtual import VirtualPrinter
    from kiosk import config as c
    from kiosk.diagnostics import DiagContext
    from ui.screens.engineer import EngineerScreen
    from ui.screens.needs_config import NeedsConfigScreen
    from ui.screens.technician import TechnicianScreen
    from ui.style import base_font

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    app = QApplication.instance() or QApplication(sys.argv)
    app.setFont(base_font(12))
    central = start_in_thread(port=0, data_path=work / "central.sqlite3")
    printer = VirtualPrinter(port=0).start()
    path = work / "kiosk.toml"
    c.save_terminal_file(
        path,
        {
            "central": {"url": central.url},
            "devices": {
                "card_reader": {"reader": "Virtual PCD 00 00"},
                "printer": {"url": printer.url},
            },
            "paths": {"data_dir": str(work / "data")},
        },
    )
    try:
        printer.set_paper("near-end")
        engineer = EngineerScreen(lambda: DiagContext.from_config_path(path))
        engineer.resize(1600, 1450)
        engineer.show()
        done: list = []
        engineer.run_finished.connect(done.append)
        engineer.run_all()
        _wait(app, lambda: bool(done))
        engineer.grab().save(str(out / "engineer.png"))

        technician = TechnicianScreen(path, c.load_config(path))
        technician.resize(1280, 900)
        technician.show()
        technician.tabs.setCurrentIndex(2)  # devices, with the pickers
        reader = technician.fields["devices.card_reader.reader"].widget
        _wait(app, lambda: technician.detect_button.isEnabled(), 30)
        technician.grab().save(str(out / "technician.png"))
        print(f"readers offered: {[reader.itemText(i) for i in range(reader.count())]}")

        bad = work / "bad.toml"
        bad.write_text(
            "[ui]\nidle_timeout_s = 5\nlangauge = 'en'\n[devices.printer]\nurl = 'lp0'\n",
            encoding="utf-8",
        )
        needs = NeedsConfigScreen(c.try_load_config(bad))
        needs.resize(1080, 1000)
        needs.show()
        _wait(app, lambda: False, 0.5)
        needs.grab().save(str(out / "needs_config.png"))
    finally:
        printer.stop()
        central.stop()
    for name in ("engineer", "technician", "needs_config"):
        print(out / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screens"))
