"""The outbox, cache and personal-data protection on real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest

from offline_store import (
    CannotDecrypt,
    DuplicateTransaction,
    InvalidKey,
    InvalidTransaction,
    OfflineStore,
    State,
    UnsafeDatabase,
)
from offline_store.db import check_durability

ZHANG = {"name": "张伟", "id_number": "110101198001011232", "card_number": "6217000010001234569"}


def _rows(store: OfflineStore) -> tuple[int, int]:
    outbox = store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    journal = store.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    return outbox, journal


def test_enqueued_row_is_durable_and_seen_by_a_fresh_process_connection(store, store_path, secret):
    item = store.outbox.enqueue("cash_top_up", {"patient_id": "P0001"}, amount_fen=12850)
    with OfflineStore(store_path, secret) as reopened:
        again = reopened.outbox.by_client_ref(item.client_ref)
    assert again.state == State.PENDING
    assert again.amount_fen == 12850
    assert again.idempotency_key == item.idempotency_key
    assert again.created_at.tzinfo is not None
    mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert (mode, store.conn.execute("PRAGMA synchronous").fetchone()[0]) == ("wal", 2)


@pytest.mark.parametrize(
    ("journal_mode", "synchronous"), [("DELETE", "FULL"), ("WAL", "NORMAL"), ("WAL", "OFF")]
)
def test_refuses_a_database_that_would_not_survive_power_loss(tmp_path, journal_mode, synchronous):
    path = tmp_path / "weak.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA journal_mode={journal_mode}")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    with pytest.raises(UnsafeDatabase, match=r"refusing|not FULL"):
        check_durability(conn, path)


@pytest.mark.parametrize(
    ("amount", "payload"),
    [
        (12.5, {}),  # float money
        (True, {}),
        (-100, {}),
        (100, {"order": {"cash_yuan": 1.0}}),  # a float hidden in the payload
        (100, {"when": datetime.now(UTC)}),  # not JSON
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(store, amount, payload):
    before = _rows(store)
    with pytest.raises(InvalidTransaction):
        store.outbox.enqueue("cash_top_up", payload, amount_fen=amount)
    assert _rows(store) == before


def test_duplicate_client_reference_is_refused_and_nothing_is_written(store):
    first = store.outbox.enqueue("reprint", {}, client_ref="DEMO-0001-REF-1")
    before = _rows(store)
    with pytest.raises(DuplicateTransaction):
        store.outbox.enqueue("reprint", {"other": 1}, client_ref=first.client_ref)
    assert _rows(store) == before


def test_personal_data_is_not_readable_in_the_file(store, store_path):
    store.outbox.enqueue("check_in", ZHANG, card_number=ZHANG["card_number"], patient_id="P0001")
    store.cache.put("appointments_today", ZHANG["card_number"], [ZHANG], personal=True)
    store.close()
    raw = b"".join(p.read_bytes() for p in store_path.parent.glob("offline.sqlite3*"))
    for secret_text in (*ZHANG.values(), "P0001"):
        assert secret_text.encode() not in raw
    assert ZHANG["name"].encode("gbk") not in raw


def test_card_number_matches_by_keyed_hash(store):
    mine = store.outbox.enqueue("reprint", {}, card_number=ZHANG["card_number"])
    store.outbox.enqueue("reprint", {}, card_number="6217000010007654323")
    found = store.outbox.by_card(ZHANG["card_number"])
    assert [item.id for item in found] == [mine.id]
    assert found[0].card_ref != ZHANG["card_number"]


def test_wrong_or_short_key_is_refused_without_touching_the_store(store, store_path):
    store.outbox.enqueue("reprint", {})
    before = _rows(store)
    with pytest.raises(CannotDecrypt, match="does not match"):
        OfflineStore(store_path, b"x" * 32)
    with pytest.raises(InvalidKey):
        OfflineStore(store_path, b"short")
    assert _rows(store) == before


def test_a_patient_waits_behind_their_own_backing_off_row_but_others_do_not(store):
    first = store.outbox.enqueue("cash_top_up", {}, amount_fen=100, patient_id="P0001")
    other = store.outbox.enqueue("cash_top_up", {}, amount_fen=100, patient_id="P0002")
    later = store.outbox.enqueue("cash_top_up", {}, amount_fen=100, patient_id="P0001")
    claimed = store.outbox.claim(10)
    assert [i.id for i in claimed] == [first.id, other.id, later.id]  # creation order
    store.outbox.mark_retry(
        first.id, "503", store.clock() + timedelta(minutes=5), maybe_applied=False
    )
    store.outbox.mark_confirmed(other.id, {"ok": True})
    assert store.outbox.claim(10) == []  # `later` waits for `first`
    store.outbox.release_for_restart()
    assert store.outbox.get(first.id).state == State.PENDING


def test_rows_left_sending_by_a_dead_process_are_due_again_with_the_same_key(store, store_path):
    item = store.outbox.enqueue("cash_top_up", {}, amount_fen=100)
    store.outbox.claim(5)
    store.outbox.mark_retry(
        item.id, "timeout", store.clock() + timedelta(hours=1), maybe_applied=True
    )
    assert store.outbox.claim(5) == []
    assert store.outbox.release_for_restart() == 1
    again = store.outbox.claim(5)
    assert [(i.id, i.idempotency_key, i.needs_lookup) for i in again] == [
        (item.id, item.idempotency_key, True)
    ]


def test_two_connections_writing_at_once_keep_one_unbroken_journal(store_path, secret):
    def write(count: int) -> None:
        with OfflineStore(store_path, secret) as mine:
            for _ in range(count):
                item = mine.outbox.enqueue("cash_top_up", {}, amount_fen=100)
                mine.outbox.mark_confirmed(item.id, {"ok": True})

    OfflineStore(store_path, secret).close()
    threads = [threading.Thread(target=write, args=(40,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with OfflineStore(store_path, secret) as store:
        assert store.outbox.counts()[State.CONFIRMED] == 120
        assert store.verify_journal() == []


def test_cache_says_when_it_was_fetched_and_forgets_expired_entries(store):
    fetched = datetime(2026, 11, 22, 10, 42, tzinfo=UTC)
    store.cache.put("departments", "H001", [{"department_id": "D01"}], fetched_at=fetched)
    cached = store.cache.get("departments", "H001")
    assert cached.value == [{"department_id": "D01"}]
    assert cached.fetched_at == fetched
    yesterday = store.clock() - timedelta(seconds=1)
    store.cache.put("appointments_today", "P0001", [1], personal=True, expires_at=yesterday)
    assert store.cache.get("appointments_today", "P0001", personal=True) is None
    assert store.cache.purge_expired() == 1
    assert store.cache.get("departments", "H999") is None


def test_a_row_the_flow_sends_itself_is_left_alone_until_handed_over(store):
    mine = store.outbox.enqueue("booking", {}, amount_fen=500, in_hand_for=timedelta(minutes=2))
    assert store.outbox.status_of(mine.client_ref) == State.SENDING  # may reach the platform
    assert store.outbox.claim(10) == []  # the worker does not send it a second time
    store.outbox.hand_over(mine.id, "timeout", maybe_applied=True)
    taken = store.outbox.claim(10)
    assert [(i.id, i.needs_lookup) for i in taken] == [(mine.id, True)]


def test_append_events_after_another_connection_appended_needs_no_retry_from_the_caller(
    store_path, secret
):
    with OfflineStore(store_path, secret) as mine, OfflineStore(store_path, secret) as theirs:
        mine.append_events([("cash_in_started", "CASH-0001", {"limit_fen": 5000})])
        # the other thread's store appends: my cached journal head is now stale
        theirs.append_events([("cash_acceptor_event", "cash-cursor:A", {"counter": 1})])
        theirs.outbox.enqueue("cash_top_up", {}, amount_fen=100)
        mine.append_events(
            [
                ("cash_in_doubt", "CASH-0001", {"counter": 2}),
                ("cash_acceptor_event", "cash-cursor:A", {"counter": 2}),
            ]
        )
        # and my enqueue after their append is not refused either
        item = mine.outbox.enqueue("cash_top_up", {}, amount_fen=200)
        events = [(e.event, e.client_ref) for e in mine.journal.entries()]
        assert mine.verify_journal() == []
    assert events == [
        ("cash_in_started", "CASH-0001"),
        ("cash_acceptor_event", "cash-cursor:A"),
        ("enqueued", events[2][1]),
        ("cash_in_doubt", "CASH-0001"),
        ("cash_acceptor_event", "cash-cursor:A"),
        ("enqueued", item.client_ref),
    ]


@pytest.mark.parametrize(
    ("tx_type", "amount", "offline"),
    [("cash_top_up", 10000, True), ('挂号 "急诊"\\', 0, False), ("a\u2028b\x01", 2**40, False)],
)
def test_the_enqueued_event_reads_back_as_written(store, tx_type, amount, offline):
    item = store.outbox.enqueue(tx_type, {"n": 1}, amount_fen=amount, offline=offline)
    (entry,) = store.journal.entries(client_ref=item.client_ref)
    assert entry.detail == {"type": tx_type, "amount_fen": amount, "offline": offline}
    # the item handed back is a complete OutboxItem, equal to the row read back
    assert type(item)(**vars(item)) == item == store.outbox.get(item.id)
    assert store.verify_journal() == []


def test_a_forked_child_never_repeats_its_parents_random_bytes():
    """Nonces, client references and keys come from a pool; a child that inherited it
    would reuse AES-GCM nonces under the same key."""
    import os

    from offline_store.crypto import random_bytes

    random_bytes(1)  # the parent's pool is filled
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write_end, random_bytes(32))
        os._exit(0)
    os.close(write_end)
    theirs = os.read(read_end, 32)
    os.close(read_end)
    os.waitpid(child, 0)
    assert len(theirs) == 32
    assert theirs != random_bytes(32)
