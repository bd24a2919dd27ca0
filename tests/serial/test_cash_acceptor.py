"""The ccTalk bill validator driver against the simulator, through real pseudo-terminals."""

from __future__ import annotations

import queue

import pytest

from drivers.cash import BillEventKind, BillValidator
from drivers.cash.cctalk import Header
from drivers.device import DeviceState, Fact, HealthLevel, Outcome
from tests.harness.serial import wait_for


class Acceptor:
    """The driver opened on the simulator, collecting its events; stacks when asked."""

    def __init__(self, sim, stack: bool = True) -> None:
        self.sim = sim
        self.events: queue.Queue = queue.Queue()
        self.device = BillValidator(sim.path, 9600, sim.address, poll_s=0.05)
        self.device.subscribe_bills(self.events.put)
        self.device.set_escrow_policy(lambda _event: stack)

    def open(self) -> Acceptor:
        self.device.open()
        wait_for(lambda: self.device.status.state is DeviceState.READY)
        return self

    def next(self, kind: BillEventKind | None = None, timeout: float = 20.0):
        while True:
            event = self.events.get(timeout=timeout)
            if kind is None or event.kind is kind:
                return event

    def kinds_until(self, last: BillEventKind) -> list[BillEventKind]:
        kinds = []
        while not kinds or kinds[-1] is not last:
            kinds.append(self.next().kind)
        return kinds


@pytest.fixture
def acceptor(virtual_cash_acceptor):
    acc = Acceptor(virtual_cash_acceptor).open()
    assert acc.device.enable().ok
    yield acc
    acc.device.close()


def test_reads_the_note_table_and_stacks_a_note(acceptor, virtual_cash_acceptor):
    assert acceptor.device.bill_values[6] == 10000  # CN0100A: ¥100
    virtual_cash_acceptor.insert(100)
    escrow = acceptor.next(BillEventKind.ESCROW)
    stacked = acceptor.next(BillEventKind.STACKED)
    assert (escrow.value_fen, stacked.value_fen) == (10000, 10000)
    assert stacked.counter == escrow.counter + 1
    assert virtual_cash_acceptor.cashbox_fen() == 10000


def test_a_disabled_acceptor_takes_no_note(acceptor, virtual_cash_acceptor):
    assert acceptor.device.disable().ok
    virtual_cash_acceptor.insert(50)
    event = acceptor.next()
    assert event.kind is BillEventKind.REJECTED
    assert virtual_cash_acceptor.cashbox_fen() == 0


def test_a_fake_note_is_rejected(acceptor, virtual_cash_acceptor):
    virtual_cash_acceptor.insert_fake()
    assert acceptor.next().reason == "note rejected: failed validation"


def test_a_note_the_host_declines_goes_back(virtual_cash_acceptor):
    acc = Acceptor(virtual_cash_acceptor, stack=False).open()
    try:
        acc.device.enable()
        virtual_cash_acceptor.insert(20)
        assert acc.kinds_until(BillEventKind.RETURNED) == [
            BillEventKind.ESCROW,
            BillEventKind.RETURNED,
        ]
        assert virtual_cash_acceptor.state.returned == [4]
        assert virtual_cash_acceptor.cashbox_fen() == 0
    finally:
        acc.device.close()


def test_checksum_errors_are_retried_and_nothing_is_lost(acceptor, virtual_cash_acceptor):
    virtual_cash_acceptor.corrupt_next_replies(2)
    virtual_cash_acceptor.insert(10)
    assert acceptor.next(BillEventKind.STACKED).value_fen == 1000
    assert acceptor.device.bus_stats["checksum_errors"] >= 2
    assert acceptor.device.status.state is DeviceState.READY


def test_a_lost_reply_is_retried(acceptor, virtual_cash_acceptor):
    virtual_cash_acceptor.drop_next_replies(1)
    virtual_cash_acceptor.insert(5)
    assert acceptor.next(BillEventKind.STACKED).value_fen == 500
    assert acceptor.device.bus_stats["no_reply"] >= 1
    assert virtual_cash_acceptor.cashbox_fen() == 500


