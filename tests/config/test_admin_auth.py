"""The admin PIN: scrypt hash, 5 free tries, then locks that double and survive a restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.admin_auth import (
    FIRST_LOCK_S,
    MAX_LOCK_S,
    STATE_FILE,
    AdminGate,
    PinError,
    hash_pin,
    verify_pin,
)

PIN = "482913"


class Clock:
    """A clock the test moves: waiting out real lockouts would take minutes."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def pin_hash() -> str:
    return hash_pin(PIN)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_hash_is_scrypt_salted_and_verifies(pin_hash: str):
    assert pin_hash.startswith("scrypt$16384$8$1$")
    assert PIN not in pin_hash
    assert hash_pin(PIN) != pin_hash  # a fresh salt each time
    assert verify_pin(PIN, pin_hash)
    assert not verify_pin("482914", pin_hash)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "garbage",
        "scrypt$x$8$1$AA==$AA==",
        "bcrypt$1$2$3$4$5",
        "scrypt$16384$8$1$not base64!$AA==",
    ],
)
def test_malformed_hash_never_verifies(stored: str):
    assert verify_pin(PIN, stored) is False


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "", "１２３４", "12 34"])
def test_bad_pin_format_is_refused(pin: str):
    with pytest.raises(PinError, match="4 to 12 digits"):
        hash_pin(pin)


def test_right_pin_is_granted(tmp_path: Path, pin_hash: str, clock: Clock):
    assert AdminGate(pin_hash, tmp_path, clock).attempt(PIN).granted


def test_five_wrong_pins_lock_then_the_lock_doubles(tmp_path: Path, pin_hash: str, clock: Clock):
    gate = AdminGate(pin_hash, tmp_path, clock)
    for left in (4, 3, 2, 1):
        attempt = gate.attempt("0000")
        assert not attempt.granted and attempt.attempts_left == left
    fifth = gate.attempt("0000")
    assert fifth.locked_until == clock.now + timedelta(seconds=FIRST_LOCK_S)
    # while locked even the right PIN is refused, and says how long to wait
    locked = gate.attempt(PIN)
    assert not locked.granted and "try again in" in locked.message
    lengths = []
    for _ in range(4):
        clock.advance((gate.locked_until() - clock.now).total_seconds() + 1)
        assert gate.locked_until() is None
        attempt = gate.attempt("0000")
        lengths.append((attempt.locked_until - clock.now).total_seconds())
    assert lengths == [2 * FIRST_LOCK_S, 4 * FIRST_LOCK_S, 8 * FIRST_LOCK_S, 16 * FIRST_LOCK_S]


def test_lock_is_capped(tmp_path: Path, pin_hash: str, clock: Clock):
    gate = AdminGate(pin_hash, tmp_path, clock)
    for _ in range(40):
        until = gate.locked_until()
        if until:
            clock.advance((until - clock.now).total_seconds() + 1)
        attempt = gate.attempt("0000")
    assert (attempt.locked_until - clock.now).total_seconds() == MAX_LOCK_S


def test_restart_does_not_reset_the_lock(tmp_path: Path, pin_hash: str, clock: Clock):
    for _ in range(5):
        AdminGate(pin_hash, tmp_path, clock).attempt("0000")
    restarted = AdminGate(pin_hash, tmp_path, clock)  # a new process reading the same data dir
    assert restarted.locked_until() is not None
    assert not restarted.attempt(PIN).granted


def test_restart_keeps_the_failure_count(tmp_path: Path, pin_hash: str, clock: Clock):
    for _ in range(4):
        AdminGate(pin_hash, tmp_path, clock).attempt("0000")
    assert AdminGate(pin_hash, tmp_path, clock).attempt("0000").locked_until is not None


def test_right_pin_clears_the_count(tmp_path: Path, pin_hash: str, clock: Clock):
    gate = AdminGate(pin_hash, tmp_path, clock)
    for _ in range(4):
        gate.attempt("0000")
    assert gate.attempt(PIN).granted
    assert gate.attempt("0000").attempts_left == 4


def test_damaged_counter_locks_rather_than_unlocks(tmp_path: Path, pin_hash: str, clock: Clock):
    (tmp_path / STATE_FILE).write_text("{not json", encoding="utf-8")
    gate = AdminGate(pin_hash, tmp_path, clock)
    assert not gate.attempt(PIN).granted
    clock.advance(FIRST_LOCK_S + 1)
    assert gate.attempt(PIN).granted
    assert json.loads((tmp_path / STATE_FILE).read_text())["failures"] == 0


def test_no_pin_configured_grants_nothing(tmp_path: Path, clock: Clock):
    attempt = AdminGate("", tmp_path, clock).attempt("")
    assert not attempt.granted and "no admin PIN" in attempt.message
