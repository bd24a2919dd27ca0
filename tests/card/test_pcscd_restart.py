"""pcscd killed and restarted under a running service, and pcscd without readers.

These run against an isolated pcscd (see tests/harness/pcsc.py `private_pcscd`),
so killing it disturbs no other test or engineer using the shared one. The
service runs in a child process, `kiosk card watch --json`, because the PC/SC
client library reads the socket path (PCSCLITE_CSOCK_NAME) once per process.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from drivers.card.virtual import VirtualCard
from tests.harness.pcsc import LineStream

pytestmark = pytest.mark.pcsc

READER0 = "Virtual PCD 00 00"


def watch(daemon) -> LineStream:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "card",
            "watch",
            "--json",
            "--backend",
            "pcsc",
            "--reader",
            "",
        ],
        env=daemon.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return LineStream(process)


def event(kind: str, **match: object):
    def matches(line: str) -> bool:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return False
        return record.get("event") == kind and all(record.get(k) == v for k, v in match.items())

    return matches


def stop(stream: LineStream) -> None:
    stream.process.send_signal(signal.SIGTERM)
    stream.process.wait(timeout=10)


def test_service_notices_pcscd_killed_and_carries_on_when_it_is_back(private_pcscd) -> None:
    daemon = private_pcscd().start()
    stream = watch(daemon)
    try:
        stream.wait_for(event("ReaderAttached", reader=READER0))
        card = VirtualCard("pboc_zhang", base_port=daemon.base_port).insert()
        read = json.loads(stream.wait_for(event("CardRead", reader=READER0)))
        assert read["identity"]["card_number"] == "6217***********4569"  # masked in output

        daemon.kill()  # as a crash: SIGKILL
        stream.wait_for(event("CardRemoved", reader=READER0))
        stream.wait_for(event("ReaderDetached", reader=READER0))
        stream.wait_for(event("Status", state="offline"))
        assert card.wait_disconnected(10)  # vpcd went with pcscd

        daemon.start()
        stream.wait_for(event("ReaderAttached", reader=READER0), timeout_s=20)
        card.insert()
        again = json.loads(stream.wait_for(event("CardRead", reader=READER0)))
        assert again["identity"]["card_type"] == "pboc"
        assert stream.process.poll() is None  # the service never died
        card.remove()
    finally:
        stop(stream)


def test_pcscd_with_no_reader_at_all(private_pcscd) -> None:
    daemon = private_pcscd().start(with_readers=False)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "card",
            "read",
            "--json",
            "--backend",
            "pcsc",
            "--reader",
            "",
            "--timeout",
            "5",
        ],
        env=daemon.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 5, result
    assert json.loads(result.stdout)["error"] == "no_reader"

    stream = watch(daemon)
    try:
        stream.wait_for(event("Status", state="no_device"))
    finally:
        stop(stream)


def test_pcscd_not_running_is_pcsc_unavailable(private_pcscd) -> None:
    daemon = private_pcscd()  # never started: nothing listens on its socket
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "card",
            "read",
            "--json",
            "--backend",
            "pcsc",
            "--reader",
            "",
        ],
        env=daemon.env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 5, result
    assert json.loads(result.stdout)["error"] == "pcsc_unavailable"
