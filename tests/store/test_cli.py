"""`kiosk journal verify` and `kiosk queue ...`, run as the real command on a real store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from offline_store import OfflineStore, State
from tests.store.conftest import REPO

ZHANG = {"patient_id": "P0001", "name": "张伟", "id_number": "110101198001011232"}


def kiosk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def history(store_path, secret) -> list[int]:
    """Three top-ups, confirmed: journal rows 1-3 enqueued, 4-6 confirmed."""
    with OfflineStore(store_path, secret, ref_prefix="DEMO-0001") as store:
        items = [
            store.outbox.enqueue("cash_top_up", ZHANG, amount_fen=1000 * (n + 1), offline=True)
            for n in range(3)
        ]
        for item in items:
            store.outbox.mark_confirmed(item.id, {"status": "fulfilled"})
    return [item.id for item in items]


def _tamper(store_path, *statements: str) -> None:
    conn = sqlite3.connect(store_path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def test_intact_journal_verifies(kiosk_env, history):
    done = kiosk(kiosk_env, "journal", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "journal intact: 6 rows" in done.stdout


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        (["UPDATE journal SET detail = replace(detail, '2000', '9000') WHERE seq = 2"],
         "row 2: edited"),
        (["DELETE FROM journal WHERE seq = 4"], "deleted between row 3 and row 5"),
        (["UPDATE journal SET seq = 100 WHERE seq = 2", "UPDATE journal SET seq = 2 WHERE seq = 3",
          "UPDATE journal SET seq = 3 WHERE seq = 100"], "row 2: out of order"),
        (["DELETE FROM journal WHERE seq = 6"], "row 6 deleted"),
    ],
    ids=["edit", "delete", "reorder", "delete-last"],
)  # fmt: skip
def test_tampering_is_detected_and_the_row_named(kiosk_env, store_path, history, statements, named):
    _tamper(store_path, *statements)
    done = kiosk(kiosk_env, "journal", "verify")
    assert done.returncode == 1
    assert "journal TAMPERED" in done.stdout
    assert named in done.stdout, done.stdout


def test_queue_status_list_show_and_export_never_show_personal_data(
    kiosk_env, store_path, secret, history, tmp_path
):
    with OfflineStore(store_path, secret) as store:
        waiting = store.outbox.enqueue("cash_top_up", ZHANG, amount_fen=5000, offline=True)
    status = kiosk(kiosk_env, "queue", "status")
    assert status.returncode == 0, status.stderr
    assert "pending=1" in status.stdout and "confirmed=3" in status.stdout
    assert "offline: 1/200 queued, ¥50.00/¥5000.00" in status.stdout
    listing = kiosk(kiosk_env, "queue", "list")
    assert waiting.client_ref in listing.stdout
    assert listing.stdout.count("\n") == 1  # only the open row by default
    shown = kiosk(kiosk_env, "queue", "show", str(waiting.id))
    assert "张*" in shown.stdout and "1101**********1232" in shown.stdout
    exported = tmp_path / "outbox.json"
    kiosk(kiosk_env, "queue", "export", str(exported), "--json")
    rows = json.loads(exported.read_text(encoding="utf-8"))
    assert [row["state"] for row in rows] == ["confirmed"] * 3 + ["pending"]
    csv_file = tmp_path / "outbox.csv"
    kiosk(kiosk_env, "queue", "export", str(csv_file))
    everything = (
        status.stdout + listing.stdout + shown.stdout + exported.read_text() + csv_file.read_text()
    )
    assert "张伟" not in everything and "110101198001011232" not in everything


def test_queue_retry_sends_again_with_the_same_key(kiosk_env, store_path, secret, history):
    with OfflineStore(store_path, secret) as store:
        item = store.outbox.enqueue("check_in", {"booking_id": "B1"}, offline=True)
        store.outbox.mark_rejected(item.id, "booking_not_found", "no such booking")
        assert store.outbox.status_of(item.client_ref) == State.NEEDS_ATTENTION
    done = kiosk(kiosk_env, "queue", "retry", item.client_ref)
    assert done.returncode == 0, done.stderr
    with OfflineStore(store_path, secret) as store:
        again = store.outbox.get(item.id)
    assert (again.state, again.idempotency_key, again.needs_lookup) == (
        State.PENDING, item.idempotency_key, True)  # fmt: skip
    refused = kiosk(kiosk_env, "queue", "retry", str(history[0]))
    assert refused.returncode == 1 and "already confirmed" in refused.stdout


def test_queue_retry_with_a_new_key_only_after_an_outright_refusal(
    kiosk_env, store_path, secret, history
):
    with OfflineStore(store_path, secret) as store:
        refused = store.outbox.enqueue("check_in", {"booking_id": "B1"}, offline=True)
        store.outbox.mark_rejected(refused.id, "booking_not_found", "no such booking")
        waiting = store.outbox.enqueue("check_in", {"booking_id": "B2"}, offline=True)
    assert kiosk(kiosk_env, "queue", "retry", str(refused.id), "--new-key").returncode == 0
    denied = kiosk(kiosk_env, "queue", "retry", str(waiting.id), "--new-key")
    assert denied.returncode == 1 and "keeps its idempotency key" in denied.stdout
    with OfflineStore(store_path, secret) as store:
        assert store.outbox.get(refused.id).idempotency_key != refused.idempotency_key
        assert store.outbox.get(waiting.id).idempotency_key == waiting.idempotency_key
