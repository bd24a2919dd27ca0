"""The committed contract, the seed data, the secret store and the command line."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from central_sim import DEMO_ENROLL_CODE, DEMO_SECRET
from central_sim.openapi_doc import contract_document
from kiosk.central.secret_store import SecretStore, SecretStoreError, credentials_for

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contract" / "openapi.json"


def test_committed_contract_is_what_the_simulator_serves():
    committed = json.loads(CONTRACT.read_text(encoding="utf-8"))
    assert committed == contract_document(), (
        "contract/openapi.json is stale: run `python -m central_sim.openapi_doc "
        "contract/openapi.json` and review the diff"
    )


def test_contract_is_openapi_31_and_every_operation_has_the_error_shape():
    doc = json.loads(CONTRACT.read_text(encoding="utf-8"))
    assert doc["openapi"].startswith("3.1")
    for path, operations in doc["paths"].items():
        assert path.startswith("/v1/")
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("401", "409", "422", "503"):
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorReply")
            if method == "post" and "lookup" not in path:
                names = {p["name"] for p in operation.get("parameters", [])}
                assert "Idempotency-Key" in names, f"{method} {path} takes no Idempotency-Key"


def test_money_in_the_contract_is_integer_fen():
    doc = json.loads(CONTRACT.read_text(encoding="utf-8"))
    for name, schema in doc["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if field.endswith("_fen"):
                kinds = [prop.get("type")] + [o.get("type") for o in prop.get("anyOf", [])]
                assert "integer" in kinds and "number" not in kinds, f"{name}.{field}"


def test_seed_has_the_promised_world(central_sim):
    counts = central_sim.store.counts()
    assert counts["hospitals"] == 3 and counts["departments"] == 20
    assert counts["doctors"] == 60 and counts["patients"] == 50
    assert counts["sessions"] == 60 * 14 * 2
    assert counts["charges"] >= 5 and counts["transactions"] >= 50


def test_secret_store_round_trip_and_permissions(tmp_path):
    store = SecretStore.in_dir(tmp_path)
    assert store.load() is None
    store.save("LOBBY-0002", b"\x01" * 32, "H001")
    assert os.stat(store.path).st_mode & 0o777 == 0o600
    creds = store.load()
    assert (creds.terminal_id, creds.secret, creds.hospital_id) == (
        "LOBBY-0002",
        b"\x01" * 32,
        "H001",
    )
    assert "\\x01" not in repr(creds)
    os.chmod(store.path, 0o644)
    with pytest.raises(SecretStoreError, match="chmod 600"):
        store.load()


def test_credentials_fall_back_to_the_demo_secret_only_for_the_demo_terminal(tmp_path):
    assert credentials_for("DEMO-0001", tmp_path).secret == DEMO_SECRET
    with pytest.raises(SecretStoreError, match="not enrolled"):
        credentials_for("LOBBY-0002", tmp_path)


def kiosk(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def test_ping_from_the_command_line(central_sim, tmp_path):
    from kiosk.central.client import CentralClient

    config = tmp_path / "terminal.toml"
    config.write_text(
        f'[terminal]\nid = "LOBBY-0007"\n[central]\nurl = "{central_sim.url}"\n'
        f'[paths]\ndata_dir = "{tmp_path}"\n',
        encoding="utf-8",
    )
    refused = kiosk("--config", str(config), "central", "ping")
    assert refused.returncode == 1 and "not enrolled" in refused.stdout
    enrolled = CentralClient.enroll(central_sim.url, DEMO_ENROLL_CODE, "LOBBY-0007")
    SecretStore.in_dir(tmp_path).save("LOBBY-0007", base64.b64decode(enrolled.secret_b64))
    pong = kiosk("--config", str(config), "central", "ping")
    assert pong.returncode == 0 and "terminal LOBBY-0007" in pong.stdout
    central_sim.set_faults(down=True)
    down = kiosk("--config", str(config), "central", "ping")
    assert down.returncode == 1 and "FAIL" in down.stdout


def test_faults_command_switches_the_simulator(central_sim):
    done = kiosk("central", "faults", "--url", central_sim.url, "latency_ms=250", "garbled=true")
    assert done.returncode == 0, done.stdout
    assert central_sim.faults.latency_ms == 250 and central_sim.faults.garbled
    bad = kiosk("central", "faults", "--url", central_sim.url, "no_such_switch=1")
    assert bad.returncode == 1 and "unknown fault switch" in bad.stdout


def test_sim_central_runs_as_a_process_and_keeps_state(tmp_path):
    from central_sim import DEMO_TERMINAL_ID
    from kiosk.central.client import CentralClient

    data = tmp_path / "central.sqlite3"

    def run_once(client_ref: str):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk.cli",
                "sim",
                "central",
                "--port",
                "0",
                "--data",
                str(data),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        try:
            line = process.stdout.readline()
            url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
            with CentralClient(url, DEMO_TERMINAL_ID, DEMO_SECRET) as client:
                client.top_up("P0002", 700, "cash", client_ref, cash_fen=700)
                return client.get_balance("P0002").balance_fen
        finally:
            process.terminate()
            process.wait(timeout=30)

    assert run_once("ref-proc-0001") == 3700
    assert run_once("ref-proc-0001") == 3700  # same order again after a restart: no change
    assert run_once("ref-proc-0002") == 4400


def test_load_terminal_secret_for_kiosk_run(tmp_path):
    from kiosk.central.secrets import load_terminal_secret

    with pytest.raises(SecretStoreError, match="not enrolled"):
        load_terminal_secret(tmp_path)
    assert load_terminal_secret(tmp_path, "DEMO-0001") == DEMO_SECRET
    SecretStore.in_dir(tmp_path).save("LOBBY-0002", b"\x02" * 32)
    assert load_terminal_secret(tmp_path) == b"\x02" * 32
    with pytest.raises(SecretStoreError, match="belongs to terminal LOBBY-0002"):
        load_terminal_secret(tmp_path, "LOBBY-0003")
