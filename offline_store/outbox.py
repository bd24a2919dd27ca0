"""The outbox: every transaction is written here, durably, before the platform is called.

States: pending → sending → confirmed | rejected | needs_attention.

- *pending*: written, not yet handed to the platform (or known not to have reached it).
- *sending*: handed to the platform, answer not recorded yet; it may or may not have
  been applied there, so it is only ever re-sent with the same idempotency key.
- *confirmed*: the platform's answer is stored.
- *rejected*: the platform refused it while the patient was being served (online).
- *needs_attention*: an engineer must act: refused after the patient left (offline),
  or too old to resend and not found by client reference.

Open rows (pending, sending) are reached through partial indexes, so the hot path
costs the same with 100 or 100,000 confirmed rows of history.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from offline_store.crypto import TerminalKeys, random_bytes
from offline_store.db import from_text, to_text, utc_now
from offline_store.errors import DuplicateTransaction, InvalidTransaction, NotFound
from offline_store.journal import Journal, StaleHead, encode_detail


class State(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    NEEDS_ATTENTION = "needs_attention"


OPEN_STATES = (State.PENDING, State.SENDING)
_OPEN_SQL = "state IN ('pending', 'sending')"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    payload BLOB NOT NULL,
    idempotency_key TEXT NOT NULL,
    client_ref TEXT NOT NULL UNIQUE,
    card_ref TEXT,
    patient_key TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
    offline INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    state TEXT NOT NULL,
    needs_lookup INTEGER NOT NULL DEFAULT 0,
    answer TEXT,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    journal_seq INTEGER NOT NULL DEFAULT 0
);
-- The hot path: open rows only, in creation order, covering the backlog figures. Each
-- index is one more page per commit, so the open set has exactly one.
CREATE INDEX IF NOT EXISTS outbox_open
    ON outbox (id, offline, created_at, amount_fen) WHERE {_OPEN_SQL};
CREATE INDEX IF NOT EXISTS outbox_card ON outbox (card_ref, id) WHERE card_ref IS NOT NULL;
"""

