"""Fixtures of the offline-store tests: a terminal secret, a store on a temp file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_store import OfflineStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def secret() -> bytes:
    return os.urandom(32)


@pytest.fixture
def key_file(tmp_path: Path, secret: bytes) -> Path:
    path = tmp_path / "store.key"
    path.write_bytes(secret)
    path.chmod(0o600)
    return path


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "offline.sqlite3"


@pytest.fixture
def store(store_path: Path, secret: bytes) -> Iterator[OfflineStore]:
    with OfflineStore(store_path, secret, ref_prefix="TEST") as opened:
        yield opened


@pytest.fixture
def kiosk_env(tmp_path: Path, key_file: Path, store_path: Path) -> dict[str, str]:
    """Environment for running the real `kiosk` command against the test's store."""
    env = dict(os.environ)
    env.update(KIOSK_DATA_DIR=str(store_path.parent), KIOSK_STORE_KEY_FILE=str(key_file))
    env.pop("KIOSK_CONFIG", None)
    env.pop("CREDENTIALS_DIRECTORY", None)
    return env
