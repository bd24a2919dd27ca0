"""Where the kiosk gets the offline store's secret, and opening the store from config.

The store itself only takes bytes (OfflineStore(path, secret)). The secret comes,
in order of preference, from:

1. `$CREDENTIALS_DIRECTORY/kiosk-store-key`: a systemd credential (LoadCredentialEncrypted=,
   sealed to the machine's TPM), the terminal's secret store in production;
2. `$KIOSK_STORE_KEY_FILE`: a file the technician provisions (root-only, mode 0600);
3. `<data_dir>/store.key`: created with 32 random bytes (mode 0600) on first use; for
   development and the demo only, since it sits beside the data it protects.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from kiosk.config import KioskConfig
from offline_store import InvalidKey, OfflineStore

log = logging.getLogger(__name__)

STORE_FILE = "offline.sqlite3"
LOCK_FILE = "offline.forwarder.lock"
CREDENTIAL_NAME = "kiosk-store-key"
DEV_KEY_FILE = "store.key"


def store_path(config: KioskConfig) -> Path:
    return config.data_dir() / STORE_FILE


def forwarder_lock_path(config: KioskConfig) -> Path:
    return config.data_dir() / LOCK_FILE


def load_store_secret(config: KioskConfig, create: bool = True) -> bytes:
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / CREDENTIAL_NAME).is_file():
        return _read_key(Path(credentials) / CREDENTIAL_NAME)
    if os.environ.get("KIOSK_STORE_KEY_FILE"):
        return _read_key(Path(os.environ["KIOSK_STORE_KEY_FILE"]))
    dev_key = config.data_dir() / DEV_KEY_FILE
    if not dev_key.exists():
        if not create:
            raise InvalidKey(f"no store key: set up {CREDENTIAL_NAME} or $KIOSK_STORE_KEY_FILE")
        log.warning("no store key provisioned; creating a development key at %s", dev_key)
        fd = os.open(dev_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    return _read_key(dev_key)


def open_offline_store(config: KioskConfig) -> OfflineStore:
    return OfflineStore(
        store_path(config), load_store_secret(config), ref_prefix=config.terminal.id
    )


def _read_key(path: Path) -> bytes:
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise InvalidKey(f"cannot read the store key at {path}: {exc.strerror}") from exc
    if len(key) < 32:
        raise InvalidKey(f"the store key at {path} is {len(key)} bytes; at least 32 are needed")
    return key
