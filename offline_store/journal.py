"""Append-only journal of transaction events, chained by keyed hashes.

Each row stores the hash of the row before it (`prev_hash`) and its own hash, an
HMAC over its content and `prev_hash` with a key derived from the terminal
secret. Without the key nobody can rewrite a row and fix the chain after it, so
`verify()` names any row that was edited, deleted or moved.

Rows deleted at the very end leave no broken link; they are caught by the
cross-check in `OfflineStore.verify_journal`: every outbox row records the
sequence number of its latest journal event, which must still be there.
"""

from __future__ import annotations

import hmac
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from offline_store.db import from_text, to_text

GENESIS = "0" * 64
_DETAIL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
encode_detail = _DETAIL_JSON.encode  # an event's detail as stored (and hashed)

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    outbox_id INTEGER,
    client_ref TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
"""


class StaleHead(Exception):
    """Another process appended since our last commit; the transaction is retried."""


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    at: datetime
    event: str
    outbox_id: int | None
    client_ref: str | None
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class Problem:
    """One finding of `verify`: the row it concerns and what happened to it."""

    seq: int
    kind: str  # edited | deleted | reordered | truncated | missing_event
    message: str


def _field(value: object) -> str:
    """One field of a row's hashed content: length-prefixed, so no two rows serialise alike."""
    if value is None:
        return "-;"
    text = str(value)
    return f"{len(text)}:{text};"


def _row_hash(
    mac: hmac.HMAC,
    at: str,
    event: str,
    outbox_id: int | None,
    client_ref: str | None,
    detail: str,
    prev: str,
) -> str:
    """HMAC over (at, event, outbox_id, client_ref, detail, prev_hash), each field as
    `_field` writes it. Every append pays for this, so the text fields (never None) are
    written out in one f-string, and `mac` (keyed once) is copied rather than re-keyed."""
    content = (
        f"{len(at)}:{at};{len(event)}:{event};{_field(outbox_id)}{_field(client_ref)}"
        f"{len(detail)}:{detail};{len(prev)}:{prev};"
    )
    row_mac = mac.copy()
    row_mac.update(content.encode())
    return row_mac.hexdigest()


class Journal:
    """Writes go inside the caller's write transaction, so an event and its outbox change
    are committed together."""

    def __init__(self, conn: sqlite3.Connection, key: bytes) -> None:
        self._conn = conn
        self._inserts = conn.cursor()  # reused for every append: one object fewer per row
        self._mac = hmac.new(key, digestmod="sha256")  # keyed once; copied for each row
        # The head as of our last commit. If another process appended since, our next
        # INSERT collides on `seq` (rows are never deleted) and the caller retries.
        self._cached: tuple[int, str] | None = None
        self._pending: tuple[int, str] | None = None

    def head(self) -> tuple[int, str]:
        """(sequence number, hash) of the last row; (0, GENESIS) when empty."""
        if self._cached is not None:
            return self._cached
        row = self._conn.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def append(
        self,
        event: str,
        at: datetime | str,
        outbox_id: int | None = None,
        client_ref: str | None = None,
        detail: Mapping[str, Any] | None = None,
        head: tuple[int, str] | None = None,
    ) -> tuple[int, str]:
        """Append one event after `head` (default: the current last row); return the new head.

        Must be called inside `write_transaction`, so nothing else appends in between.
        """
        at_text = at if isinstance(at, str) else to_text(at)
        return self.append_encoded(
            event, at_text, outbox_id, client_ref, encode_detail(detail or {}), head or self.head()
        )

    def append_encoded(
        self,
        event: str,
        at_text: str,
        outbox_id: int | None,
        client_ref: str | None,
        detail_text: str,
        head: tuple[int, str],
    ) -> tuple[int, str]:
        """`append` with the time and detail already in their stored form (`to_text`,
        `encode_detail`) and the head given: the enqueue path prepares them in advance."""
        last_seq, prev = head
        seq = last_seq + 1
        digest = _row_hash(self._mac, at_text, event, outbox_id, client_ref, detail_text, prev)
        try:
            self._inserts.execute(
                "INSERT INTO journal (seq, at, event, outbox_id, client_ref, detail, prev_hash,"
                " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, at_text, event, outbox_id, client_ref, detail_text, prev, digest),
            )
        except sqlite3.IntegrityError as exc:
            self._cached = None
            raise StaleHead(f"journal row {seq} exists: another process appended") from exc
        self._pending = (seq, digest)
        return self._pending

    def committed(self) -> None:
        """The transaction holding our appends committed: our last append is the head."""
        if self._pending is not None:
            self._cached, self._pending = self._pending, None

    def rolled_back(self) -> None:
        self._cached = self._pending = None

    def entries(self, client_ref: str | None = None, limit: int = 1000) -> list[JournalEntry]:
        """The latest events, or those of one transaction (with the batch events naming it)."""
        if client_ref is None:
            sql, args = "SELECT * FROM journal ORDER BY seq DESC LIMIT ?", (limit,)
        else:
            sql = (
                "SELECT * FROM journal WHERE client_ref = ? OR (client_ref IS NULL AND"
                " instr(detail, ?) > 0) ORDER BY seq DESC LIMIT ?"
            )
            args = (client_ref, json.dumps(client_ref), limit)
        rows = self._conn.execute(sql, args).fetchall()
        return [
            JournalEntry(r[0], from_text(r[1]), r[2], r[3], r[4], json.loads(r[5]))
            for r in reversed(rows)
        ]

    def verify(self) -> list[Problem]:
        """Walk the chain and name every row that was edited, deleted or moved."""
        rows = self._conn.execute(
            "SELECT seq, at, event, outbox_id, client_ref, detail, prev_hash, hash"
            " FROM journal ORDER BY seq"
        ).fetchall()
        known_hashes = {row[7]: row[0] for row in rows}
        problems: list[Problem] = []
        prev_seq, prev_hash = 0, GENESIS
        for seq, at, event, outbox_id, client_ref, detail, prev, digest in rows:
            # str(): a tampered cell may hold a number or a blob; it must fail, not crash
            expected = _row_hash(
                self._mac, str(at), str(event), outbox_id, client_ref, str(detail), str(prev)
            )
            if not hmac.compare_digest(expected, str(digest)):
                problems.append(
                    Problem(seq, "edited", f"row {seq}: edited (content does not match its hash)")
                )
            elif prev != prev_hash:
                problems.append(_link_problem(seq, prev_seq, prev, known_hashes))
            prev_seq, prev_hash = seq, digest
        return problems


def _link_problem(seq: int, prev_seq: int, prev: str, known_hashes: dict[str, int]) -> Problem:
    """The row's own hash is intact but it does not follow the row before it."""
    original_prev = known_hashes.get(prev)
    if original_prev is not None:
        return Problem(
            seq,
            "reordered",
            f"row {seq}: out of order (it was written after row {original_prev}, "
            f"now follows row {prev_seq})",
        )
    return Problem(seq, "deleted", f"row(s) deleted between row {prev_seq} and row {seq}")
