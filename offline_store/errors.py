"""Typed errors of the offline store. Each message says what is wrong and what was kept."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the offline store raises."""


class UnsafeDatabase(StoreError):
    """The database cannot guarantee durability (not WAL, not synchronous=FULL, bad schema).

    The kiosk must refuse to take transactions rather than risk losing one.
    """


class InvalidTransaction(StoreError, ValueError):
    """A transaction was refused before anything was written (bad type, float money, ...)."""


class DuplicateTransaction(StoreError):
    """The client reference or idempotency key is already in the outbox; nothing was written."""


class NotFound(StoreError, KeyError):
    """No outbox row with that id or client reference."""


class InvalidKey(StoreError, ValueError):
    """The terminal secret is missing or too short."""


class CannotDecrypt(StoreError):
    """Personal data could not be decrypted: wrong terminal key, or the data was altered."""
