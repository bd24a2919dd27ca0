"""The sync worker: forwards the outbox to the platform, one forwarder at a time.

It talks to the platform only through a small `Forwarder` protocol, so it is
tested against the real simulator (kiosk.offline_central.CentralForwarder) and
any other platform operator can be plugged in:

- `send(item)`: send one outbox row with its own idempotency key →
  Confirmed | Rejected (permanently) | RetryLater | Unknown (may have been applied).
- `lookup(item)`: ask the platform by client reference → Confirmed | Rejected |
  Absent (definitely not applied) | RetryLater.
- `heartbeat()`: True when the platform answers.

Rules (issue 5): an exclusive file lock, so a second kiosk process never sends
the same row; rows of one patient in creation order; exponential back-off with
jitter; pause while the platform is down and resume when a heartbeat succeeds;
a permanent rejection does not block the rest; rows left *sending* by a dead
process are resent with the same key; rows older than the platform's key
retention are never resent, only reconciled by client reference.

Outcomes are settled a batch at a time (one commit for up to `batch` rows, at
least every `settle_after_s`). That is safe because of the rule above: a row whose
answer was not yet committed when the kiosk died is still *sending*, and goes out
again with the same key, and the platform answers it without applying it twice.
The crash test kills the kiosk in exactly that window.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from offline_store import (
    Attention,
    Confirm,
    OfflineStore,
    OutboxItem,
    Reject,
    Retry,
    Settlement,
    State,
)

log = logging.getLogger(__name__)

DEFAULT_KEY_RETENTION = timedelta(days=30)  # the platform keeps idempotency keys this long
RETENTION_MARGIN = timedelta(days=1)  # resend only well inside the retention window
ERROR_PAUSE_S = 1.0


@dataclass(frozen=True)
class Confirmed:
    answer: Mapping[str, Any]


@dataclass(frozen=True)
class Rejected:
    code: str
    message: str


@dataclass(frozen=True)
class RetryLater:
    """Not applied (or refused for now): try again later. platform_down pauses the worker."""

    reason: str
    platform_down: bool = False


@dataclass(frozen=True)
class Unknown:
    """The request may have been applied: look it up by client reference before resending."""

    reason: str
    platform_down: bool = False


@dataclass(frozen=True)
class Absent:
    """The platform has no record of the client reference: it was never applied."""


SendOutcome = Confirmed | Rejected | RetryLater | Unknown
LookupOutcome = Confirmed | Rejected | Absent | RetryLater


class Forwarder(Protocol):
    def send(self, item: OutboxItem) -> SendOutcome: ...

    def lookup(self, item: OutboxItem) -> LookupOutcome: ...

    def heartbeat(self) -> bool: ...


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with jitter: base·2^n capped, scaled by a random factor in [½, 1]."""

    base_s: float = 1.0
    cap_s: float = 300.0

    def delay_s(self, attempts: int, rng: random.Random) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(attempts, 30))
        return ceiling * rng.uniform(0.5, 1.0)


@dataclass
class SyncStatus:
    online: bool = True
    last_error: str = ""
    forwarded: int = 0
    holding_lock: bool = False
    paused_since: float | None = field(default=None, repr=False)


