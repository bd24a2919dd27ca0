"""The offline store: one SQLite file holding the outbox, the journal and the cache."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from offline_store import cache, journal, outbox
from offline_store.crypto import TerminalKeys
from offline_store.db import open_database, utc_now, write_transaction
from offline_store.errors import CannotDecrypt, UnsafeDatabase

SCHEMA_VERSION = 1
_KEY_CHECK = "lobby-kiosk offline store"

_META = """
CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_check BLOB NOT NULL
);
"""


class OfflineStore:
    """Open with the terminal secret (bytes from the terminal's secret store).

    Refuses to open (UnsafeDatabase) unless the file is in WAL mode with
    synchronous=FULL, and (CannotDecrypt) if the secret is not the one the file
    was created with.
    """

    def __init__(
        self,
        path: str | Path,
        secret: bytes,
        *,
        clock: Callable[[], datetime] = utc_now,
        ref_prefix: str = "K",
    ) -> None:
        self.path = Path(path)
        self.keys = TerminalKeys(secret)
        self.db = open_database(self.path)
        self.conn = self.db.conn
        self.clock = clock
        self._migrate()
        self.journal = journal.Journal(self.conn, self.keys.journal_key)
        self.outbox = outbox.Outbox(self.conn, self.keys, self.journal, clock, ref_prefix)
        self.cache = cache.Cache(self.conn, self.keys, clock)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> OfflineStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append_events(self, events: Iterable[tuple[str, str | None, Mapping[str, Any]]]) -> None:
        """Journal events that belong to no outbox row (event, client_ref, detail), all in
        one durable commit (e.g. a cash acceptor's progress). Never put personal data in
        `detail`.

        Safe beside other writers on the same file (another thread's store, another
        process): when one of them appended since this store's last commit, the commit is
        redone on the fresh journal head. Callers need no retry of their own."""
        self.outbox.journal_only(list(events))

    def verify_journal(self) -> list[journal.Problem]:
        """The chain check, plus: every outbox row has its journal events."""
        problems = self.journal.verify()
        problems.extend(self._missing_events())
        return problems

    def _missing_events(self) -> list[journal.Problem]:
        """Each outbox row names its latest journal event; deleting it (even at the end of
        the journal, where no link breaks) is caught here."""
        rows = self.conn.execute(
            "SELECT o.id, o.client_ref, o.state, o.journal_seq FROM outbox AS o"
            " LEFT JOIN journal AS j ON j.seq = o.journal_seq AND j.client_ref = o.client_ref"
            " WHERE j.seq IS NULL ORDER BY o.id"
        ).fetchall()
        return [
            journal.Problem(
                seq,
                "deleted",
                f"row {seq} deleted: it recorded outbox row {row_id} ({client_ref}) "
                f"becoming {state}",
            )
            for row_id, client_ref, state, seq in rows
        ]

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UnsafeDatabase(
                f"{self.path}: schema version {version} is newer than this kiosk ({SCHEMA_VERSION})"
            )
        if version < SCHEMA_VERSION:
            with write_transaction(self.conn):
                for script in (_META, outbox.SCHEMA, journal.SCHEMA, cache.SCHEMA):
                    for statement in filter(str.strip, script.split(";")):
                        self.conn.execute(statement)
                self.conn.execute(
                    "INSERT OR IGNORE INTO meta (id, key_check) VALUES (1, ?)",
                    (self.keys.encrypt_json(_KEY_CHECK, "meta.key_check"),),
                )
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._check_key()

    def _check_key(self) -> None:
        row = self.conn.execute("SELECT key_check FROM meta WHERE id = 1").fetchone()
        try:
            ok = row is not None and self.keys.decrypt_json(row[0], "meta.key_check") == _KEY_CHECK
        except CannotDecrypt:
            ok = False
        if not ok:
            raise CannotDecrypt(
                f"{self.path}: the terminal secret does not match the one this store was "
                "created with; refusing to open (nothing was changed)"
            )
