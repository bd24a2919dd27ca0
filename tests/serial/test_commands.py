"""The `kiosk` serial commands as an engineer runs them: real processes on real ptys."""

from __future__ import annotations

import queue
import subprocess
import sys
from pathlib import Path

from drivers.device import DeviceState
from drivers.scanner import CodeKind, SerialScanner
from tests.harness.serial import wait_for

ROOT = Path(__file__).resolve().parents[2]


def kiosk(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_sim_scanner_scans_each_line_typed(tmp_path):
    sim = kiosk("sim", "scanner", "--pty", "--link", str(tmp_path / "tty"))
    try:
        path = sim.stdout.readline().strip()
        scanner = SerialScanner(path)
        scans: queue.Queue = queue.Queue()
        scanner.subscribe_scans(scans.put)
        scanner.open()
        wait_for(lambda: scanner.status.state is DeviceState.READY)
        sim.stdin.write("254567890123456789\n")
        sim.stdin.flush()
        assert scans.get(timeout=20).kind is CodeKind.PAYMENT_CODE
        scanner.close()
    finally:
        sim.stdin.close()
        sim.wait(20)


def test_scanner_listen_prints_a_masked_code(virtual_scanner):
    listen = kiosk("scanner", "listen", "--port", virtual_scanner.path, "--count", "1",
                   "--timeout", "30")  # fmt: skip
    assert listen.stdout.readline().startswith("[ready]")
    virtual_scanner.scan("134567890123456789")
    out, _ = listen.communicate(timeout=30)
    assert listen.returncode == 0
    assert "payment_code" in out and "wechat" in out
    assert "134567890123456789" not in out


def test_sim_cash_and_cash_status(tmp_path):
    state = tmp_path / "state.json"
    sim = kiosk("sim", "cash", "--pty", "--state", str(state))
    try:
        path = sim.stdout.readline().strip()
        status = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "cash", "status", "--port", path],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert status.returncode == 0, status.stdout + status.stderr
        assert "state:  ready" in status.stdout
        assert "note type 6: ¥100.00" in status.stdout
        sim.stdin.write("fake\nstate\n")
        sim.stdin.flush()
        assert '"counter": 1' in sim.stdout.readline()
    finally:
        sim.stdin.close()
        sim.wait(20)
    assert '"counter": 1' in state.read_text()  # kept for the next start
