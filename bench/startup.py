"""Start-up cost: process start to the attract screen painted, against a bare PySide6 window.

Both run offscreen in fresh processes; wall time is measured from just before the
process is spawned to the moment the child reports its first paint, and peak memory
is the child's maximum resident set. The bare window (QApplication, one QLabel) is
the floor no Qt app can beat; the ratio says what the kiosk adds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
ROOT = Path(__file__).resolve().parents[1]

BARE_WINDOW = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
class Probe(QLabel):
    done = False
    def paintEvent(self, event):
        super().paintEvent(event)
        if not Probe.done:
            Probe.done = True
            import resource
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"painted {time.time():.6f} {peak_kib}", flush=True)
            QTimer.singleShot(0, app.quit)
app = QApplication(sys.argv)
label = Probe("请插入就诊卡 / Please insert your medical card")
label.resize(540, 960)
label.show()
app.exec()
"""


def measure(argv: list[str]) -> tuple[float, float]:
    """(seconds to first paint, peak RSS in MiB up to that paint) of one fresh process.

    The kiosk starts its services (platform client, card reader) right after the first
    paint, on another thread; the child reports its peak memory at the paint, so what is
    measured is the cost of getting the attract screen up, for both processes alike.
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    start = time.time()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT, text=True
    )
    out = proc.stdout.read()
    status = proc.wait()
    if status != 0 or "painted" not in out:
        raise SystemExit(f"{argv} did not paint (status {status}): {out!r}")
    painted_at, peak_kib = out.split("painted", 1)[1].split()[:2]
    return float(painted_at) - start, int(peak_kib) / 1024


def summarise(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        os.environ["KIOSK_DATA_DIR"] = data_dir
        kiosk = [
            sys.executable,
            "-m",
            "kiosk.cli",
            "run",
            "--windowed",
            "540x960",
            "--exit-on-paint",
        ]
        bare = [sys.executable, "-c", BARE_WINDOW]
        measure(kiosk), measure(bare)  # warm the file cache for both
        kiosk_s, kiosk_mib = summarise([measure(kiosk) for _ in range(RUNS)])
        bare_s, bare_mib = summarise([measure(bare) for _ in range(RUNS)])
    print(f"startup to attract screen painted (median of {RUNS}, offscreen)")
    print(f"  kiosk      : {kiosk_s:6.3f} s wall  {kiosk_mib:6.1f} MiB peak")
    print(f"  bare window: {bare_s:6.3f} s wall  {bare_mib:6.1f} MiB peak")
    print(f"  ratio      : {kiosk_s / bare_s:6.2f} x wall  {kiosk_mib / bare_mib:6.2f} x memory")
    print_cli_times()


def print_cli_times() -> None:
    """`kiosk --help` and `--version` against a bare `python -c pass` (the interpreter floor)."""

    def wall(argv: list[str]) -> float:
        samples = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=True, cwd=ROOT)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    floor = wall([sys.executable, "-c", "pass"])
    print(f"command line (median of {RUNS})")
    for args in (["--help"], ["--version"]):
        seconds = wall([sys.executable, "-m", "kiosk.cli", *args])
        print(f"  kiosk {args[0]:<9}: {seconds:6.3f} s  ({seconds / floor:4.1f} x bare python)")


if __name__ == "__main__":
    main()
