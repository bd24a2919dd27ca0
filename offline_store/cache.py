"""Reference data cache (hospitals, departments, doctors, sessions, today's appointments).

Every entry keeps its fetch time, so a screen serving from the cache can say
"as of 10:42". Entries about a patient are stored encrypted and under a keyed
hash of the patient's identifier, never under the identifier itself.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from offline_store.crypto import TerminalKeys
from offline_store.db import from_text, to_text, utc_now, write_transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    sealed BLOB,
    fetched_at TEXT NOT NULL,
    expires_at TEXT,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS cache_expiry ON cache (expires_at) WHERE expires_at IS NOT NULL;
"""


@dataclass(frozen=True)
class Cached:
    value: Any
    fetched_at: datetime

    def age_s(self, now: datetime) -> float:
        return (now - self.fetched_at).total_seconds()


class Cache:
    def __init__(
        self, conn: sqlite3.Connection, keys: TerminalKeys, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._conn = conn
        self._keys = keys
        self._clock = clock

    def put(
        self,
        kind: str,
        key: str,
        value: Any,
        *,
        personal: bool = False,
        fetched_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> None:
        """Store `value` (JSON) as fetched at `fetched_at` (default now), replacing any older one.

        personal=True: the value is encrypted and `key` is stored as a keyed hash.
        """
        fetched_at = fetched_at or self._clock()
        stored_key, clear, sealed = self._seal(kind, key, value, personal)
        with write_transaction(self._conn):
            self._conn.execute(
                "INSERT INTO cache (kind, key, value, sealed, fetched_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(kind, key) DO UPDATE SET"
                " value = excluded.value, sealed = excluded.sealed,"
                " fetched_at = excluded.fetched_at, expires_at = excluded.expires_at",
                (kind, stored_key, clear, sealed, to_text(fetched_at),
                 to_text(expires_at) if expires_at else None),
            )  # fmt: skip

    def get(self, kind: str, key: str, *, personal: bool = False) -> Cached | None:
        """The cached value and its fetch time; None when absent or expired."""
        stored_key = self._keys.match_hash(f"cache:{kind}", key) if personal else key
        row = self._conn.execute(
            "SELECT value, sealed, fetched_at, expires_at FROM cache WHERE kind = ? AND key = ?",
            (kind, stored_key),
        ).fetchone()
        if row is None:
            return None
        clear, sealed, fetched_at, expires_at = row
        if expires_at and from_text(expires_at) <= self._clock():
            return None
        value = self._keys.decrypt_json(sealed, f"cache:{kind}") if sealed else json.loads(clear)
        return Cached(value, from_text(fetched_at))

    def kinds(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT kind, COUNT(*) FROM cache GROUP BY kind"))

    def purge_expired(self) -> int:
        """Drop expired entries (e.g. yesterday's appointments): nothing personal lingers."""
        with write_transaction(self._conn):
            cursor = self._conn.execute(
                "DELETE FROM cache WHERE expires_at IS NOT NULL AND expires_at <= ?",
                (to_text(self._clock()),),
            )
        return cursor.rowcount

    def _seal(self, kind: str, key: str, value: Any, personal: bool):
        if personal:
            stored_key = self._keys.match_hash(f"cache:{kind}", key)
            return stored_key, None, self._keys.encrypt_json(value, f"cache:{kind}")
        return key, json.dumps(value, ensure_ascii=False), None
