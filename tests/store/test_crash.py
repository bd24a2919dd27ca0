"""Crash test: kiosk processes SIGKILLed at random moments against the real simulator.

Whatever the moment of death (before the send, after the platform applied it but
before the local commit, in the middle of recovery), after each restart and drain
the platform's ledger and the outbox agree: every transaction the kiosk started
is confirmed exactly once or visibly rejected; none lost, none applied twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from offline_store import OfflineStore, State
from tests.store.conftest import REPO
from tests.store.ledger import disagreements, platform_orders


def _run_crashes(central_sim, tmp_path: Path, key_file: Path, kills: int, timeout_s: float):
    from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID

    store_file = tmp_path / "kiosk" / "offline.sqlite3"
    report = tmp_path / "disagreement.json"
    sim_db = Path(central_sim.store.path)  # the platform's own state, read directly
    command = [
        sys.executable, "-m", "tests.store.crash_child",
        "--url", central_sim.url, "--secret", DEMO_SECRET.decode(),
        "--store", str(store_file), "--key-file", str(key_file),
        "--lock", str(tmp_path / "forwarder.lock"), "--sim-db", str(sim_db),
        "--report", str(report), "--kills", str(kills), "--seed", "20261122",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    detail = report.read_text() if report.exists() else done.stderr[-3000:]
    assert not summary["failed"], f"{summary}: {detail}"
    assert summary["kills"] >= kills
    # some deaths fell between the platform's reply and the local commit, some after the
    # durable write and before the send; the rest at random moments
    assert summary["self_kills"].get("after_reply", 0) >= kills // 20, summary
    assert summary["self_kills"].get("before_send", 0) >= 1, summary

    with OfflineStore(store_file, key_file.read_bytes()) as store:
        counts = store.outbox.counts()
        assert counts[State.PENDING] == counts[State.SENDING] == 0, counts
        assert counts[State.CONFIRMED] >= kills // 2, counts
        assert disagreements(store, sim_db, DEMO_TERMINAL_ID) == []
        assert store.verify_journal() == []
        confirmed = {
            ref: amount
            for ref, amount in store.conn.execute(
                "SELECT client_ref, amount_fen FROM outbox WHERE state = 'confirmed'"
            )
        }
    orders = platform_orders(sim_db, DEMO_TERMINAL_ID)
    assert set(orders) == set(confirmed)  # nothing applied that the kiosk does not know
    assert sum(o["amount_fen"] for o in orders.values()) == sum(confirmed.values())
    return summary


def test_hundred_kills_nothing_lost_nothing_doubled(central_sim, tmp_path, key_file):
    _run_crashes(central_sim, tmp_path, key_file, kills=100, timeout_s=110)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_thousand_kills_nothing_lost_nothing_doubled(central_sim, tmp_path, key_file):
    _run_crashes(central_sim, tmp_path, key_file, kills=1000, timeout_s=880)
