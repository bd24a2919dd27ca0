"""Offline limits: a clear refusal past any limit, and nothing half-written."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.config import Offline
from kiosk.offline_policy import OfflinePolicy, OfflineRefused, enqueue_offline
from offline_store import OfflineStore


def _policy(**limits) -> OfflinePolicy:
    return OfflinePolicy.from_config(Offline(**limits))


def _counts(store: OfflineStore) -> tuple[int, int]:
    return (
        store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0],
        store.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0],
    )


@pytest.mark.parametrize(
    ("limits", "queued", "tx_type", "amount", "code", "words"),
    [
        ({"allowed": ["check_in"]}, [], "cash_top_up", 100, "type_not_allowed", "offline"),
        ({"max_single_fen": 5000}, [], "cash_top_up", 5001, "single_amount", "single limit"),
        ({"max_count": 2}, [0, 0], "check_in", 0, "count", "2 of 2"),
        (
            {"max_total_fen": 10000, "max_single_fen": 8000},
            [6000],
            "cash_top_up",
            4001,
            "total",
            "10001",
        ),
    ],
)
def test_past_a_limit_the_kiosk_refuses_and_writes_nothing(
    store, limits, queued, tx_type, amount, code, words
):
    policy = _policy(**limits)
    for fen in queued:
        enqueue_offline(store, policy, "check_in" if not fen else "cash_top_up", {}, amount_fen=fen)
    before = _counts(store)
    with pytest.raises(OfflineRefused) as refused:
        enqueue_offline(store, policy, tx_type, {}, amount_fen=amount)
    assert refused.value.code == code
    assert words in str(refused.value)  # the engineer's sentence names the limit
    assert (
        refused.value.patient_message("en")
        == "The service is limited right now. Please try later or ask at the desk."
    )
    assert "受限" in refused.value.patient_message("zh")
    assert _counts(store) == before


def test_an_old_backlog_refuses_new_offline_transactions(store_path, secret):
    now = [datetime.now(UTC)]
    with OfflineStore(store_path, secret, clock=lambda: now[0]) as store:
        policy = _policy(max_age_h=72)
        enqueue_offline(store, policy, "check_in", {})
        now[0] += timedelta(hours=71)
        enqueue_offline(store, policy, "check_in", {})  # still inside the limit
        now[0] += timedelta(hours=2)
        with pytest.raises(OfflineRefused, match=r"73\.0 h old") as refused:
            enqueue_offline(store, policy, "check_in", {})
        assert refused.value.code == "age"


def test_forwarded_transactions_free_the_backlog(store):
    policy = _policy(max_count=1)
    first = enqueue_offline(store, policy, "check_in", {})
    with pytest.raises(OfflineRefused):
        enqueue_offline(store, policy, "check_in", {})
    store.outbox.mark_confirmed(first.id, {"ok": True})
    enqueue_offline(store, policy, "check_in", {})


def test_two_writers_at_once_cannot_both_slip_under_the_count(store_path, secret):
    policy = _policy(max_count=10)
    refused: list[OfflineRefused] = []

    def queue(count: int) -> None:
        with OfflineStore(store_path, secret) as mine:
            for _ in range(count):
                try:
                    enqueue_offline(mine, policy, "check_in", {})
                except OfflineRefused as exc:
                    refused.append(exc)

    OfflineStore(store_path, secret).close()
    threads = [threading.Thread(target=queue, args=(8,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with OfflineStore(store_path, secret) as store:
        assert store.outbox.backlog(offline_only=True).count == 10
    assert len(refused) == 14
