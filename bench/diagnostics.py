"""What an engineer waits for: `kiosk diag` over SSH, against `kiosk --version` as the floor.

Runs against the real simulators (platform simulator over HTTP, virtual ESC/POS printer
on TCP, pcscd with the vpcd readers when it is running), each command in a fresh
process, RUNS times; prints the median wall time and the ratio to the baseline
(`kiosk --version`: interpreter start plus the CLI, measured in the same run). Also
times one admin PIN check (scrypt), the cost a technician pays per attempt.

    .venv/bin/python bench/diagnostics.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _median_s(args: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kiosk.cli", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=False,
            timeout=300,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from central_sim.server import start_in_thread
    from drivers.printer.virtual import VirtualPrinter
    from kiosk.admin_auth import hash_pin, verify_pin
    from kiosk.config import save_terminal_file

    work = Path(tempfile.mkdtemp(prefix="bench-diag-"))
    central = start_in_thread(port=0, data_path=work / "central.sqlite3")
    printer = VirtualPrinter(port=0).start()
    config = work / "kiosk.toml"
    save_terminal_file(
        config,
        {
            "central": {"url": central.url},
            "devices": {"printer": {"url": printer.url}},
            "paths": {"data_dir": str(work / "data")},
        },
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        base = _median_s(["--version"], env)
        cases = {
            "config validate": ["config", "validate", str(config)],
            "diag --device system": ["--config", str(config), "diag", "--device", "system"],
            "diag (internal, all)": ["--config", str(config), "diag", "--json"],
            "diag --level external": ["--config", str(config), "diag", "--level", "external"],
        }
        print(f"baseline kiosk --version: {base * 1000:7.0f} ms (median of {RUNS})")
        for name, args in cases.items():
            took = _median_s(args, env)
            print(f"{name:24} {took * 1000:7.0f} ms   x{took / base:5.1f} baseline")
    finally:
        printer.stop()
        central.stop()
    stored = hash_pin("246810")
    start = time.perf_counter()
    for _ in range(RUNS):
        verify_pin("246810", stored)
    per_check = (time.perf_counter() - start) / RUNS
    print(f"admin PIN check (scrypt n=2^14, r=8): {per_check * 1000:.0f} ms per attempt")


if __name__ == "__main__":
    main()
