"""The serial loopback check through real pseudo-terminals.

A loopback plug joins a port's TX to its RX. There is no plug here, so `LoopbackPlug`
(tests/diag/loopback_plug.py) simulates one on the device end of a real pty, sending every
byte back, or changed or fewer bytes to simulate a wrong baud rate or a broken wire. The check
opens the other end with pyserial exactly as it opens /dev/ttyS1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serial

from drivers.device import HealthLevel, Outcome
from kiosk.config import ConfigError, load_config
from kiosk.diagnostics import DiagContext, run_checks, select_checks
from kiosk.diagnostics.serial import LOOPBACK_PATTERN
from tests.diag.loopback_plug import LoopbackPlug


@pytest.fixture
def plugs() -> Iterator[Callable[..., LoopbackPlug]]:
    made: list[LoopbackPlug] = []

    def make(transform: Callable[[bytes], bytes] = lambda chunk: chunk) -> LoopbackPlug:
        made.append(LoopbackPlug(transform))
        return made[-1]

    yield make
    for plug in made:
        plug.close()


def _loopback(tmp_path: Path, *ports: str, **devices: dict) -> object:
    config = load_config(
        overrides={
            "diagnostics": {"loopback_ports": " ".join(ports)},
            "devices": devices,
            "paths": {"data_dir": str(tmp_path / "data")},
        }
    )
    ctx = DiagContext(config, data_dir=config.data_dir())
    (result,) = run_checks(ctx, HealthLevel.EXTERNAL, names=["serial_loopback"])
    return result


def test_a_plug_that_echoes_passes(tmp_path: Path, plugs):
    plug = plugs()
    result = _loopback(tmp_path, plug.path)
    assert result.outcome is Outcome.PASS, result
    assert f"{len(LOOPBACK_PATTERN)} bytes echoed at 9600 baud" in result.summary
    assert bytes(plug.heard) == LOOPBACK_PATTERN  # the pattern really went down the wire


def test_no_echo_means_plug_missing_or_wrong_port(tmp_path: Path, pty_pair):
    # a real port with nothing joined to it: what is written is never sent back
    result = _loopback(tmp_path, pty_pair.path)
    assert result.outcome is Outcome.FAIL
    assert f"no echo on {pty_pair.path}" in result.summary
    assert "loopback plug is missing" in result.cause and "loopback_ports" in result.cause


def test_garbled_echo_points_at_baud_and_wiring(tmp_path: Path, plugs):
    # a receiver at the wrong baud rate reads different bytes from the ones sent
    plug = plugs(lambda chunk: bytes(b ^ 0x81 for b in chunk))
    result = _loopback(tmp_path, plug.path)
    assert result.outcome is Outcome.FAIL
    assert f"garbled echo on {plug.path}" in result.summary
    assert "baud rate" in result.cause and "wiring" in result.cause


def test_lost_bytes_are_an_incomplete_echo(tmp_path: Path, plugs):
    kept = len(LOOPBACK_PATTERN) // 2
    budget = [kept]  # a loose wire: the first `kept` bytes come back, the rest are lost

    def lossy(chunk: bytes) -> bytes:
        passed, budget[0] = chunk[: budget[0]], max(0, budget[0] - len(chunk))
        return passed

    plug = plugs(lossy)
    result = _loopback(tmp_path, plug.path)
    assert result.outcome is Outcome.FAIL
    assert f"{kept} of {len(LOOPBACK_PATTERN)} bytes came back" in result.summary


def test_a_talking_device_is_not_a_plug(tmp_path: Path, plugs):
    plug = plugs(lambda chunk: chunk + b"\r\nREADY\r\n" if chunk.endswith(b"9") else chunk)
    result = _loopback(tmp_path, plug.path)
    assert result.outcome is Outcome.FAIL and "more than the echo" in result.summary


def test_each_port_is_reported_and_one_failure_fails_the_check(tmp_path: Path, plugs, pty_pair):
    plug = plugs()
    result = _loopback(tmp_path, plug.path, pty_pair.path)
    assert result.outcome is Outcome.FAIL
    assert result.details[plug.path] == "echo ok"
    assert pty_pair.path in result.summary and plug.path not in result.summary


def test_absent_port_names_the_attached_ones(tmp_path: Path):
    result = _loopback(tmp_path, "/dev/ttyUSB9")
    assert result.outcome is Outcome.FAIL
    assert "/dev/ttyUSB9 does not exist" in result.summary
    assert "serial ports attached now" in result.cause


def test_port_in_use_by_another_program(tmp_path: Path, plugs):
    plug = plugs()
    with serial.Serial(plug.path, exclusive=True):  # another program holds the port
        result = _loopback(tmp_path, plug.path)
    assert result.outcome is Outcome.FAIL and "in use by another program" in result.summary
    assert plug.heard == b""


def test_a_device_port_is_never_sent_test_bytes(tmp_path: Path, plugs):
    scanner = plugs()
    by_id = tmp_path / "usb-Scanner-if00-port0"  # as /dev/serial/by-id/ names it
    by_id.symlink_to(scanner.path)
    for configured in (scanner.path, str(by_id)):
        result = _loopback(tmp_path, scanner.path, scanner={"port": configured})
        assert result.outcome is Outcome.FAIL and "the scanner's port" in result.summary
    assert scanner.heard == b""


def test_not_wired_is_skipped_and_only_external_writes(tmp_path: Path):
    assert "serial_loopback" not in {c.name for c in select_checks(HealthLevel.INTERNAL)}
    result = _loopback(tmp_path)
    assert result.outcome is Outcome.SKIPPED and "loopback_ports empty" in result.summary


def test_ports_are_one_line_of_text_split_on_spaces_or_commas():
    config = load_config(overrides={"diagnostics": {"loopback_ports": " /dev/ttyS1, /dev/ttyS2 "}})
    assert config.diagnostics.loopback_port_list() == ["/dev/ttyS1", "/dev/ttyS2"]
    with pytest.raises(ConfigError, match=r"diagnostics\.loopback_ports = \['/dev/ttyS1'\]"):
        load_config(overrides={"diagnostics": {"loopback_ports": ["/dev/ttyS1"]}})
