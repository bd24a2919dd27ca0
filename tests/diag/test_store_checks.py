"""The outbox and journal checks on a real offline store (SQLite file, real journal chain)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drivers.device import Outcome
from kiosk.config import load_config
from kiosk.diagnostics import DiagContext, run_checks
from kiosk.offline_secret import load_store_secret, store_path
from offline_store import OfflineStore

TOP_UP = {"patient_id": "P0003", "amount_fen": 5000}


@pytest.fixture
def config(tmp_path: Path):
    return load_config(
        overrides={"paths": {"data_dir": str(tmp_path / "data")}, "offline": {"max_count": 5}}
    )


def _store(config, clock=None) -> OfflineStore:
    kw = {"clock": clock} if clock else {}
    return OfflineStore(store_path(config), load_store_secret(config), ref_prefix="DEMO-0001", **kw)


def _check(config, name: str):
    (result,) = run_checks(DiagContext(config, data_dir=config.data_dir()), names=[name])
    return result


def test_waiting_items_are_counted_with_the_oldest_age(config):
    with _store(config) as store:
        store.outbox.enqueue("cash_top_up", TOP_UP, amount_fen=5000, offline=True)
        store.outbox.enqueue("cash_top_up", TOP_UP, amount_fen=2000, offline=True)
    result = _check(config, "outbox")
    assert result.outcome is Outcome.PASS
    assert result.details["waiting"] == "2" and result.details["total_fen"] == "7000"


def test_old_items_warn_that_nothing_is_being_sent(config):
    long_ago = datetime.now(UTC) - timedelta(hours=6)
    with _store(config, clock=lambda: long_ago) as store:
        store.outbox.enqueue("cash_top_up", TOP_UP, amount_fen=5000, offline=True)
    result = _check(config, "outbox")
    assert result.outcome is Outcome.WARN and "not being sent" in result.summary
    assert "api" in result.cause


def test_queue_at_the_offline_limit_fails(config):
    with _store(config) as store:
        for _ in range(5):
            store.outbox.enqueue("cash_top_up", TOP_UP, amount_fen=100, offline=True)
    result = _check(config, "outbox")
    assert result.outcome is Outcome.FAIL and "offline limit" in result.summary


def test_journal_intact_then_tampered(config):
    with _store(config) as store:
        item = store.outbox.enqueue("cash_top_up", TOP_UP, amount_fen=5000, offline=True)
        store.outbox.mark_confirmed(item.id, {"status": "fulfilled"})
    assert _check(config, "journal").outcome is Outcome.PASS
    conn = sqlite3.connect(store_path(config))
    with conn:
        conn.execute("DELETE FROM journal WHERE seq = 1")
    conn.close()
    result = _check(config, "journal")
    assert result.outcome is Outcome.FAIL and "journal problems" in result.summary
    assert "export the logs" in result.cause


def test_store_with_the_wrong_key_fails_without_damage(config, tmp_path: Path):
    with _store(config) as store:
        store.outbox.enqueue("cash_top_up", TOP_UP, amount_fen=5000, offline=True)
    before = store_path(config).read_bytes()
    (config.data_dir() / "store.key").write_bytes(b"k" * 32)  # a key that is not this store's
    result = _check(config, "outbox")
    assert result.outcome is Outcome.FAIL and "do not delete it" in result.cause
    assert store_path(config).read_bytes() == before