class ForwarderLock:
    """An exclusive flock on a file next to the store; the kernel drops it if we die."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


class SyncWorker:
    """Forwards outbox rows. Use either `start()` (own thread) or `drain()`/`step()` from one
    thread, not both: the worker opens its own store connection on the thread that uses it."""

    def __init__(
        self,
        open_store: Callable[[], OfflineStore],
        forwarder: Forwarder,
        lock_path: str | Path,
        *,
        key_retention: timedelta = DEFAULT_KEY_RETENTION,
        backoff: Backoff = Backoff(),
        heartbeat: Backoff = Backoff(base_s=0.2, cap_s=2.0),
        batch: int = 32,
        settle_after_s: float = 0.1,
        rng: random.Random | None = None,
        on_update: Callable[[OutboxItem, State], None] | None = None,
    ) -> None:
        self._open_store = open_store
        self._forwarder = forwarder
        self._lock = ForwarderLock(lock_path)
        self._resend_limit = key_retention - RETENTION_MARGIN
        self._backoff = backoff
        self._heartbeat = heartbeat
        self._batch = batch
        self._settle_after_s = settle_after_s
        self._rng = rng or random.Random()
        self._on_update = on_update
        self._store: OfflineStore | None = None
        self._heartbeats_failed = 0
        self._next_heartbeat = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.status = SyncStatus()

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sync-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    def close(self) -> None:
        self._lock.release()
        self.status.holding_lock = False
        if self._store is not None:
            self._store.close()
            self._store = None

    def take_lock(self) -> bool:
        """Become the forwarder. On success, rows a dead forwarder left *sending* are due now."""
        if self._lock.held:
            return True
        if not self._lock.acquire():
            return False
        self.status.holding_lock = True
        released = self._store_().outbox.release_for_restart()
        if released:
            log.info("resending %d row(s) left in flight by the previous run", released)
        return True

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Forward until nothing is due (True) or the timeout passes (False)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.take_lock():
                time.sleep(0.05)
                continue
            if self.step():
                continue
            if self.status.online and not self._due_now():
                return True
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        return False

    def step(self) -> int:
        """One turn: a heartbeat while paused, else one batch. Returns rows resolved or tried."""
        if not self.take_lock():
            return 0
        if not self.status.online:
            self._try_heartbeat()
            return 0
        items = self._store_().outbox.claim(self._batch)
        return self._process(items)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.step()
            except Exception:  # e.g. the disk is full: keep the kiosk up, try again shortly
                log.exception("sync worker turn failed; retrying in %.0f s", ERROR_PAUSE_S)
                self._reopen_store()
                self._stop.wait(ERROR_PAUSE_S)
                continue
            if not worked:
                self._wake.wait(self._idle_wait_s())
                self._wake.clear()
        self.close()

    def _reopen_store(self) -> None:
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()
            self._store = None

    def _idle_wait_s(self) -> float:
        if not self._lock.held:
            return 1.0
        if not self.status.online:
            return max(0.01, self._next_heartbeat - time.monotonic())
        due = self._store_().outbox.next_due_at()
        if due is None:
            return 1.0
        return min(1.0, max(0.01, (due - self._now()).total_seconds()))

    # -- one batch -------------------------------------------------------------------------

    def _process(self, items: list[OutboxItem]) -> int:
        """Forward a claimed batch; outcomes are settled together (group commit), at the
        latest every `settle_after_s`, so a receipt waits at most that long."""
        held_patients: set[str] = set()
        settled: list[tuple[OutboxItem, Settlement]] = []
        first_at = 0.0
        done = 0
        for item in items:
            if self._stop.is_set() or not self.status.online:
                break  # the rest stays due, same key, for the next turn
            if item.patient_key in held_patients:
                continue  # an earlier row of this patient must go first
            settlement = self._forward(item)
            settled.append((item, settlement))
            if isinstance(settlement, Retry):
                held_patients.add(item.patient_key)
            first_at = first_at or time.monotonic()
            if time.monotonic() - first_at >= self._settle_after_s:
                self._settle(settled)
                settled, first_at = [], 0.0
            done += 1
        self._settle(settled)
        return done

    def _settle(self, settled: list[tuple[OutboxItem, Settlement]]) -> None:
        if not settled:
            return
        states = self._store_().outbox.settle([settlement for _, settlement in settled])
        for (item, _), state in zip(settled, states, strict=True):
            if state == State.CONFIRMED:
                self.status.forwarded += 1
            if state not in (State.PENDING, State.SENDING):
                self._notify(item, state)

    def _forward(self, item: OutboxItem) -> Settlement:
        """Decide one row's outcome (recorded by the caller, with its batch)."""
        if self._now() - item.created_at > self._resend_limit:
            return self._reconcile_old(item)
        if item.needs_lookup:
            found = self._forwarder.lookup(item)
            if not isinstance(found, Absent):
                return self._settlement(item, found, event="reconciled")
        return self._settlement(item, self._forwarder.send(item))

    def _reconcile_old(self, item: OutboxItem) -> Settlement:
        """Past key retention a resend could apply twice: only look it up."""
        found = self._forwarder.lookup(item)
        if isinstance(found, Absent):
            reason = (
                "older than the platform's idempotency-key retention and not found by client "
                "reference; not resent automatically (engineer: check and retry or refund)"
            )
            return Attention(item.id, reason)
        return self._settlement(item, found, event="reconciled")

    def _settlement(
        self, item: OutboxItem, outcome: SendOutcome | LookupOutcome, event: str = "confirmed"
    ) -> Settlement:
        if isinstance(outcome, Confirmed):
            return Confirm(item.id, outcome.answer, event)
        if isinstance(outcome, Rejected):
            log.warning("%s %s rejected: %s", item.type, item.client_ref, outcome.code)
            return Reject(item.id, outcome.code, outcome.message)
        maybe_applied = isinstance(outcome, Unknown) or item.needs_lookup
        if outcome.platform_down:
            self._pause(outcome.reason)
            when = self._now()  # due again as soon as the platform is back
        else:
            when = self._now() + timedelta(seconds=self._backoff.delay_s(item.attempts, self._rng))
        self.status.last_error = outcome.reason
        return Retry(item.id, outcome.reason, when, maybe_applied)

    # -- platform up / down ----------------------------------------------------------------

    def _pause(self, reason: str) -> None:
        if self.status.online:
            log.warning("platform unreachable, pausing the outbox: %s", reason)
        self.status.online = False
        self.status.paused_since = self.status.paused_since or time.monotonic()
        self._heartbeats_failed = 0
        self._next_heartbeat = time.monotonic() + self._heartbeat.delay_s(0, self._rng)

    def _try_heartbeat(self) -> None:
        if time.monotonic() < self._next_heartbeat:
            return
        if self._forwarder.heartbeat():
            log.info("platform reachable again, resuming the outbox")
            self.status.online, self.status.paused_since = True, None
            return
        self._heartbeats_failed += 1
        delay = self._heartbeat.delay_s(self._heartbeats_failed, self._rng)
        self._next_heartbeat = time.monotonic() + delay

    # -- helpers ---------------------------------------------------------------------------

    def _store_(self) -> OfflineStore:
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def _now(self) -> datetime:
        return self._store_().clock()

    def _due_now(self) -> bool:
        due = self._store_().outbox.next_due_at()
        return due is not None and due <= self._now()

    def _notify(self, item: OutboxItem, state: State) -> None:
        if self._on_update is not None:
            self._on_update(item, state)


def wait_until_resolved(
    store: OfflineStore, client_ref: str, timeout_s: float, poll_s: float = 0.05
) -> State:
    """Wait (off the GUI thread) until a row leaves pending/sending, or the timeout passes.

    Returns the state then: a receipt printed after a timeout says "pending confirmation".
    """
    deadline = time.monotonic() + timeout_s
    while True:
        state = store.outbox.status_of(client_ref)
        if state not in (State.PENDING, State.SENDING) or time.monotonic() >= deadline:
            return state
        time.sleep(poll_s)
