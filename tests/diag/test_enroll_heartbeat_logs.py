"""Enrollment, the heartbeat and the support archive, against the real platform simulator."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from drivers.device import DeviceState, DeviceStatus
from kiosk import __version__
from kiosk.admin_auth import hash_pin
from kiosk.config import save_terminal_file
from kiosk.heartbeat import Backlog, Heartbeat


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


@pytest.fixture
def terminal(tmp_path: Path, central_sim) -> Path:
    path = tmp_path / "kiosk.toml"
    save_terminal_file(
        path,
        {
            "terminal": {"id": "K-LOBBY-07"},
            "central": {"url": central_sim.url},
            "paths": {"data_dir": str(tmp_path / "data")},
        },
    )
    return path


def test_enroll_stores_secret_owner_only_and_proves_it(terminal: Path, central_sim):
    from central_sim import DEMO_ENROLL_CODE

    result = kiosk(terminal, "enroll", "--url", central_sim.url, "--code", DEMO_ENROLL_CODE)
    assert result.returncode == 0, result.stderr
    assert "a signed request with the new secret was accepted" in result.stdout
    secret_file = terminal.parent / "data" / "terminal_secret.json"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    stored = json.loads(secret_file.read_text())
    assert stored["terminal_id"] == "K-LOBBY-07"
    assert stored["secret_b64"] not in result.stdout + result.stderr
    # and the diagnostics now reach the platform as this terminal
    report = json.loads(kiosk(terminal, "diag", "--json", "--check", "api").stdout)
    assert report["checks"][0]["outcome"] == "pass"


def test_enroll_code_used_twice_is_refused_and_keeps_the_secret(terminal: Path, central_sim):
    from central_sim import DEMO_ENROLL_CODE

    assert (
        kiosk(terminal, "enroll", "--url", central_sim.url, "--code", DEMO_ENROLL_CODE).returncode
        == 0
    )
    secret_file = terminal.parent / "data" / "terminal_secret.json"
    before = secret_file.read_bytes()
    again = kiosk(terminal, "enroll", "--url", central_sim.url, "--code", DEMO_ENROLL_CODE)
    assert again.returncode == 1 and "already enrolled" in again.stderr
    forced = kiosk(
        terminal, "enroll", "--url", central_sim.url, "--code", DEMO_ENROLL_CODE, "--force"
    )
    assert forced.returncode == 1 and "has been used" in forced.stderr
    assert secret_file.read_bytes() == before


def test_enroll_with_a_wrong_code_or_no_platform(terminal: Path, central_sim):
    wrong = kiosk(terminal, "enroll", "--url", central_sim.url, "--code", "NOPE-0000")
    assert wrong.returncode == 1 and "not valid" in wrong.stderr
    central_sim.stop()
    down = kiosk(terminal, "enroll", "--url", central_sim.url, "--code", "NOPE-0000")
    assert down.returncode == 1 and "FAIL enrollment at" in down.stderr
    assert not (terminal.parent / "data" / "terminal_secret.json").exists()


def test_heartbeat_reaches_the_platform(central_client, central_sim):
    import httpx

    devices = [
        ("printer", DeviceStatus(DeviceState.USER_ERROR, "paper out")),
        ("card_reader", DeviceStatus(DeviceState.READY, "x" * 500)),
    ]
    beat = Heartbeat(central_client, 0.2, __version__, lambda: devices, lambda: Backlog(3, 125))
    beat.start()
    try:
        deadline = time.monotonic() + 20
        while beat.beats < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        beat.stop()
    assert beat.beats >= 2 and beat.last_error == ""
    assert abs(beat.last_reply.clock_skew_s) < 5
    seen = httpx.get(f"{central_sim.url}/admin/terminals/DEMO-0001/heartbeat").json()
    assert seen["software_version"] == __version__
    assert seen["outbox_depth"] == 3 and seen["oldest_outbox_age_s"] == 125
    assert {"name": "printer", "state": "user_error", "reason": "paper out"} in seen["devices"]
    assert len(next(d for d in seen["devices"] if d["name"] == "card_reader")["reason"]) == 200


def test_heartbeat_survives_the_platform_going_away(central_client, central_sim):
    beat = Heartbeat(central_client, 0.1, __version__)
    central_sim.stop()
    beat.start()
    try:
        deadline = time.monotonic() + 30
        while not beat.last_error and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        beat.stop()
    assert beat.last_error and beat.beats == 0


def test_heartbeat_from_config_reports_live_devices_and_store(
    central_client, central_sim, virtual_printer, tmp_path: Path
):
    import httpx

    from drivers.printer.printer import Printer
    from kiosk.config import load_config
    from kiosk.offline_secret import open_offline_store

    config = load_config(
        overrides={
            "central": {"url": central_sim.url},
            "paths": {"data_dir": str(tmp_path / "data")},
        }
    )
    virtual_printer.set_paper("out")
    printer = Printer(virtual_printer.url)
    printer.open()
    store = open_offline_store(config)
    try:
        store.outbox.enqueue("cash_top_up", {"patient_id": "P0003"}, amount_fen=500, offline=True)
        printer.refresh()
        beat = Heartbeat.from_config(config, central_client, [printer], store)
        assert beat._interval_s == config.central.heartbeat_interval_s
        beat.beat()
    finally:
        printer.close()
        store.close()
    seen = httpx.get(f"{central_sim.url}/admin/terminals/DEMO-0001/heartbeat").json()
    assert seen["outbox_depth"] == 1
    assert seen["devices"][0]["name"] == "printer"
    assert seen["devices"][0]["state"] == "user_error"


def test_bad_interval_is_refused(central_client):
    with pytest.raises(ValueError, match="interval"):
        Heartbeat(central_client, 0, __version__)


def test_logs_export_has_everything_but_secrets(terminal: Path, tmp_path: Path):
    pin_hash = hash_pin("20261122")
    save_terminal_file(terminal, {**_toml(terminal), "admin": {"pin_hash": pin_hash}})
    logs = tmp_path / "data" / "logs"
    logs.mkdir(parents=True)
    (logs / "kiosk.log").write_text("card 6217000010001234569 read\n", encoding="utf-8")
    archive = tmp_path / "support.tar.gz"
    result = kiosk(terminal, "logs", "export", str(archive))
    assert result.returncode == 0, result.stderr
    with tarfile.open(archive) as tar:
        members = {
            m.name.removeprefix("kiosk-support/"): tar.extractfile(m).read()
            for m in tar.getmembers()
        }
    assert {
        "config.json",
        "diagnostics.json",
        "journal_summary.json",
        "manifest.json",
        "logs/kiosk.log",
    } <= set(members)
    everything = b"".join(members.values())
    assert pin_hash.encode() not in everything
    assert b"6217000010001234569" not in everything and b"6217" in members["logs/kiosk.log"]
    config = json.loads(members["config.json"])
    assert config["effective"]["terminal"]["id"] == "K-LOBBY-07"
    diagnostics = json.loads(members["diagnostics.json"])
    assert any(c["name"] == "config" for c in diagnostics["this_run"]["checks"])


def test_logs_export_with_a_broken_config(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[ui\n", encoding="utf-8")
    archive = tmp_path / "support.tar.gz"
    result = kiosk(path, "logs", "export", str(archive), "--no-diag")
    assert result.returncode == 0, result.stderr
    with tarfile.open(archive) as tar:
        config = json.loads(tar.extractfile("kiosk-support/config.json").read())
    assert "not valid TOML" in config["problems"][0]


def _toml(path: Path) -> dict:
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8"))
