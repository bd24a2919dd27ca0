"""`load_terminal_secret`: the secret `kiosk run` signs with (kiosk/commands/run.py uses this).

A thin front of secret_store.py, which holds the rules (0600 file, demo fallback).
"""

from __future__ import annotations

import os

from kiosk.central.secret_store import SecretStore, SecretStoreError, credentials_for


def load_terminal_secret(data_dir: str | os.PathLike[str], terminal_id: str | None = None) -> bytes:
    """The enrolled secret in `data_dir`.

    With `terminal_id`, the stored secret must belong to that terminal, and the demo
    terminal falls back to the public demo secret. Raises SecretStoreError, whose message
    says what to do, when there is no usable secret.
    """
    if terminal_id is not None:
        return credentials_for(terminal_id, data_dir).secret
    stored = SecretStore.in_dir(data_dir).load()
    if stored is None:
        raise SecretStoreError(
            "this terminal is not enrolled: run `kiosk enroll --url URL --code CODE`"
        )
    return stored.secret


__all__ = ["SecretStoreError", "load_terminal_secret"]
