"""The admin PIN that opens the technician screen: scrypt hash, a lockout that survives restarts.

After 5 wrong PINs in a row the screen locks for 30 s; once it unlocks, every
further wrong PIN (without a right one in between) locks it again for twice as
long as the last time, up to a day. The counter lives in the data dir, so pulling
the power does not reset it. A right PIN clears it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

FREE_ATTEMPTS = 5
FIRST_LOCK_S = 30
MAX_LOCK_S = 24 * 3600
STATE_FILE = "admin_lockout.json"
PIN_LENGTH = (4, 12)

# scrypt cost: n=2**14, r=8 takes ~50 ms and 16 MiB here, slow enough to stop brute force
# of a stolen hash of a short PIN being instant, fast enough for a touch screen.
_N, _R, _P = 2**14, 8, 1


class PinError(ValueError):
    """A PIN that cannot be set: not digits, or the wrong length."""


def check_pin_format(pin: str) -> None:
    low, high = PIN_LENGTH
    if not pin.isascii() or not pin.isdigit() or not low <= len(pin) <= high:
        raise PinError(f"the admin PIN must be {low} to {high} digits (0-9)")


def hash_pin(pin: str) -> str:
    """`scrypt$n$r$p$salt$hash` (base64), the form config key admin.pin_hash takes."""
    check_pin_format(pin)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True if `pin` matches `stored`; False for a malformed hash (never raises on input)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.scrypt(
            pin.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True)
class Attempt:
    granted: bool
    message: str  # operator wording
    locked_until: datetime | None = None
    attempts_left: int = 0  # before the next lock


@dataclass
class _LockState:
    failures: int = 0
    lock_s: int = 0  # the length of the last lock
    locked_until: str = ""  # ISO time, UTC

    def until(self) -> datetime | None:
        return datetime.fromisoformat(self.locked_until) if self.locked_until else None


class AdminGate:
    """Checks PIN attempts against the configured hash, with the persisted lockout."""

    def __init__(
        self,
        pin_hash: str,
        data_dir: str | os.PathLike[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pin_hash = pin_hash
        self._path = Path(data_dir) / STATE_FILE
        self._clock = clock

    def locked_until(self) -> datetime | None:
        until = self._load().until()
        return until if until and until > self._clock() else None

    def attempt(self, pin: str) -> Attempt:
        state = self._load()
        now = self._clock()
        until = state.until()
        if until and until > now:
            wait = int((until - now).total_seconds()) + 1
            return Attempt(False, f"locked: try again in {wait} s", until)
        if not self._pin_hash:
            return Attempt(False, "no admin PIN is set on this terminal")
        if verify_pin(pin, self._pin_hash):
            self._save(_LockState())
            return Attempt(True, "accepted")
        return self._fail(state, now)

    def _fail(self, state: _LockState, now: datetime) -> Attempt:
        state.failures += 1
        if state.failures < FREE_ATTEMPTS:
            self._save(state)
            left = FREE_ATTEMPTS - state.failures
            return Attempt(False, f"wrong PIN: {left} tries left", attempts_left=left)
        state.lock_s = min(MAX_LOCK_S, state.lock_s * 2 if state.lock_s else FIRST_LOCK_S)
        until = now + timedelta(seconds=state.lock_s)
        state.locked_until = until.isoformat()
        self._save(state)
        return Attempt(False, f"wrong PIN: locked for {state.lock_s} s", until)

    def _load(self) -> _LockState:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            return _LockState(int(raw["failures"]), int(raw["lock_s"]), str(raw["locked_until"]))
        except FileNotFoundError:
            return _LockState()
        except (ValueError, KeyError, TypeError):
            # a damaged counter must not unlock the screen: treat it as a fresh lock
            until = self._clock() + timedelta(seconds=FIRST_LOCK_S)
            state = _LockState(FREE_ATTEMPTS, FIRST_LOCK_S, until.isoformat())
            self._save(state)  # written back, so the lock runs out instead of restarting
            return state

    def _save(self, state: _LockState) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".lockout.", dir=self._path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(state), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self._path)
