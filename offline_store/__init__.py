"""Offline store: durable outbox, hash-chained journal and reference-data cache on SQLite.

Knows SQLite and nothing of Qt or HTTP. Open it with the terminal secret::

    store = OfflineStore(data_dir / "offline.sqlite3", secret)
"""

from offline_store.cache import Cached
from offline_store.errors import (
    CannotDecrypt,
    DuplicateTransaction,
    InvalidKey,
    InvalidTransaction,
    NotFound,
    StoreError,
    UnsafeDatabase,
)
from offline_store.journal import JournalEntry, Problem
from offline_store.outbox import (
    OPEN_STATES,
    Attention,
    Backlog,
    Confirm,
    OutboxItem,
    Reject,
    Retry,
    Settlement,
    State,
)
from offline_store.store import OfflineStore

__all__ = [
    "OPEN_STATES",
    "Attention",
    "Backlog",
    "Cached",
    "CannotDecrypt",
    "Confirm",
    "DuplicateTransaction",
    "InvalidKey",
    "InvalidTransaction",
    "JournalEntry",
    "NotFound",
    "OfflineStore",
    "OutboxItem",
    "Problem",
    "Reject",
    "Retry",
    "Settlement",
    "State",
    "StoreError",
    "UnsafeDatabase",
]
