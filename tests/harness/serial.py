"""Serial fixtures on real pseudo-terminals, for anyone who needs a scanner or acceptor.

- `pty_pair`: a raw pty; `.device` is the device end (a `VirtualPort`), `.path`
  the node pyserial opens, exactly like /dev/ttyUSB0.
- `virtual_scanner`: a `ScannerSimulator` on a pty behind a fixed symlink (so it
  can be unplugged and plugged back), suffix CR.
- `virtual_cash_acceptor`: a running ccTalk `BillValidatorSimulator` on a pty,
  its state file in the test's tmp dir.
- `wait_for(predicate, timeout)`: poll until true; generous by default, for a
  loaded 2-core CI machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.serialport.pty import VirtualPort


def wait_for(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.02):
    """Return the first truthy value of `predicate()`; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


@dataclass
class PtyPair:
    device: VirtualPort
    path: str


@pytest.fixture
def pty_pair() -> Iterator[PtyPair]:
    port = VirtualPort()
    try:
        yield PtyPair(port, port.path)
    finally:
        port.close()


@pytest.fixture
def virtual_scanner(tmp_path: Path):
    from drivers.scanner.sim import ScannerSimulator

    sim = ScannerSimulator(suffix="CR", link=tmp_path / "ttyScanner")
    try:
        yield sim
    finally:
        sim.close()


@pytest.fixture
def virtual_cash_acceptor(tmp_path: Path):
    from drivers.cash.sim import BillValidatorSimulator

    sim = BillValidatorSimulator(
        state_file=tmp_path / "acceptor-state.json", link=tmp_path / "ttyCash"
    )
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