_INSERT_OUTBOX = (
    "INSERT INTO outbox (type, payload, idempotency_key, client_ref, card_ref, patient_key,"
    " amount_fen, offline, created_at, next_attempt_at, state, updated_at, journal_seq)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

_COLUMNS = (
    "id, type, payload, idempotency_key, client_ref, card_ref, patient_key, amount_fen, "
    "offline, created_at, attempts, next_attempt_at, state, needs_lookup, answer, "
    "last_error, updated_at, journal_seq"
)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    type: str
    payload: Mapping[str, Any]  # decrypted; may hold personal data: never log it whole
    idempotency_key: str
    client_ref: str
    card_ref: str | None  # keyed hash of the card number
    patient_key: str  # keyed hash; rows of one patient are sent in creation order
    amount_fen: int
    offline: bool
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    state: State
    needs_lookup: bool  # an earlier send's outcome is unknown: look up by client_ref first
    answer: Mapping[str, Any] | None
    last_error: str | None
    updated_at: datetime


def _new_item(**fields: Any) -> OutboxItem:
    """An OutboxItem built without the frozen dataclass's `__init__`, which sets each of
    the 17 fields through `object.__setattr__` and costs more than the rest of an
    enqueue's Python work. The result is the same frozen object; the tests check that
    every item the outbox returns has exactly the dataclass's fields."""
    item = object.__new__(OutboxItem)
    item.__dict__.update(fields)
    return item


@dataclass(frozen=True)
class Backlog:
    """Open (not yet forwarded) rows: what the offline limits and engineers look at."""

    count: int
    total_fen: int
    oldest_created_at: datetime | None

    def oldest_age_s(self, now: datetime) -> float:
        return (now - self.oldest_created_at).total_seconds() if self.oldest_created_at else 0.0


@dataclass(frozen=True)
class Confirm:
    """The platform's answer is in: confirmed (event "reconciled" when found by lookup)."""

    row_id: int
    answer: Mapping[str, Any]
    event: str = "confirmed"


@dataclass(frozen=True)
class Reject:
    """A permanent refusal; offline rows (the patient has left) need an engineer."""

    row_id: int
    code: str
    message: str


@dataclass(frozen=True)
class Attention:
    """Not resendable and not found: an engineer decides."""

    row_id: int
    reason: str


@dataclass(frozen=True)
class Retry:
    """Try again at next_attempt_at with the same key; maybe_applied: look it up first."""

    row_id: int
    reason: str
    next_attempt_at: datetime
    maybe_applied: bool


Settlement = Confirm | Reject | Attention | Retry

Admission = Callable[[Backlog], None]  # raises to refuse; runs inside the enqueue transaction


_SCALARS = (str, int, bool, type(None))


def _check_no_float(value: Any, where: str) -> None:
    """Money is integer fen: a float anywhere in a payload is refused."""
    if type(value) in _SCALARS:
        return
    if isinstance(value, float):
        raise InvalidTransaction(f"{where} is a float; amounts are integer fen")
    if isinstance(value, dict | Mapping):
        for key, inner in value.items():
            if type(inner) not in _SCALARS:
                _check_no_float(inner, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            _check_no_float(inner, f"{where}[{index}]")


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_REF_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
_REF_SHAPE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_REF_RANDOM_BYTES = 5


def _enqueued_detail(tx_type: str, amount_fen: int, offline: bool) -> str:
    """The "enqueued" event's detail, as `encode_detail` writes {"type", "amount_fen",
    "offline"} (keys sorted), spelled out because it is built on every enqueue; a test
    reads it back for awkward type names."""
    type_json = _TYPE_JSON.get(tx_type)
    if type_json is None:  # a handful of transaction types, each encoded once
        if len(_TYPE_JSON) >= 256:
            _TYPE_JSON.clear()
        type_json = _TYPE_JSON[tx_type] = encode_detail(tx_type)
    flag = "true" if offline else "false"
    return f'{{"amount_fen": {amount_fen}, "offline": {flag}, "type": {type_json}}}'


_TYPE_JSON: dict[str, str] = {}


def _validate(tx_type: str, payload: Mapping[str, Any], amount_fen: int) -> None:
    if not isinstance(tx_type, str) or not tx_type.strip():
        raise InvalidTransaction("transaction type must be a non-empty string")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise InvalidTransaction(f"amount_fen must be an integer number of fen, got {amount_fen!r}")
    if amount_fen < 0:
        raise InvalidTransaction(f"amount_fen must not be negative, got {amount_fen}")
    if not isinstance(payload, Mapping):
        raise InvalidTransaction("payload must be a mapping")
    _check_no_float(payload, "payload")


def _retry_on_stale_head(method):
    """Another process appended to the journal since our last write: redo it once, afresh."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except StaleHead:
            return method(self, *args, **kwargs)

    return wrapper


class _JournalledCommit:
    """One durable commit (`BEGIN IMMEDIATE` … `COMMIT`, as `write_transaction`) that also
    keeps the journal's cached head true to what was committed. It runs on every write, so
    it does the work itself rather than wrapping `write_transaction`."""

    __slots__ = ("_conn", "_journal")

    def __init__(self, conn: sqlite3.Connection, journal: Journal) -> None:
        self._conn = conn
        self._journal = journal

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self._journal.rolled_back()
            if self._conn.in_transaction:  # some errors (disk full) end it already
                self._conn.execute("ROLLBACK")
            return False
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            self._journal.rolled_back()
            if self._conn.in_transaction:  # SQLite keeps some failed COMMITs open
                self._conn.execute("ROLLBACK")
            raise
        self._journal.committed()
        return False


class Outbox:
    def __init__(
        self,
        conn: sqlite3.Connection,
        keys: TerminalKeys,
        journal: Journal,
        clock: Callable[[], datetime] = utc_now,
        ref_prefix: str = "K",
    ) -> None:
        self._conn = conn
        self._inserts = conn.cursor()  # reused by the enqueue path: one object fewer per call
        self._keys = keys
        self._journal = journal
        self._clock = clock
        # client references travel to the platform: letters, digits and ._:- only
        self._ref_prefix = _REF_UNSAFE.sub("_", ref_prefix)[:32] or "K"
        self._ref_head = ("", "")  # (UTC day, "PREFIX-YYYYMMDD-") of the last reference made

    # -- writing ---------------------------------------------------------------------------

    def enqueue(
        self,
        tx_type: str,
        payload: Mapping[str, Any],
        *,
        amount_fen: int = 0,
        card_number: str | None = None,
        patient_id: str | None = None,
        client_ref: str | None = None,
        idempotency_key: str | None = None,
        offline: bool = False,
        admit: Admission | None = None,
        in_hand_for: timedelta | None = None,
    ) -> OutboxItem:
        """Write a transaction durably (one commit, with its journal event) and return it.

        `admit`, if given, sees the offline backlog inside the same transaction and may
        raise to refuse: then nothing is written.

        `in_hand_for`: the caller sends it itself right now (an online flow with the
        patient waiting). The row starts *sending* and the sync worker leaves it alone
        for that long; the caller then marks it confirmed or rejected, or `hand_over`s
        it to the worker when the outcome is unknown.
        """
        # Everything that can be prepared is prepared before the write lock is taken:
        # this runs once per patient action and its cost adds to every commit's fsync.
        _validate(tx_type, payload, amount_fen)
        if client_ref is not None and not _REF_SHAPE.match(client_ref):
            raise InvalidTransaction(
                f"client_ref {client_ref!r} must be 8-64 letters, digits or ._:- characters"
            )
        payload = dict(payload)  # our own copy: the caller may change theirs afterwards
        now = self._clock()
        now_text = to_text(now)
        fresh = random_bytes(16 + _REF_RANDOM_BYTES)  # the key's and the reference's
        client_ref = client_ref or self._client_ref_at(now_text, fresh[16:])
        idempotency_key = idempotency_key or fresh[:16].hex()
        card_ref = self._keys.match_hash("card", card_number) if card_number else None
        patient_key = self._patient_key(patient_id, card_ref, client_ref)
        try:
            sealed = self._keys.encrypt_json(payload, "outbox.payload")
        except (TypeError, ValueError) as exc:
            raise InvalidTransaction(f"payload is not JSON-serialisable: {exc}") from exc
        state, due, due_text = State.PENDING, now, now_text
        if in_hand_for is not None:
            state, due = State.SENDING, now + in_hand_for
            due_text = to_text(due)
        row = (tx_type, sealed, idempotency_key, client_ref, card_ref, patient_key, amount_fen,
               int(offline), now_text, due_text, state.value, now_text)  # fmt: skip
        detail = _enqueued_detail(tx_type, amount_fen, offline)
        try:
            row_id = self._insert_enqueued(row, detail, admit)
        except StaleHead:  # another connection appended since our last commit: once more
            row_id = self._insert_enqueued(row, detail, admit)
        return _new_item(
            id=row_id, type=tx_type, payload=payload, idempotency_key=idempotency_key,
            client_ref=client_ref, card_ref=card_ref, patient_key=patient_key,
            amount_fen=amount_fen, offline=offline, created_at=now, attempts=0,
            next_attempt_at=due, state=state, needs_lookup=False, answer=None,
            last_error=None, updated_at=now,
        )  # fmt: skip

    def _insert_enqueued(self, row: tuple, detail: str, admit: Admission | None) -> int:
        """The outbox row and its "enqueued" journal event, in one durable commit."""
        client_ref, now_text = row[3], row[8]
        with self._tx():
            if admit is not None:
                admit(self._backlog(offline_only=True))
            head = self._journal.head()
            try:
                row_id = self._inserts.execute(_INSERT_OUTBOX, (*row, head[0] + 1)).lastrowid
            except sqlite3.IntegrityError as exc:
                raise DuplicateTransaction(
                    f"client_ref {client_ref} is already queued; nothing was written"
                ) from exc
            self._journal.append_encoded("enqueued", now_text, row_id, client_ref, detail, head)
        return row_id

    @_retry_on_stale_head
    def claim(self, limit: int, scan_cap: int = 20_000) -> list[OutboxItem]:
        """Mark the next due rows as *sending* and return them, in creation order.

        A row waits while an earlier open row of the same patient is backing off, so
        one patient's transactions reach the platform in the order they were made.
        """
        now = self._clock()
        now_text = to_text(now)
        with self._tx():
            rows = self._due_rows(now_text, limit, scan_cap)
            if rows:
                ids = [row[0] for row in rows]
                marks = ", ".join("?" * len(ids))
                self._conn.execute(
                    f"UPDATE outbox SET state = 'sending', updated_at = ? WHERE id IN ({marks})",
                    (now_text, *ids),
                )
                # one event for the batch: the rows' own latest events stay the per-row record
                refs = [row[4] for row in rows]
                self._journal.append("sending", now, None, None, {"client_refs": refs})
        return [self._item(row, State.SENDING) for row in rows]

    def _due_rows(self, now_text: str, limit: int, scan_cap: int) -> list[tuple]:
        """Walk open rows in id order; a row not yet due blocks its patient's later rows."""
        blocked: set[str] = set()
        chosen: list[int] = []
        after, scanned, page_size = 0, 0, max(64, 2 * limit)
        while len(chosen) < limit and scanned < scan_cap:
            page = self._conn.execute(
                f"SELECT id, patient_key, next_attempt_at FROM outbox WHERE {_OPEN_SQL}"
                " AND id > ? ORDER BY id LIMIT ?",
                (after, page_size),
            ).fetchall()
            for row_id, patient_key, next_attempt_at in page:
                if patient_key in blocked:
                    continue
                if next_attempt_at > now_text:
                    blocked.add(patient_key)
                    continue
                chosen.append(row_id)
                if len(chosen) == limit:
                    break
            if len(page) < page_size:
                break
            after, scanned = page[-1][0], scanned + len(page)
        if not chosen:
            return []
        marks = ", ".join("?" * len(chosen))
        return self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE id IN ({marks}) ORDER BY id", chosen
        ).fetchall()

    def mark_confirmed(
        self, row_id: int, answer: Mapping[str, Any], event: str = "confirmed"
    ) -> None:
        self.settle([Confirm(row_id, answer, event)])

    def mark_rejected(self, row_id: int, code: str, message: str) -> State:
        """A permanent refusal. Offline rows (patient already gone) need an engineer."""
        return self.settle([Reject(row_id, code, message)])[0]

    def mark_needs_attention(self, row_id: int, reason: str) -> None:
        self.settle([Attention(row_id, reason)])

    def mark_retry(
        self, row_id: int, reason: str, next_attempt_at: datetime, *, maybe_applied: bool
    ) -> None:
        """The attempt failed; try again later with the same key.

        maybe_applied: the request may have reached the platform (timeout, bad reply),
        so the row stays *sending* and is looked up by client reference first.
        """
        self.settle([Retry(row_id, reason, next_attempt_at, maybe_applied)])

    @_retry_on_stale_head
    def settle(self, settlements: list[Settlement]) -> list[State]:
        """Record several rows' outcomes in one commit; returns each row's new state.

        The sync worker settles a batch at a time. If it dies first, the rows are still
        *sending* and go out again with the same keys: the platform answers them again
        without applying them twice.
        """
        now_text = to_text(self._clock())
        states = []
        with self._tx():
            head = self._journal.head()
            for settlement in settlements:
                head, state = self._apply(settlement, now_text, head)
                states.append(state)
        return states

    def hand_over(self, row_id: int, reason: str, *, maybe_applied: bool) -> None:
        """A caller that sent a row itself (`in_hand_for`) could not settle it: the sync
        worker takes over now, looking it up first if it may have been applied."""
        self.mark_retry(row_id, reason, self._clock(), maybe_applied=maybe_applied)

    def release_for_restart(self) -> int:
        """On start-up: every row left *sending* by a dead process is due now (same key)."""
        now_text = to_text(self._clock())
        with self._tx():
            cursor = self._conn.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE state = 'sending'", (now_text,)
            )
        return cursor.rowcount

    @_retry_on_stale_head
    def retry(self, row_id: int, new_key: bool = False) -> OutboxItem:
        """Engineer's retry: back to pending, due now, looked up by client reference first.

        new_key=True gives it a fresh idempotency key, for a row the platform refused
        outright (it would replay the same refusal to the old key); the platform's
        answer proves it applied nothing, so this cannot apply anything twice.
        """
        item = self.get(row_id)
        if item.state == State.CONFIRMED:
            raise InvalidTransaction(f"row {row_id} is already confirmed; nothing to retry")
        refused = item.answer is not None and "code" in item.answer
        if new_key and not refused:
            raise InvalidTransaction(
                f"row {row_id} has no refusal from the platform; it keeps its idempotency key"
            )
        key = uuid.uuid4().hex if new_key else item.idempotency_key
        now = self._clock()
        with self._tx():
            head = self._journal.head()
            self._conn.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ?,"
                " needs_lookup = 1, idempotency_key = ?, journal_seq = ? WHERE id = ?",
                (to_text(now), to_text(now), key, head[0] + 1, row_id),
            )
            self._journal.append(
                "retry_requested", now, row_id, item.client_ref,
                {"from_state": str(item.state), "new_key": new_key}, head,
            )  # fmt: skip
        return self.get(row_id)

    def journal_only(self, events: list[tuple[str, str | None, Mapping[str, Any]]]) -> None:
        """Events of no outbox row (event, client_ref, detail), in one commit.

        Another connection (another thread's store, another process) may have appended
        since this one last committed: then the commit is redone once on the journal's
        real head, read inside the write lock, so the second attempt cannot be stale."""
        if not events:
            return
        try:
            self._append_events(events)
        except StaleHead:
            self._append_events(events)

    def _append_events(self, events: list[tuple[str, str | None, Mapping[str, Any]]]) -> None:
        now_text = to_text(self._clock())
        with self._tx():
            head = self._journal.head()
            for event, client_ref, detail in events:
                head = self._journal.append(event, now_text, None, client_ref, detail, head)

    def _tx(self) -> _JournalledCommit:
        """One durable commit; the journal's cached head follows what was committed."""
        return _JournalledCommit(self._conn, self._journal)

    # -- reading ---------------------------------------------------------------------------

    def get(self, row_id: int) -> OutboxItem:
        sql = f"SELECT {_COLUMNS} FROM outbox WHERE id = ?"
        row = self._conn.execute(sql, (row_id,)).fetchone()
        if row is None:
            raise NotFound(f"no outbox row {row_id}")
        return self._item(row)

    def by_client_ref(self, client_ref: str) -> OutboxItem:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE client_ref = ?", (client_ref,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no outbox row with client reference {client_ref}")
        return self._item(row)

    def status_of(self, client_ref: str) -> State:
        """What a receipt may claim: confirmed, or still pending confirmation, or refused."""
        row = self._conn.execute(
            "SELECT state FROM outbox WHERE client_ref = ?", (client_ref,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no outbox row with client reference {client_ref}")
        return State(row[0])

    def by_card(self, card_number: str, limit: int = 20) -> list[OutboxItem]:
        """This card's latest transactions (for reprint), matched by keyed hash."""
        card_ref = self._keys.match_hash("card", card_number)
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE card_ref = ? ORDER BY id DESC LIMIT ?",
            (card_ref, limit),
        ).fetchall()
        return [self._item(row) for row in rows]

    def list(
        self, states: Iterable[State] | None = None, limit: int = 100, after_id: int = 0
    ) -> list[OutboxItem]:
        chosen = [str(s) for s in (states or list(State))]
        marks = ", ".join("?" for _ in chosen)
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE state IN ({marks}) AND id > ?"
            " ORDER BY id LIMIT ?",
            (*chosen, after_id, limit),
        ).fetchall()
        return [self._item(row) for row in rows]

    def backlog(self, offline_only: bool = False) -> Backlog:
        return self._backlog(offline_only)

    def counts(self) -> dict[State, int]:
        counts = dict.fromkeys(State, 0)
        for state, count in self._conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
            counts[State(state)] = count
        return counts

    def next_due_at(self) -> datetime | None:
        row = self._conn.execute(
            f"SELECT MIN(next_attempt_at) FROM outbox WHERE {_OPEN_SQL}"
        ).fetchone()
        return from_text(row[0])

    # -- helpers ---------------------------------------------------------------------------

    def new_client_ref(self, now: datetime) -> str:
        return self._client_ref_at(to_text(now), random_bytes(_REF_RANDOM_BYTES))

    def _client_ref_at(self, now_text: str, random: bytes) -> str:
        """PREFIX-YYYYMMDD-RANDOM, the day (UTC) read off the stored time text."""
        day, head = self._ref_head
        if now_text[:10] != day:  # "PREFIX-YYYYMMDD-" changes once a day
            day = now_text[:10]
            head = f"{self._ref_prefix}-{day[:4]}{day[5:7]}{day[8:10]}-"
            self._ref_head = day, head
        return head + random.hex().upper()

    def _patient_key(self, patient_id: str | None, card_ref: str | None, client_ref: str) -> str:
        if patient_id:
            return self._keys.match_hash("patient", patient_id)
        return card_ref or f"tx:{client_ref}"  # no patient known: orders only against itself

    def _backlog(self, offline_only: bool) -> Backlog:
        where = f"{_OPEN_SQL} AND offline = 1" if offline_only else _OPEN_SQL
        count, total, oldest = self._conn.execute(
            f"SELECT COUNT(*), COALESCE(SUM(amount_fen), 0), MIN(created_at) FROM outbox"
            f" WHERE {where}"
        ).fetchone()
        return Backlog(count, total, from_text(oldest))

    def _apply(
        self, settlement: Settlement, now_text: str, head: tuple[int, str]
    ) -> tuple[tuple[int, str], State]:
        """One row's outcome, inside the caller's transaction: its UPDATE and journal event."""
        if isinstance(settlement, Retry):
            return self._apply_retry(settlement, now_text, head), (
                State.SENDING if settlement.maybe_applied else State.PENDING
            )
        answer: Mapping[str, Any] | None = None
        error: str | None = None
        if isinstance(settlement, Confirm):
            state, event, answer = State.CONFIRMED, settlement.event, settlement.answer
        elif isinstance(settlement, Reject):
            state, event = self._rejected_state(settlement.row_id), "rejected"
            answer = {"code": settlement.code, "message": settlement.message}
            error = f"{settlement.code}: {settlement.message}"
        else:
            state, event, error = State.NEEDS_ATTENTION, "needs_attention", settlement.reason
        answer_text = _JSON.encode(answer) if answer is not None else None
        found = self._conn.execute(
            "UPDATE outbox SET state = ?, answer = COALESCE(?, answer), last_error = ?,"
            " needs_lookup = 0, updated_at = ?, journal_seq = ? WHERE id = ?"
            " RETURNING client_ref",
            (state, answer_text, error, now_text, head[0] + 1, settlement.row_id),
        ).fetchone()
        if found is None:
            raise NotFound(f"no outbox row {settlement.row_id}")
        detail = {"state": str(state)}
        return self._journal.append(
            event, now_text, settlement.row_id, found[0], detail, head
        ), state

    def _apply_retry(self, retry: Retry, now_text: str, head: tuple[int, str]) -> tuple[int, str]:
        state = State.SENDING if retry.maybe_applied else State.PENDING
        found = self._conn.execute(
            "UPDATE outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ?,"
            " needs_lookup = MAX(needs_lookup, ?), last_error = ?, updated_at = ?,"
            " journal_seq = ? WHERE id = ? RETURNING client_ref",
            (state, to_text(retry.next_attempt_at), int(retry.maybe_applied), retry.reason,
             now_text, head[0] + 1, retry.row_id),
        ).fetchone()  # fmt: skip
        if found is None:
            raise NotFound(f"no outbox row {retry.row_id}")
        detail = {"reason": retry.reason, "maybe_applied": retry.maybe_applied}
        return self._journal.append(
            "retry_scheduled", now_text, retry.row_id, found[0], detail, head
        )

    def _rejected_state(self, row_id: int) -> State:
        row = self._conn.execute("SELECT offline FROM outbox WHERE id = ?", (row_id,)).fetchone()
        if row is None:
            raise NotFound(f"no outbox row {row_id}")
        return State.NEEDS_ATTENTION if row[0] else State.REJECTED

    def _item(self, row: tuple, state: State | None = None) -> OutboxItem:
        return _new_item(
            id=row[0],
            type=row[1],
            payload=self._keys.decrypt_json(row[2], "outbox.payload"),
            idempotency_key=row[3],
            client_ref=row[4],
            card_ref=row[5],
            patient_key=row[6],
            amount_fen=row[7],
            offline=bool(row[8]),
            created_at=from_text(row[9]),
            attempts=row[10],
            next_attempt_at=from_text(row[11]),
            state=state or State(row[12]),
            needs_lookup=bool(row[13]),
            answer=json.loads(row[14]) if row[14] else None,
            last_error=row[15],
            updated_at=from_text(row[16]),
        )
