"""`kiosk printer status|test` and `kiosk sim printer`, run as real processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

KIOSK = [sys.executable, "-m", "kiosk.cli"]


def kiosk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "KIOSK_CONFIG": ""}
    return subprocess.run([*KIOSK, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.parametrize(
    ("paper", "level", "state", "code"),
    [
        ("ok", "adequate", "ready", 0),
        ("near-end", "near_end", "ready", 0),
        ("out", "out", "user_error", 1),
    ],
)
def test_status_json_reports_each_paper_state(virtual_printer, paper, level, state, code):
    virtual_printer.set_paper(paper)
    done = kiosk("printer", "status", "--json", "--printer", virtual_printer.url)
    assert done.returncode == code, done.stderr
    info = json.loads(done.stdout)
    assert info["state"] == state
    assert info["facts"]["paper_level"] == level
    assert info["can_print"]["fact"] == ("bad" if paper == "out" else "good")


def test_status_of_a_printer_that_does_not_answer_is_unknown(virtual_printer):
    virtual_printer.status_mode = "silent"
    done = kiosk("printer", "status", "--json", "--printer", virtual_printer.url)
    info = json.loads(done.stdout)
    assert info["state"] == "unknown" and info["facts"]["paper_level"] == "unknown"
    assert done.returncode == 1


def test_test_slip_prints_the_printers_report(virtual_printer):
    done = kiosk("printer", "test", "--printer", virtual_printer.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test slip: printed" in done.stdout
    slip = virtual_printer.wait_for_receipts(1)[0]
    assert "打印机自检 Printer test" in slip.text and slip.cut and slip.qr_payloads == ["TEST"]
    virtual_printer.set_paper("out")
    done = kiosk("printer", "test", "--json", "--printer", virtual_printer.url)
    assert done.returncode == 1
    assert json.loads(done.stdout)["test"]["outcome"] == "failed"


def test_bad_url_is_a_clear_error():
    done = kiosk("printer", "status", "--printer", "lpt://1")
    assert done.returncode == 2 and "bad printer URL" in done.stdout


def test_sim_printer_serves_and_saves_receipts(tmp_path):
    out = tmp_path / "out"
    sim = subprocess.Popen(
        [
            *KIOSK,
            "sim",
            "printer",
            "--port",
            "0",
            "--paper",
            "near-end",
            "--width",
            "58",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = sim.stdout.readline()
        url = re.search(r"tcp://[\d.]+:\d+", line).group(0)
        status = json.loads(kiosk("printer", "status", "--json", "--printer", url).stdout)
        assert status["facts"]["paper_level"] == "near_end"
        assert kiosk("printer", "test", "--width", "58", "--printer", url).returncode == 0
        deadline = time.monotonic() + 30
        while not list(out.glob("*.png")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(list(out.glob("*.png"))) == 1
        assert "Printer test" in next(out.glob("*.txt")).read_text(encoding="utf-8")
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    assert sim.returncode == 0
