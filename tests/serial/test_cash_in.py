"""Cash-in transactions end to end: simulator on a real pty, driver, CashIn, offline store."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from drivers.cash import BillValidator
from drivers.device import DeviceState
from kiosk.cash_in import CashIn, CashInError, OfflineStoreLedger, Outcome
from offline_store import OfflineStore
from tests.harness.serial import wait_for

SECRET = b"cash-in test terminal secret 32b!"


def open_store(tmp_path):
    return OfflineStore(tmp_path / "offline.sqlite3", SECRET)


def open_cash_in(sim, store):
    device = BillValidator(sim.path, 9600, sim.address, poll_s=0.05)
    cash_in = CashIn(device, OfflineStoreLedger(lambda: OfflineStore(store.path, SECRET)))
    unfinished = cash_in.prepare()
    device.open()
    wait_for(lambda: device.status.state is DeviceState.READY)
    return cash_in, unfinished


def top_ups(store):
    return [item for item in store.outbox.list() if item.type == "cash_top_up"]


def journal_events(store, event):
    return [e for e in store.journal.entries() if e.event == event]


@pytest.fixture
def session(virtual_cash_acceptor, tmp_path):
    store = open_store(tmp_path)
    cash_in, _ = open_cash_in(virtual_cash_acceptor, store)
    credits: queue.Queue = queue.Queue()
    cash_in.subscribe_credit(lambda note, total: credits.put((note, total)))
    yield cash_in, store, credits
    cash_in.device.close()
    store.close()


def test_notes_are_in_the_outbox_before_they_are_credited(session, virtual_cash_acceptor):
    cash_in, store, credits = session
    seen_at_credit = []
    cash_in.subscribe_credit(
        lambda _n, _t: seen_at_credit.append(len(top_ups(cash_in.ledger.store)))
    )
    cash_in.start("P0003", limit_fen=50_000, card_number="A01234567")
    for value in (100, 50):
        virtual_cash_acceptor.insert(value)
        credits.get(timeout=20)
    assert seen_at_credit == [1, 2]  # each note was durable before the UI heard of it
    result = cash_in.end()
    assert (result.outcome, result.total_fen, result.notes) == (Outcome.ENDED, 15_000, 2)
    items = top_ups(store)
    assert [i.amount_fen for i in items] == [10_000, 5_000]
    assert {i.payload["order"]["payment"]["method"] for i in items} == {"cash"}
    assert all(i.client_ref.startswith(result.txn_id) for i in items)
    assert all(i.idempotency_key == i.client_ref for i in items)
    assert store.verify_journal() == []
    assert virtual_cash_acceptor.cashbox_fen() == 15_000


def test_a_note_over_the_limit_is_handed_back(session, virtual_cash_acceptor):
    cash_in, _store, credits = session
    cash_in.start("P0001", limit_fen=15_000)
    virtual_cash_acceptor.insert(100)
    assert credits.get(timeout=20) == (10_000, 10_000)
    virtual_cash_acceptor.insert(100)  # would make 200 yuan: over the limit
    wait_for(lambda: virtual_cash_acceptor.state.returned == [6])
    virtual_cash_acceptor.insert(50)
    assert credits.get(timeout=20) == (5_000, 15_000)
    assert cash_in.end().total_fen == 15_000
    assert virtual_cash_acceptor.cashbox_fen() == 15_000


def test_rollback_returns_the_note_in_escrow_and_takes_nothing(virtual_cash_acceptor, tmp_path):
    store = open_store(tmp_path)
    gate: queue.Queue = queue.Queue()
    cash_in, _ = open_cash_in(virtual_cash_acceptor, store)
    release = threading.Event()
    decide = cash_in.decide

    def slow_policy(event):  # the note sits in escrow until the test lets the policy run
        gate.put(event)
        release.wait(30)
        return decide(event)

    cash_in.device.set_escrow_policy(slow_policy)
    try:
        cash_in.start("P0002", limit_fen=50_000)
        virtual_cash_acceptor.insert(20)
        gate.get(timeout=20)  # the note is in escrow and the patient taps Cancel
        results: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: results.put(cash_in.rollback()), daemon=True).start()
        wait_for(lambda: not cash_in.accepting)
        release.set()
        result = results.get(timeout=30)
        assert (result.outcome, result.total_fen) == (Outcome.ROLLED_BACK, 0)
        assert virtual_cash_acceptor.state.returned == [4]
        assert top_ups(store) == []
        assert not virtual_cash_acceptor.state.master_enabled
    finally:
        cash_in.device.close()
        store.close()


def test_rollback_after_a_stacked_note_ends_with_it(session, virtual_cash_acceptor):
    cash_in, _store, credits = session
    cash_in.start("P0001", limit_fen=50_000)
    virtual_cash_acceptor.insert(10)
    credits.get(timeout=20)
    result = cash_in.rollback()
    assert (result.outcome, result.total_fen) == (Outcome.ENDED, 1000)


def test_bad_input_is_refused_before_anything_is_written(session):
    cash_in, store, _ = session
    with pytest.raises(CashInError):
        cash_in.start("P0001", limit_fen=100.0)
    cash_in.start("P0001", limit_fen=1000)
    with pytest.raises(CashInError):
        cash_in.start("P0001", limit_fen=1000)
    cash_in.end()
    assert len(journal_events(store, "cash_in_started")) == 1


def test_cannot_start_when_the_acceptor_is_gone(virtual_cash_acceptor, tmp_path):
    store = open_store(tmp_path)
    device = BillValidator(str(tmp_path / "ttyNone"), poll_s=0.05)
    cash_in = CashIn(device, OfflineStoreLedger(lambda: OfflineStore(store.path, SECRET)))
    cash_in.prepare()
    device.open()
    try:
        with pytest.raises(CashInError, match="cannot take notes"):
            cash_in.start("P0001", limit_fen=1000)
        assert not cash_in.active
        closed = journal_events(store, "cash_in_closed")
        assert closed[0].detail["outcome"] == "rolled_back"
    finally:
        device.close()
        store.close()


def test_reset_while_stacking_is_recorded_in_doubt_not_credited(session, virtual_cash_acceptor):
    cash_in, store, credits = session
    cash_in.start("P0001", limit_fen=50_000)
    virtual_cash_acceptor.reset_after_next_stack()
    virtual_cash_acceptor.insert(50)
    wait_for(lambda: journal_events(store, "cash_in_doubt"))
    assert credits.empty()
    assert (
        journal_events(store, "cash_in_doubt")[0].detail["reason"].startswith("validator restarted")
    )
    assert cash_in.end().total_fen == 0
    assert virtual_cash_acceptor.cashbox_fen() == 5000  # the operator's count settles it


@pytest.mark.parametrize("moment", ["before_commit", "between_writes", "after_commit"])
def test_kiosk_killed_between_stacked_and_commit_credits_exactly_once(
    virtual_cash_acceptor, tmp_path, moment
):
    store_path = tmp_path / "offline.sqlite3"
    OfflineStore(store_path, SECRET).close()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.serial.cash_child", virtual_cash_acceptor.path,
         str(store_path), moment],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "STARTED"
        virtual_cash_acceptor.insert(100)
        assert child.stdout.readline().strip() == "KILL_ME"
        assert virtual_cash_acceptor.cashbox_fen() == 10_000  # the validator has the money
    finally:
        child.kill()  # SIGKILL: no clean-up, no flush, like a power cut of the PC
        child.wait(30)

    # The kiosk restarts: the same store, a new driver, the validator kept running.
    store = OfflineStore(store_path, SECRET)
    cash_in, unfinished = open_cash_in(virtual_cash_acceptor, store)
    try:
        assert unfinished is not None and unfinished.patient_id == "P0003"
        result = cash_in.finish_recovery()
        assert (result.outcome, result.total_fen, result.notes) == (
            Outcome.ENDED_AFTER_RESTART,
            10_000,
            1,
        )
        items = top_ups(store)
        notes = [(i.amount_fen, i.payload["order"]["patient_id"]) for i in items]
        assert notes == [(10_000, "P0003")]
        assert store.verify_journal() == []
        # a second restart finds nothing more to do
        cash_in.device.close()
        again, unfinished_again = open_cash_in(virtual_cash_acceptor, store)
        assert unfinished_again is None
        again.device.wait_polls(3)
        again.device.close()
        assert len(top_ups(store)) == 1
    finally:
        cash_in.device.close()
        store.close()


def test_cash_taken_while_the_platform_is_down_is_credited_once_when_it_is_back(
    virtual_cash_acceptor, tmp_path, central_sim, central_client
):
    from kiosk.offline_central import CentralForwarder
    from kiosk.sync import SyncWorker

    before = central_client.get_balance("P0003").balance_fen  # 王芳: 50000 fen
    central_sim.set_faults(down=True)
    store = open_store(tmp_path)
    cash_in, _ = open_cash_in(virtual_cash_acceptor, store)
    credits: queue.Queue = queue.Queue()
    cash_in.subscribe_credit(lambda note, total: credits.put(total))
    worker = SyncWorker(
        lambda: OfflineStore(store.path, SECRET),
        CentralForwarder(central_client),
        tmp_path / "sync.lock",
    )
    try:
        cash_in.start("P0003", limit_fen=50_000, card_number="A01234567")
        for value in (100, 20):
            virtual_cash_acceptor.insert(value)
            credits.get(timeout=20)
        assert cash_in.end().total_fen == 12_000
        assert not worker.drain(timeout_s=1.5)  # platform down: nothing can be forwarded
        central_sim.set_faults(down=False)
        assert worker.drain(timeout_s=60)
        assert worker.drain(timeout_s=10)  # a second pass forwards nothing again
        assert central_client.get_balance("P0003").balance_fen == before + 12_000
        assert {i.state for i in top_ups(store)} == {"confirmed"}
    finally:
        worker.close()
        cash_in.device.close()
        store.close()


def test_recovery_waits_for_an_unreadable_validator(virtual_cash_acceptor, tmp_path):
    store_path = tmp_path / "offline.sqlite3"
    OfflineStore(store_path, SECRET).close()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.serial.cash_child", virtual_cash_acceptor.path,
         str(store_path), "before_commit"],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "STARTED"
        virtual_cash_acceptor.insert(50)
        assert child.stdout.readline().strip() == "KILL_ME"
    finally:
        child.kill()
        child.wait(30)
    virtual_cash_acceptor.drop_next_replies(10_000)  # the validator does not answer yet
    store = OfflineStore(store_path, SECRET)
    device = BillValidator(virtual_cash_acceptor.path, poll_s=0.05, reply_timeout=0.2)
    cash_in = CashIn(device, OfflineStoreLedger(lambda: OfflineStore(store_path, SECRET)))
    try:
        assert cash_in.prepare() is not None
        device.open()
        assert cash_in.finish_recovery(timeout=2.0) is None  # postponed, not closed empty
        assert cash_in.active
        virtual_cash_acceptor.answer_again()
        result = cash_in.finish_recovery(timeout=30.0)
        assert (result.total_fen, result.notes) == (5_000, 1)
        assert [i.amount_fen for i in top_ups(store)] == [5_000]
    finally:
        device.close()
        store.close()
