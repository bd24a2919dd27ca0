"""Opening the store's SQLite file: WAL, synchronous=FULL, checked, or refused.

Every write goes through `write_transaction`, a `BEGIN IMMEDIATE` transaction, so
a second kiosk process waits for the write lock instead of interleaving, and a
crash leaves either all of a transaction's rows or none.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from offline_store.errors import UnsafeDatabase

BUSY_TIMEOUT_MS = 30_000  # a second process waits this long for the write lock
_SYNCHRONOUS_FULL = 2


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_text(moment: datetime) -> str:
    """Times are stored as UTC ISO text of fixed shape, so text order is time order."""
    if moment.tzinfo is not UTC:  # the store's own clock is UTC already: skip the conversion
        if moment.tzinfo is None:
            raise ValueError("naive datetime: the store only accepts timezone-aware times")
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def from_text(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) a store file with the durability the outbox relies on."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: no implicit transactions; we BEGIN IMMEDIATE ourselves.
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    db = sqlite_utils.Database(conn)
    db.enable_wal()
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    check_durability(conn, path)
    return db


def check_durability(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse to run on a file that would not survive power loss."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        raise UnsafeDatabase(
            f"{path}: journal_mode is {mode!r}, not WAL (a network or read-only file system?); "
            "refusing to queue transactions"
        )
    sync = conn.execute("PRAGMA synchronous").fetchone()[0]
    if sync != _SYNCHRONOUS_FULL:
        raise UnsafeDatabase(f"{path}: synchronous is {sync}, not FULL; refusing to run")
    integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
    if integrity != "ok":
        raise UnsafeDatabase(f"{path}: SQLite quick_check failed: {integrity}")


class write_transaction:  # lower case: it reads like the `with` helper it is
    """One durable commit: everything inside is written together or not at all.

    A small class rather than a generator context manager: it runs on every write.
    """

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
        return False