def test_a_lost_reply_to_route_bill_stacks_the_note_once(acceptor, virtual_cash_acceptor):
    virtual_cash_acceptor.drop_next_reply_to(Header.ROUTE_BILL)
    virtual_cash_acceptor.insert(50)
    assert acceptor.next(BillEventKind.STACKED).value_fen == 5000
    virtual_cash_acceptor.insert(10)
    assert acceptor.next(BillEventKind.STACKED).value_fen == 1000
    assert virtual_cash_acceptor.state.cashbox == [5, 3]  # each note stacked exactly once
    # the first route was repeated after its lost reply, and answered "escrow empty"
    assert virtual_cash_acceptor.commands_seen.count(Header.ROUTE_BILL) >= 3


def test_line_noise_before_a_reply_is_survived(acceptor, virtual_cash_acceptor):
    virtual_cash_acceptor.noise_before_next_reply(b"\x00\xff\x13\x01")
    virtual_cash_acceptor.insert(20)
    assert acceptor.next(BillEventKind.STACKED).value_fen == 2000
    assert acceptor.device.bus_stats["retries"] >= 1
    assert acceptor.device.status.state is DeviceState.READY


def test_an_acceptor_that_stops_answering_goes_offline_and_comes_back(
    acceptor, virtual_cash_acceptor
):
    virtual_cash_acceptor.drop_next_replies(1000)
    wait_for(lambda: acceptor.device.status.state is DeviceState.OFFLINE)
    assert acceptor.device.health_check().outcome is Outcome.FAIL
    virtual_cash_acceptor.answer_again()
    wait_for(lambda: acceptor.device.status.state is DeviceState.READY)
    virtual_cash_acceptor.insert(1)
    assert acceptor.next(BillEventKind.STACKED).value_fen == 100


def test_the_event_counter_wraps_past_255(virtual_cash_acceptor):
    virtual_cash_acceptor.state.counter = 253
    acc = Acceptor(virtual_cash_acceptor).open()
    try:
        acc.device.enable()
        stacked = []
        for value in (10, 20, 50):
            virtual_cash_acceptor.insert(value)
            stacked.append(acc.next(BillEventKind.STACKED))
        assert [e.counter for e in stacked] == [255, 2, 4]
        assert [e.value_fen for e in stacked] == [1000, 2000, 5000]
        assert virtual_cash_acceptor.cashbox_fen() == 8000
    finally:
        acc.device.close()


def test_events_missed_while_closed_are_delivered_once_on_reopen(virtual_cash_acceptor):
    acc = Acceptor(virtual_cash_acceptor).open()
    acc.device.enable()
    virtual_cash_acceptor.insert(10)
    acc.next(BillEventKind.STACKED)
    cursor = acc.device.cursor
    acc.device.close()
    # The kiosk is down; the validator (still enabled) takes a note, and holds it in escrow.
    virtual_cash_acceptor.insert(50)
    again = Acceptor(virtual_cash_acceptor)
    again.device.resume_from(cursor)
    again.open()
    try:
        assert again.kinds_until(BillEventKind.STACKED) == [
            BillEventKind.ESCROW,
            BillEventKind.STACKED,
        ]
        assert virtual_cash_acceptor.cashbox_fen() == 6000
        with pytest.raises(queue.Empty):
            again.next(BillEventKind.STACKED, timeout=0.5)
    finally:
        again.device.close()


def test_more_events_than_the_buffer_holds_are_reported_lost(virtual_cash_acceptor):
    acc = Acceptor(virtual_cash_acceptor).open()
    cursor = acc.device.cursor
    acc.device.close()
    for _ in range(7):
        virtual_cash_acceptor.insert_fake()
    again = Acceptor(virtual_cash_acceptor)
    again.device.resume_from(cursor)
    again.open()
    try:
        lost = again.next()
        assert (lost.kind, lost.lost) == (BillEventKind.LOST, 2)
        assert [again.next().kind for _ in range(5)] == [BillEventKind.REJECTED] * 5
    finally:
        again.device.close()


