"""Personal data at rest: AES-GCM encryption and keyed hashes, from one terminal secret.

The terminal secret (bytes from the terminal's secret store) is never used
directly: HKDF derives one key per purpose, so the key that encrypts names can
not be used to forge journal hashes and vice versa.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from offline_store.errors import CannotDecrypt, InvalidKey

MIN_SECRET_BYTES = 32
_NONCE_BYTES = 12
_MATCH_CACHE = 4096
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _compact_json_encoder() -> Callable[[Any], str]:
    """`_JSON.encode`, minus the C encoder that `JSONEncoder.encode` builds afresh on every
    call (half its cost on a small payload; every enqueue pays it). It does not look for
    cycles: what is sealed here is decoded JSON or an outbox payload, whose float check
    has walked it (and would have failed on a cycle) before."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without the C accelerator
        return _JSON.encode
    try:
        encoder = make(None, _JSON.default, json.encoder.encode_basestring, None, ":", ",",
                       False, False, True)  # fmt: skip
        fast = lambda value: "".join(encoder(value, 0))  # noqa: E731
        sample = {"k": ["張三", 1, None, True, {"x": "y"}]}
        if fast(sample) == _JSON.encode(sample):
            return fast
    except Exception:  # an internal API: another Python may build it differently
        pass
    return _JSON.encode


_encode_json = _compact_json_encoder()
_VERSION = b"\x01"  # first byte of every ciphertext, so the format can change later


class _RandomPool:
    """Bytes from `os.urandom`, drawn 4 KiB at a time: one system call per hundred or so
    enqueues instead of two per enqueue (a system call right after a commit's fsync is not
    cheap). Every byte is handed out once. A forked child starts with an empty pool: it
    must never repeat its parent's bytes, since an AES-GCM nonce used twice under one key
    gives the encryption away."""

    _SIZE = 4096

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()  # new in a child: the parent's may have been held
        self._buffer = b""
        self._used = 0

    def take(self, count: int) -> bytes:
        with self._lock:
            start = self._used
            if start + count > len(self._buffer):
                self._buffer, start = os.urandom(max(self._SIZE, count)), 0
            self._used = start + count
            return self._buffer[start : start + count]


random_bytes = _RandomPool().take  # nonces, client references and idempotency keys


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
        nonce = random_bytes(_NONCE_BYTES)
        plain = _encode_json(value).encode()
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
