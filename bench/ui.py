"""Touchscreen latency and taps: tap-to-painted time of screen transitions, and the
number of taps from card insertion to receipt for each flow.

Everything real except the card path: the platform simulator over HTTP on loopback,
the virtual ESC/POS printer over TCP, the kiosk window offscreen at 1080x1920, and the
in-process card reader (the same card code as through pcscd, without the daemon, so
the bench runs anywhere). Baseline, measured in the same run: a bare QStackedWidget
flipping between two labels on a click, the floor of Qt tap-to-paint here.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py [--transitions 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton, QStackedWidget, QWidget

from kiosk.flows import Flow
from kiosk.session import Screen

TZ = ZoneInfo("Asia/Shanghai")


class PaintProbe(QObject):
    """Records when a widget is next painted."""

    def __init__(self) -> None:
        super().__init__()
        self.painted_at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.painted_at is None:
            self.painted_at = time.perf_counter()
        return False


def tap_to_paint(
    app: QApplication, button: QWidget, target: QWidget, timeout_s: float = 20.0
) -> float:
    probe = PaintProbe()
    target.installEventFilter(probe)
    start = time.perf_counter()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    deadline = start + timeout_s
    while probe.painted_at is None and time.perf_counter() < deadline:
        app.processEvents()
    target.removeEventFilter(probe)
    if probe.painted_at is None:
        raise RuntimeError(f"{target.objectName()} never painted")
    return (probe.painted_at - start) * 1000


def wait_until(app: QApplication, condition, timeout_s: float = 20.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError("timed out")
        app.processEvents()
        time.sleep(0.001)


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def baseline(app: QApplication, n: int) -> list[float]:
    stack = QStackedWidget()
    pages = []
    for text in ("A", "B"):
        page = QWidget()
        button = QPushButton(text, page)
        button.resize(400, 200)
        pages.append((page, button))
        stack.addWidget(page)
    stack.resize(1080, 1920)
    stack.show()
    for index, (_page, button) in enumerate(pages):
        other = pages[1 - index][0]
        button.clicked.connect(lambda _=False, o=other: stack.setCurrentWidget(o))
    app.processEvents()
    samples = []
    for i in range(n):
        page, button = pages[i % 2]
        samples.append(tap_to_paint(app, button, pages[(i + 1) % 2][0]))
    stack.close()
    return samples


class Bench:
    def __init__(self, app: QApplication, workdir: Path) -> None:
        from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
        from central_sim.server import start_in_thread
        from drivers.card import inprocess
        from drivers.printer.virtual import VirtualPrinter
        from kiosk.config import load_config
        from kiosk.services import KioskServices
        from ui.kiosk_ui import KioskUi

        self.app = app
        self.sim = start_in_thread(port=0, data_path=workdir / "central.sqlite3")
        self.printer = VirtualPrinter(port=0, out_dir=workdir / "receipts").start()
        self.slot = inprocess.slot(0)
        config = load_config(overrides={
            "terminal": {"id": DEMO_TERMINAL_ID},
            "central": {"url": self.sim.url},
            "devices": {"card_reader": {"backend": "inprocess"},
                        "printer": {"url": self.printer.url}},
            "ui": {"idle_timeout_s": 600, "idle_warning_s": 30},
            "paths": {"data_dir": str(workdir)},
        })  # fmt: skip
        secret = DEMO_SECRET if isinstance(DEMO_SECRET, bytes) else DEMO_SECRET.encode()
        self.ui = KioskUi(app, lambda: KioskServices(config, secret))
        self.ui.show(fullscreen=False, size=QSize(1080, 1920))
        wait_until(app, lambda: self.ui.services is not None)
        self.window = self.ui.window
        self.taps = 0

    def insert(self, image: str) -> None:
        from drivers.card.virtual import load_image

        self.slot.insert(load_image(image))
        wait_until(self.app, lambda: self.window.current is Screen.GREETING)
        self.taps = 0

    def pull(self) -> None:
        self.slot.remove()
        wait_until(self.app, lambda: self.window.current is Screen.ATTRACT)

    def tap(self, button: QWidget, target: Screen) -> float:
        self.taps += 1
        elapsed = tap_to_paint(self.app, button, self.window.screens[target])
        wait_until(self.app, lambda: self.window.current is target)
        return elapsed

    def option(self, screen: Screen, key: str | None = None) -> QPushButton:
        page = self.window.flow_screens[screen]

        def painted_with_the_core_options() -> bool:
            state = self.ui.services.core.state
            shown = [b.property("option_key") for b in page.buttons]
            return bool(shown) and not state.loading and shown == [o.key for o in state.options]

        wait_until(self.app, painted_with_the_core_options)
        buttons = [b for b in page.buttons if b.isEnabled()]
        return next(b for b in buttons if key is None or b.property("option_key") == key)

    def flow(self, flow: Flow) -> QPushButton:
        return self.window.greeting.flow_buttons[flow]

    def stop(self) -> None:
        self.ui.shutdown()
        self.window.close()
        self.printer.stop()
        self.sim.stop()


def transitions(bench: Bench, n: int) -> dict[str, list[float]]:
    """Round trips through screens that wait on nothing (top-up) and on the platform."""
    w = bench.window
    results: dict[str, list[float]] = {k: [] for k in (
        "home->amount", "amount->confirm", "confirm->back->amount", "amount->home",
        "home->departments (platform)",
    )}  # fmt: skip
    bench.insert("pboc_zhang")
    done = 0
    while done < n:
        results["home->amount"].append(bench.tap(bench.flow(Flow.TOP_UP), Screen.AMOUNT))
        preset = bench.option(Screen.AMOUNT, "preset-5000")
        results["amount->confirm"].append(bench.tap(preset, Screen.CONFIRM))
        back = w.flow_screens[Screen.CONFIRM].back
        results["confirm->back->amount"].append(bench.tap(back, Screen.AMOUNT))
        home = w.flow_screens[Screen.AMOUNT].home
        results["amount->home"].append(bench.tap(home, Screen.GREETING))
        done += 4
        if done % 40 == 0:
            departments = bench.tap(bench.flow(Flow.REGISTER), Screen.DEPARTMENTS)
            bench.option(Screen.DEPARTMENTS)  # painted with its options
            results["home->departments (platform)"].append(departments)
            bench.tap(w.flow_screens[Screen.DEPARTMENTS].home, Screen.GREETING)
    bench.pull()
    return results


def bookable(bench: Bench, day: dt.date) -> tuple[str, str]:
    client = bench.ui.services.client
    for department in client.list_departments("H001")[4:14]:
        for session in client.list_sessions(department.department_id, day):
            if session.bookable and session.fee_fen <= 5000:
                return department.department_id, session.session_id
    raise RuntimeError("no bookable session")


def taps_per_flow(bench: Bench) -> dict[str, int]:
    """Taps from the card in to the receipt at the printer, flow by flow."""
    w, counts = bench.window, {}
    today = dt.datetime.now(TZ).date()

    def receipt(n_before: int) -> None:
        wait_until(bench.app, lambda: len(bench.printer.receipts) > n_before, 40)

    def run(name: str, image: str, steps) -> None:
        before = len(bench.printer.receipts)
        bench.insert(image)
        steps()
        receipt(before)
        counts[name] = bench.taps
        bench.pull()

    def register() -> None:
        dept, session = bookable(bench, today)
        bench.tap(bench.flow(Flow.REGISTER), Screen.DEPARTMENTS)
        bench.tap(bench.option(Screen.DEPARTMENTS, dept), Screen.SESSIONS)
        bench.tap(bench.option(Screen.SESSIONS, session), Screen.CONFIRM)
        bench.tap(bench.option(Screen.CONFIRM, "card_balance"), Screen.WORKING)

    def book() -> None:
        day = today + dt.timedelta(days=2)
        dept, session = bookable(bench, day)
        bench.tap(bench.flow(Flow.BOOK), Screen.DEPARTMENTS)
        bench.tap(bench.option(Screen.DEPARTMENTS, dept), Screen.DAYS)
        bench.tap(bench.option(Screen.DAYS, day.isoformat()), Screen.SESSIONS)
        bench.tap(bench.option(Screen.SESSIONS, session), Screen.CONFIRM)
        bench.tap(bench.option(Screen.CONFIRM, "card_balance"), Screen.WORKING)

    def check_in() -> None:
        bench.tap(bench.flow(Flow.CHECK_IN), Screen.BOOKINGS)
        bench.tap(bench.option(Screen.BOOKINGS), Screen.CONFIRM)
        bench.tap(bench.option(Screen.CONFIRM, "none"), Screen.WORKING)

    def cancel() -> None:
        bench.tap(bench.flow(Flow.CANCEL), Screen.BOOKINGS)
        bench.tap(bench.option(Screen.BOOKINGS), Screen.CONFIRM)
        bench.tap(bench.option(Screen.CONFIRM, "none"), Screen.WORKING)

    def pay() -> None:
        bench.tap(bench.flow(Flow.PAY), Screen.CHARGES)
        bench.taps += 1
        QTest.mouseClick(bench.option(Screen.CHARGES), Qt.MouseButton.LeftButton)
        charges = w.flow_screens[Screen.CHARGES]
        wait_until(bench.app, charges.next.isEnabled)
        bench.tap(charges.next, Screen.CONFIRM)
        bench.tap(bench.option(Screen.CONFIRM, "qr"), Screen.WORKING)

    def top_up() -> None:
        bench.tap(bench.flow(Flow.TOP_UP), Screen.AMOUNT)
        bench.tap(bench.option(Screen.AMOUNT, "preset-5000"), Screen.CONFIRM)
        bench.tap(bench.option(Screen.CONFIRM, "qr"), Screen.WORKING)

    def reprint() -> None:
        check_in_taps = bench.taps
        check_in()
        wait_until(bench.app, lambda: w.current is Screen.DONE, 30)
        bench.tap(w.flow_screens[Screen.DONE].home, Screen.GREETING)
        bench.taps = check_in_taps
        bench.tap(bench.flow(Flow.REPRINT), Screen.RECEIPTS)
        bench.tap(bench.option(Screen.RECEIPTS), Screen.PRINTING)

    run("registration (挂号)", "pboc_zhang", register)
    run("advance booking (预约)", "pboc_zhang", book)
    run("check-in (签到)", "pboc_zhang", check_in)
    run("cancel (退号)", "pboc_zhang", cancel)
    run("pay fees (缴费)", "pboc_zhang", pay)
    run("top-up by QR (充值)", "pboc_li", top_up)
    run("reprint (补打, after a check-in)", "ssc_wang", reprint)
    bench.insert("pboc_zhang")
    bench.tap(bench.flow(Flow.BALANCE), Screen.BALANCE)
    bench.option(Screen.BALANCE)
    counts["balance (查询, on screen)"] = bench.taps
    bench.pull()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=200)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    base = baseline(app, args.transitions)
    base_median, base_p95 = summary(base)
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        bench = Bench(app, Path(tmp))
        try:
            measured = transitions(bench, args.transitions)
            taps = taps_per_flow(bench)
        finally:
            bench.stop()
    print(
        f"baseline: bare QStackedWidget flip  median {base_median:6.2f} ms  p95 {base_p95:6.2f} ms"
    )
    every = [x for name, xs in measured.items() if "platform" not in name for x in xs]
    for name, samples in measured.items():
        median, p95 = summary(samples)
        print(f"{name:32s} n={len(samples):4d}  median {median:6.2f} ms  p95 {p95:6.2f} ms"
              f"  ({p95 / base_p95:4.1f}x baseline p95)")  # fmt: skip
    median, p95 = summary(every)
    verdict = "meets" if p95 <= 50 else "MISSES"
    label = "all no-wait transitions"
    print(f"{label:32s} n={len(every):4d}  median {median:6.2f} ms  p95 {p95:6.2f} ms"
          f"  ({verdict} the 50 ms goal)")  # fmt: skip
    print("taps from card insertion to receipt:")
    for name, count in taps.items():
        print(f"  {name:34s} {count}")
    registration = taps["registration (挂号)"]
    verdict = "meets" if registration <= 5 else "MISSES"
    print(f"same-day registration in {registration} taps ({verdict} the goal of 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