def test_reset_mid_note_hands_the_note_back_and_accepting_resumes(
    virtual_cash_acceptor,
):
    gate = queue.Queue()
    acc = Acceptor(virtual_cash_acceptor)
    acc.device.set_escrow_policy(lambda _e: gate.get(timeout=30))  # hold the note in escrow
    acc.open()
    try:
        acc.device.enable()
        virtual_cash_acceptor.insert(100)
        acc.next(BillEventKind.ESCROW)
        virtual_cash_acceptor.power_cycle()  # the validator restarts with the note inside
        gate.put(True)  # too late: escrow is empty, routing answers "escrow empty"
        assert acc.next(BillEventKind.RESET).counter == 0
        assert virtual_cash_acceptor.state.returned == [6]
        assert virtual_cash_acceptor.cashbox_fen() == 0
        # the driver re-enables the validator after its reset
        wait_for(lambda: virtual_cash_acceptor.state.master_enabled)
        acc.device.set_escrow_policy(lambda _e: True)
        virtual_cash_acceptor.insert(10)
        assert acc.next(BillEventKind.STACKED).counter == 2
    finally:
        acc.device.close()


def test_a_jam_is_a_hardware_error_until_a_reset(acceptor, virtual_cash_acceptor):
    virtual_cash_acceptor.jam()
    fault = acceptor.next(BillEventKind.FAULT)
    assert fault.reason == "note jammed in transport"
    wait_for(lambda: acceptor.device.status.state is DeviceState.HARDWARE_ERROR)
    assert acceptor.device.status.reason == "note jammed in transport"
    assert acceptor.device.reset().ok
    acceptor.next(BillEventKind.RESET)
    wait_for(lambda: acceptor.device.status.state is DeviceState.READY)


def test_a_full_cashbox_needs_a_person(acceptor, virtual_cash_acceptor):
    virtual_cash_acceptor.fill_stacker()
    wait_for(lambda: acceptor.device.status.state is DeviceState.USER_ERROR)
    assert acceptor.device.status.facts["stacker"] is Fact.BAD
    virtual_cash_acceptor.insert(10)
    assert acceptor.next(BillEventKind.FAULT).reason == "cashbox full"
    virtual_cash_acceptor.empty_stacker()
    wait_for(lambda: acceptor.device.status.state is DeviceState.READY)
    assert acceptor.device.status.facts["stacker"] is Fact.GOOD


def test_a_fraud_attempt_is_reported(acceptor, virtual_cash_acceptor):
    virtual_cash_acceptor.string_fraud()
    assert acceptor.next(BillEventKind.FAULT).reason == "fraud attempt: string"
    wait_for(lambda: acceptor.device.status.facts["last_event"] == "fraud attempt: string")


def test_unplugged_and_plugged_back(acceptor, virtual_cash_acceptor):
    virtual_cash_acceptor.unplug()
    wait_for(lambda: acceptor.device.status.state is DeviceState.NO_DEVICE)
    virtual_cash_acceptor.plug()
    wait_for(lambda: acceptor.device.status.state is DeviceState.READY)
    virtual_cash_acceptor.insert(20)
    assert acceptor.next(BillEventKind.STACKED).value_fen == 2000


def test_health_checks(acceptor, virtual_cash_acceptor):
    assert acceptor.device.health_check().outcome is Outcome.PASS
    external = acceptor.device.health_check(HealthLevel.EXTERNAL)
    assert external.outcome is Outcome.PASS
    assert external.details["product"] == "SIM-BV1"
    import threading

    threading.Timer(0.3, virtual_cash_acceptor.insert, (5,)).start()
    interactive = acceptor.device.health_check(HealthLevel.INTERACTIVE, wait_s=20)
    assert interactive.outcome is Outcome.PASS
    assert "500 fen" in interactive.summary
    wait_for(lambda: virtual_cash_acceptor.state.returned == [2])
    assert virtual_cash_acceptor.cashbox_fen() == 0


def test_a_port_where_nothing_speaks_cctalk_is_offline(pty_pair):
    device = BillValidator(pty_pair.path, poll_s=0.05)
    device.open()
    try:
        wait_for(lambda: device.status.state is DeviceState.OFFLINE)
        assert device.status.reason == "cash acceptor not answering"
        assert device.health_check(HealthLevel.EXTERNAL).outcome is Outcome.FAIL
    finally:
        device.close()
