"""Personal data at rest: AES-GCM encryption and keyed hashes, from one terminal secret.

The terminal secret (bytes from the terminal's secret store) is never used
directly: HKDF derives one key per purpose, so the key that encrypts names can
not be used to forge journal hashes and vice versa.
"""

from __future__ import annotations

import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from offline_store.errors import CannotDecrypt, InvalidKey

MIN_SECRET_BYTES = 32
_NONCE_BYTES = 12
_MATCH_CACHE = 4096
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once: it is hot
_VERSION = b"\x01"  # first byte of every ciphertext, so the format can change later


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


class TerminalKeys:
    """Keys derived from the terminal secret: encryption, matching hashes, journal MACs."""

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
            raise InvalidKey(
                f"the terminal secret must be at least {MIN_SECRET_BYTES} bytes "
                "from the terminal's secret store"
            )
        self._aead = AESGCM(_derive(bytes(secret), b"lobby-kiosk/offline-store/encrypt/v1"))
        self._match_key = _derive(bytes(secret), b"lobby-kiosk/offline-store/match/v1")
        self.journal_key = _derive(bytes(secret), b"lobby-kiosk/offline-store/journal/v1")
        self._matches: dict[str, str] = {}  # the same patients and cards recur all day

    def encrypt_json(self, value: Any, context: str) -> bytes:
        """Encrypt a JSON value; `context` (e.g. "outbox.payload") is bound as associated data."""
        nonce = os.urandom(_NONCE_BYTES)
        plain = _JSON.encode(value).encode()
        return _VERSION + nonce + self._aead.encrypt(nonce, plain, context.encode())

    def decrypt_json(self, blob: bytes, context: str) -> Any:
        if not blob or blob[:1] != _VERSION:
            raise CannotDecrypt(f"{context}: unknown encryption format")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, context.encode())
        except InvalidTag as exc:
            raise CannotDecrypt(f"{context}: wrong terminal key or altered data") from exc
        return json.loads(plain)

    def match_hash(self, kind: str, value: str) -> str:
        """Keyed hash for matching only (card numbers, patient ids); not reversible without the key.

        `kind` separates namespaces, so a card number and a patient id never collide.
        """
        message = f"{kind}:{value.strip()}"
        known = self._matches.get(message)
        if known is None:
            known = hmac.digest(self._match_key, message.encode(), "sha256").hex()[:32]
            if len(self._matches) >= _MATCH_CACHE:
                self._matches.clear()
            self._matches[message] = known
        return known
