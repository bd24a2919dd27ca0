"""Request signing: HMAC-SHA256 with the terminal's secret (contract/README.md, "Signature").

The string to sign is five lines joined by "\\n":

    METHOD            upper case, e.g. POST
    PATH              the path and query exactly as sent, e.g. /v1/sessions?date=2026-11-23
    TIMESTAMP         Unix seconds, the X-Kiosk-Timestamp header
    NONCE             the X-Kiosk-Nonce header, 16 to 64 characters [A-Za-z0-9_-]
    BODY_SHA256       lower-case hex SHA-256 of the body bytes (of b"" when there is none),
                      the X-Kiosk-Content-SHA256 header

The body hash is sent as a header and signed, so the platform can tell a tampered
body (signature good, body hash wrong) from a wrong key (signature wrong).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

H_TERMINAL = "X-Kiosk-Terminal"
H_TIMESTAMP = "X-Kiosk-Timestamp"
H_NONCE = "X-Kiosk-Nonce"
H_CONTENT = "X-Kiosk-Content-SHA256"
H_SIGNATURE = "X-Kiosk-Signature"
SIGNED_HEADERS = (H_TERMINAL, H_TIMESTAMP, H_NONCE, H_CONTENT, H_SIGNATURE)

MAX_CLOCK_SKEW_S = 300  # a timestamp further than this from the platform's clock is stale
NONCE_TTL_S = 2 * MAX_CLOCK_SKEW_S  # nonces are remembered at least this long


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, content_sha: str) -> bytes:
    return "\n".join((method.upper(), path, timestamp, nonce, content_sha)).encode("utf-8")


def signature(secret: bytes, method: str, path: str, timestamp: str, nonce: str, sha: str) -> str:
    message = string_to_sign(method, path, timestamp, nonce, sha)
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_headers(
    secret: bytes,
    terminal_id: str,
    method: str,
    path: str,
    body: bytes,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The five headers that authenticate one request. A fresh nonce every call."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_urlsafe(18)
    sha = body_sha256(body)
    return {
        H_TERMINAL: terminal_id,
        H_TIMESTAMP: timestamp,
        H_NONCE: nonce,
        H_CONTENT: sha,
        H_SIGNATURE: signature(secret, method, path, timestamp, nonce, sha),
    }
