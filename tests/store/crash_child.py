"""Crash-test driver: forks kiosk processes that run cash top-ups and SIGKILLs them.

Run by tests/store/test_crash.py as its own process (`python -m tests.store.crash_child`).
This process imports everything once and never opens a connection itself, then for
each round forks a child (a kiosk restarting after a crash) that:

1. opens the store, takes the forwarder lock and drains what the last one left
   (rows left *sending* are resent with the same key);
2. checks the platform's ledger against the outbox (they must agree after each
   restart and drain);
3. runs top-ups: enqueue (durable), then forward, until it is killed.

Kills come two ways: this process SIGKILLs the child after a random delay, and the
child SIGKILLs itself at chosen moments, most importantly after the platform's
reply and before the local commit. At the end one clean child drains everything.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sys
import time
import traceback
from pathlib import Path

from kiosk.central.client import CentralClient
from kiosk.offline_central import CentralForwarder, cash_top_up_payload
from kiosk.sync import Backoff, SyncWorker
from offline_store import OfflineStore, OutboxItem
from tests.store.ledger import disagreements

TERMINAL_ID = "DEMO-0001"
PATIENTS = [f"P{n:04d}" for n in range(5, 21)]
EXIT_DISAGREE = 3


MOMENTS_FILE: Path | None = None


def die(moment: str) -> None:
    """SIGKILL ourselves, noting where (one short append, so the count survives us)."""
    if MOMENTS_FILE is not None:
        with MOMENTS_FILE.open("a") as out:
            out.write(moment + "\n")
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingForwarder:
    """Wraps the real forwarder; may SIGKILL this process at the worst moments."""

    def __init__(self, inner: CentralForwarder, rng: random.Random, p_after_reply: float):
        self._inner = inner
        self._rng = rng
        self._p_after_reply = p_after_reply

    def send(self, item: OutboxItem):
        outcome = self._inner.send(item)
        if self._rng.random() < self._p_after_reply:
            die("after_reply")  # the platform applied it; we never record it
        return outcome

    def lookup(self, item: OutboxItem):
        return self._inner.lookup(item)

    def heartbeat(self) -> bool:
        return self._inner.heartbeat()


def _open(args: argparse.Namespace) -> OfflineStore:
    return OfflineStore(args.store, Path(args.key_file).read_bytes(), ref_prefix="CRASH")


def _worker(args, rng: random.Random, p_after_reply: float) -> tuple[SyncWorker, CentralClient]:
    client = CentralClient(args.url, TERMINAL_ID, args.secret.encode(), timeout_s=5.0)
    forwarder = CrashingForwarder(CentralForwarder(client), rng, p_after_reply)
    worker = SyncWorker(
        lambda: _open(args), forwarder, args.lock, backoff=Backoff(0.01, 0.05), rng=rng
    )
    return worker, client


def top_up(store: OfflineStore, rng: random.Random) -> None:
    patient = rng.choice(PATIENTS)
    amount = rng.randint(1, 50) * 100
    payload = cash_top_up_payload(patient, amount)
    store.outbox.enqueue("cash_top_up", payload, amount_fen=amount, patient_id=patient)


def child(args: argparse.Namespace, seed: int, p_after_reply: float) -> None:
    """A kiosk process: restart, recover, check, then work until killed."""
    rng = random.Random(seed)
    worker, _client = _worker(args, rng, p_after_reply)
    if not worker.drain(timeout_s=60):
        os._exit(4)
    store = _open(args)
    problems = disagreements(store, Path(args.sim_db), TERMINAL_ID)
    if problems:
        Path(args.report).write_text(json.dumps(problems[:20]))
        os._exit(EXIT_DISAGREE)
    while True:
        top_up(store, rng)
        if rng.random() < 0.05:
            die("before_send")  # after the durable write, before sending
        worker.step()


def run_round(args: argparse.Namespace, rng: random.Random, p_after_reply: float) -> int:
    """Fork one child, kill it at a random moment; returns its wait status."""
    pid = os.fork()
    if pid == 0:
        try:
            child(args, rng.randrange(1 << 30), p_after_reply)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(5)
    time.sleep(rng.uniform(0.0, args.max_life_s))
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return status


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--key-file", required=True)
    parser.add_argument("--lock", required=True)
    parser.add_argument("--sim-db", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-life-s", type=float, default=0.4)
    args = parser.parse_args()
    global MOMENTS_FILE
    MOMENTS_FILE = Path(args.report).with_suffix(".moments")
    rng = random.Random(args.seed)
    kills = rounds = 0
    while kills < args.kills:
        rounds += 1
        status = run_round(args, rng, p_after_reply=0.1)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            kills += 1
        elif os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            print(json.dumps({"failed": True, "exit": code, "rounds": rounds, "kills": kills}))
            return 1
    # the last restart: no more kills, everything forwarded
    worker, client = _worker(args, rng, p_after_reply=0.0)
    drained = worker.drain(timeout_s=120)
    worker.close()
    client.close()
    moments = MOMENTS_FILE.read_text().split() if MOMENTS_FILE.exists() else []
    self_kills = {moment: moments.count(moment) for moment in set(moments)}
    summary = {"failed": not drained, "rounds": rounds, "kills": kills, "self_kills": self_kills}
    print(json.dumps(summary))
    return 0 if drained else 1


if __name__ == "__main__":
    sys.exit(main())
