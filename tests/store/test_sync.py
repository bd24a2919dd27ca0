"""The sync worker against the real platform simulator over HTTP.

Offline: platform down, 100 check-ins and cash top-ups queued, platform up, all
forwarded in order within 10 s and their receipts confirmed. A permanent refusal
waits for an engineer without blocking the rest. An unknown outcome is looked up,
not doubled. Rows past the platform's key retention are reconciled, never resent.
A second forwarder process sends nothing twice.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.config import Offline
from kiosk.offline_central import CHECK_IN, CentralForwarder, cash_top_up_payload, check_in_payload
from kiosk.offline_policy import OfflinePolicy, enqueue_offline
from kiosk.sync import Backoff, SyncWorker
from offline_store import OfflineStore, State
from tests.store.conftest import REPO
from tests.store.ledger import disagreements

TERMINAL = "DEMO-0001"


def _worker(store_path: Path, secret: bytes, client, tmp_path: Path, clock=None) -> SyncWorker:
    def open_store() -> OfflineStore:
        if clock is None:
            return OfflineStore(store_path, secret)
        return OfflineStore(store_path, secret, clock=clock)

    return SyncWorker(
        open_store,
        CentralForwarder(client),
        tmp_path / "forwarder.lock",
        backoff=Backoff(0.05, 0.5),
        heartbeat=Backoff(0.05, 0.3),
    )


def _top_up(store: OfflineStore, patient: str, fen: int, policy: OfflinePolicy | None = None):
    """A cash top-up, queued online, or offline under `policy`."""
    payload = cash_top_up_payload(patient, fen)
    if policy is not None:
        return enqueue_offline(
            store, policy, "cash_top_up", payload, amount_fen=fen, patient_id=patient
        )
    return store.outbox.enqueue("cash_top_up", payload, amount_fen=fen, patient_id=patient)


def _all_confirmed(store: OfflineStore, refs: list[str]) -> bool:
    return all(store.outbox.status_of(ref) == State.CONFIRMED for ref in refs)


def _wait(predicate, timeout_s: float, poll_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll_s)
    return predicate()


def _bookings_today(sim, patients: list[str]) -> dict[str, str]:
    """Appointments made by phone for today (the simulator's own bookings, as in real life)."""
    today = sim.store.now().date()
    booked = {}
    with sim.store.transaction() as db:
        for n, patient in enumerate(patients):
            session = f"S-DR00{1 + n % 3}-{today:%Y%m%d}-PM"
            booking = sim.store._insert_booking(
                db, patient, session, "phone", None, sim.store.now()
            )
            booked[patient] = booking.booking_id
    return booked


def _sent_order(sim) -> list[str]:
    """Idempotency keys of this terminal, in the order the platform applied them."""
    rows = sim.store._all(
        "SELECT key FROM idempotency WHERE terminal_id = ? ORDER BY rowid", TERMINAL
    )
    return [row[0] for row in rows]


def test_offline_backlog_forwarded_in_order_once_platform_is_back(
    central_sim, central_client, store, store_path, secret, tmp_path
):
    patients = [f"P{n:04d}" for n in range(1, 51)]
    bookings = _bookings_today(central_sim, patients)
    balances = {p: central_client.get_balance(p).balance_fen for p in patients}
    central_sim.set_faults(down=True)
    policy = OfflinePolicy.from_config(Offline())
    refs = []
    for n, patient in enumerate(patients):
        now = store.clock()
        check_in = check_in_payload(bookings[patient], now)
        refs.append(enqueue_offline(store, policy, CHECK_IN, check_in, patient_id=patient))
        refs.append(_top_up(store, patient, (n + 1) * 100, policy))
    refs = [item.client_ref for item in refs]
    worker = _worker(store_path, secret, central_client, tmp_path)
    worker.start()
    try:
        assert _wait(lambda: not worker.status.online, 10), "the worker never noticed the outage"
        assert {store.outbox.status_of(ref) for ref in refs} <= {State.PENDING, State.SENDING}
        started = time.monotonic()
        central_sim.set_faults(down=False)
        all_confirmed = _wait(
            lambda: all(store.outbox.status_of(r) == State.CONFIRMED for r in refs), 10
        )
        took = time.monotonic() - started
    finally:
        worker.stop()
    assert all_confirmed, store.outbox.counts()
    assert took < 10, took
    print(f"forwarded {len(refs)} in {took:.2f} s")
    keys = {store.outbox.by_client_ref(ref).idempotency_key: n for n, ref in enumerate(refs)}
    applied = [keys[key] for key in _sent_order(central_sim) if key in keys]
    assert applied == sorted(applied) == list(range(len(refs)))  # in order, each once
    for n, patient in enumerate(patients):
        assert central_client.get_booking(bookings[patient]).status == "checked_in"
        assert central_client.get_balance(patient).balance_fen == balances[patient] + (n + 1) * 100
    assert disagreements(store, Path(central_sim.store.path), TERMINAL) == []


def test_permanent_refusal_waits_for_engineer_without_blocking_the_rest(
    central_sim, central_client, store, store_path, secret, tmp_path
):
    policy = OfflinePolicy.from_config(Offline())
    no_such_booking = check_in_payload("B-NO-SUCH", None)
    bad = enqueue_offline(store, policy, CHECK_IN, no_such_booking, patient_id="P0007")
    after = _top_up(store, "P0007", 500, policy)  # same patient, queued after the bad one
    other = _top_up(store, "P0008", 700, policy)
    worker = _worker(store_path, secret, central_client, tmp_path)
    assert worker.drain(timeout_s=20)
    worker.close()
    assert store.outbox.status_of(bad.client_ref) == State.NEEDS_ATTENTION
    assert "not_found" in store.outbox.get(bad.id).last_error
    assert store.outbox.status_of(after.client_ref) == State.CONFIRMED
    assert store.outbox.status_of(other.client_ref) == State.CONFIRMED


def test_unknown_outcome_is_looked_up_and_applied_once(
    central_sim, store, store_path, secret, tmp_path
):
    from central_sim import DEMO_SECRET
    from kiosk.central.client import CentralClient

    impatient = CentralClient(central_sim.url, TERMINAL, DEMO_SECRET, timeout_s=0.3)
    item = _top_up(store, "P0009", 1200)
    central_sim.set_faults(latency_ms=1500)  # applied, but the answer comes too late
    worker = _worker(store_path, secret, impatient, tmp_path)
    worker.start()
    try:
        assert _wait(lambda: store.outbox.get(item.id).needs_lookup, 15)
        assert store.outbox.status_of(item.client_ref) == State.SENDING
        central_sim.set_faults()
        assert _wait(lambda: store.outbox.status_of(item.client_ref) == State.CONFIRMED, 15)
    finally:
        worker.stop()
        impatient.close()
    events = [e.event for e in store.journal.entries(client_ref=item.client_ref)]
    assert "reconciled" in events
    assert disagreements(store, Path(central_sim.store.path), TERMINAL) == []


def test_rows_past_key_retention_are_reconciled_never_resent(
    central_sim, central_client, store, store_path, secret, tmp_path
):
    lost = _top_up(store, "P0010", 300)
    applied = _top_up(store, "P0011", 400)
    # the platform applied `applied`, and the kiosk died before recording it
    assert CentralForwarder(central_client).send(applied).answer["status"] == "fulfilled"
    month_later = store.clock() + timedelta(days=31)
    worker = _worker(store_path, secret, central_client, tmp_path, clock=lambda: month_later)
    assert worker.drain(timeout_s=20)
    worker.close()
    assert store.outbox.status_of(applied.client_ref) == State.CONFIRMED
    assert store.outbox.status_of(lost.client_ref) == State.NEEDS_ATTENTION
    assert "retention" in store.outbox.get(lost.id).last_error
    assert central_client.find_order_by_client_ref(lost.client_ref) is None  # never resent
    assert disagreements(store, Path(central_sim.store.path), TERMINAL) == []


def test_only_one_forwarder_holds_the_lock(store_path, secret, central_client, tmp_path):
    first = _worker(store_path, secret, central_client, tmp_path)
    second = _worker(store_path, secret, central_client, tmp_path)
    assert first.take_lock()
    assert not second.take_lock()
    first.close()
    assert second.take_lock()
    second.close()


@pytest.mark.timeout(90)
def test_second_forwarder_process_sends_nothing_twice(
    central_sim, store, store_path, key_file, tmp_path
):
    from central_sim import DEMO_SECRET

    stop = tmp_path / "stop"
    logs = [tmp_path / "sent-a.log", tmp_path / "sent-b.log"]
    common = {
        "--url": central_sim.url,
        "--secret": DEMO_SECRET.decode(),
        "--store": str(store_path),
        "--key-file": str(key_file),
        "--lock": str(tmp_path / "forwarder.lock"),
        "--stop": str(stop),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.store.forwarder_proc", "--log", str(log)]
            + [part for option in common.items() for part in option],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for log in logs
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "started"
        refs = [_top_up(store, f"P{12 + n % 8:04d}", 100).client_ref for n in range(60)]
        first_done = _wait(lambda: _all_confirmed(store, refs), 40)
        senders = [proc for proc, log in zip(procs, logs, strict=True) if log.exists()]
        assert len(senders) == 1  # the lock: only one of the two ever sent
        senders[0].kill()  # the forwarder dies; the other one takes over
        senders[0].wait(timeout=30)
        refs += [_top_up(store, f"P{12 + n % 8:04d}", 100).client_ref for n in range(20)]
        second_done = _wait(lambda: _all_confirmed(store, refs), 40)
    finally:
        stop.touch()
        for proc in procs:
            proc.wait(timeout=30)
    assert first_done and second_done, store.outbox.counts()
    sent = [line for log in logs if log.exists() for line in log.read_text().split()]
    assert sorted(sent) == sorted(refs)  # every row sent, none by both, none twice
    assert all(log.exists() for log in logs)  # the standby did send after the takeover
    assert disagreements(store, Path(central_sim.store.path), TERMINAL) == []


def test_back_off_grows_exponentially_with_jitter_and_a_cap():
    import random

    backoff, rng = Backoff(base_s=1.0, cap_s=60.0), random.Random(7)
    delays = [[backoff.delay_s(attempt, rng) for _ in range(50)] for attempt in range(10)]
    for attempt, samples in enumerate(delays):
        ceiling = min(60.0, 2.0**attempt)
        assert all(ceiling / 2 <= d <= ceiling for d in samples)
        assert len(set(samples)) > 40  # jittered: retries of many kiosks do not align
    assert max(delays[9]) <= 60.0
