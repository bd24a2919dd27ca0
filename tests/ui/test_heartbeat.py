"""The kiosk's heartbeat (issue 8): started with the services, it reports the devices'
states, the outbox and the version to the platform simulator; stopped with them."""

from __future__ import annotations

import threading

import httpx
import pytest

from central_sim import DEMO_TERMINAL_ID
from kiosk import __version__

pytestmark = pytest.mark.pcsc


def last_heartbeat(central_sim) -> dict:
    url = f"{central_sim.url}/admin/terminals/{DEMO_TERMINAL_ID}/heartbeat"
    return httpx.get(url, timeout=5.0).json()


def test_the_kiosk_beats_with_its_devices_and_stops_with_its_services(
    kiosk, central_sim, virtual_printer
):
    assert last_heartbeat(central_sim) == {}  # a fresh simulator has heard nothing
    driver = kiosk()
    driver.qtbot.waitUntil(lambda: last_heartbeat(central_sim) != {}, timeout=20_000)
    beat = last_heartbeat(central_sim)
    assert beat["software_version"] == __version__
    assert beat["outbox_depth"] == 0 and beat["oldest_outbox_age_s"] == 0
    assert {d["name"] for d in beat["devices"]} == {"card_reader", "printer"}  # as fitted
    heartbeat = driver.ui.services.heartbeat
    assert heartbeat.beats >= 1 and heartbeat.last_error == ""
    # the next beat says what the devices are by then: the printer answered its status
    printer = driver.ui.services.printer
    driver.qtbot.waitUntil(lambda: printer.status.state.value == "ready", timeout=20_000)
    heartbeat.beat()
    states = {d["name"]: d["state"] for d in last_heartbeat(central_sim)["devices"]}
    assert states["printer"] == "ready"
    driver.ui.shutdown()
    assert not any(t.name == "heartbeat" and t.is_alive() for t in threading.enumerate())
