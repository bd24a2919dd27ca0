"""Real-time status: DLE EOT decoding, device states, readiness and change-only events."""

from __future__ import annotations

import pytest

from drivers.device import DeviceState, Fact, HealthLevel, Outcome
from drivers.printer import status as rt
from tests.printer.conftest import every_receipt


@pytest.mark.parametrize(("n4", "level"), [(0x12, "adequate"), (0x1E, "near_end"), (0x72, "out")])
def test_paper_sensor_bytes_from_the_brief(n4, level):
    replies = {1: b"\x12", 2: b"\x12", 3: b"\x12", 4: bytes([n4])}
    assert rt.decode(replies).paper_level == level


@pytest.mark.parametrize("reply", [b"", b"\x12\x12", b"\x00", b"\xff", None])
def test_odd_replies_decode_as_unknown(reply):
    status = rt.decode({1: reply, 2: reply, 3: reply, 4: reply})
    assert status.paper is Fact.UNKNOWN and status.online is Fact.UNKNOWN
    assert status.paper_level == "unknown"
    assert status.state()[0] is DeviceState.UNKNOWN


@pytest.mark.parametrize(
    ("paper", "state", "level", "can_print"),
    [
        ("ok", DeviceState.READY, "adequate", Fact.GOOD),
        ("near-end", DeviceState.READY, "near_end", Fact.GOOD),
        ("out", DeviceState.USER_ERROR, "out", Fact.BAD),
    ],
)
def test_each_paper_state_over_the_socket(
    virtual_printer, open_printer, paper, state, level, can_print
):
    virtual_printer.set_paper(paper)
    printer = open_printer(virtual_printer.url)
    readiness = printer.can_print()
    assert printer.status.state is state
    assert printer.status.facts["paper_level"] == level
    assert readiness.fact is can_print and readiness.paper_level == level


def test_paper_out_refuses_before_sending_anything(virtual_printer, open_printer):
    virtual_printer.set_paper("out")
    printer = open_printer(virtual_printer.url)
    result = printer.print_document(every_receipt()["registration"])
    assert not result.ok and result.code == "user_error" and "paper out" in result.message
    assert virtual_printer.receipts == []


def test_cover_open_and_cutter_error(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    virtual_printer.cover_open = True
    status = printer.refresh()
    assert status.state is DeviceState.USER_ERROR and "cover open" in status.reason
    assert status.facts["cover_closed"] is Fact.BAD and status.facts["paper"] is Fact.GOOD
    virtual_printer.cover_open = False
    virtual_printer.cutter_error = True
    status = printer.refresh()
    assert status.state is DeviceState.HARDWARE_ERROR and "cutter" in status.reason
    assert printer.can_print().fact is Fact.BAD


def test_status_events_only_on_change(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url, poll_interval_s=60)
    printer.refresh()
    events = []
    printer.subscribe(events.append)
    for _ in range(5):
        printer.refresh()
    assert events == []
    virtual_printer.set_paper("near-end")
    printer.refresh()
    printer.refresh()
    virtual_printer.set_paper("out")
    printer.refresh()
    assert [e.facts["paper_level"] for e in events] == ["near_end", "out"]


def test_background_polling_notices_a_change_without_being_asked(virtual_printer, open_printer):
    import time

    printer = open_printer(virtual_printer.url, poll_interval_s=0.1)
    printer.refresh()
    virtual_printer.set_paper("out")
    deadline = time.monotonic() + 30
    while printer.status.state is not DeviceState.USER_ERROR and time.monotonic() < deadline:
        time.sleep(0.05)
    assert printer.status.facts["paper_level"] == "out"


def test_health_checks(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    internal = printer.health_check(HealthLevel.INTERNAL)
    assert internal.outcome is Outcome.PASS
    assert virtual_printer.receipts == []  # internal: no side effect
    external = printer.health_check(HealthLevel.EXTERNAL)
    assert external.outcome is Outcome.PASS
    slip = virtual_printer.wait_for_receipts(1)[0]
    assert "打印机自检 Printer test" in slip.text and "paper_level" in slip.text and slip.cut
    virtual_printer.set_paper("out")
    assert printer.health_check(HealthLevel.INTERNAL).outcome is Outcome.FAIL
    assert printer.health_check(HealthLevel.EXTERNAL).outcome is Outcome.FAIL
    virtual_printer.set_paper("near-end")
    assert printer.health_check(HealthLevel.INTERNAL).outcome is Outcome.WARN


def test_a_closed_printer_answers_with_a_typed_error(virtual_printer, open_printer):
    printer = open_printer(virtual_printer.url)
    printer.close()
    result = printer.print_document(every_receipt()["check_in"])
    assert not result.ok and result.code == "not_open"
    assert virtual_printer.receipts == []
