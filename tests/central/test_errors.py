"""Every typed error of the client, each produced for real: a closed port, the simulator's
fault switches (connection drops, delayed replies, 503s, garbled replies) and refusals."""

from __future__ import annotations

import socket

import pytest

from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
from kiosk.central.client import CentralClient
from kiosk.central.errors import (
    CentralError,
    MalformedReply,
    Rejected,
    ServerFault,
    Timeout,
    Unreachable,
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_explains_itself(error: CentralError) -> None:
    assert error.operator and str(error) == error.operator
    assert error.message_zh and error.message_en


def test_nothing_listening_is_unreachable_and_not_applied():
    client = CentralClient(f"http://127.0.0.1:{closed_port()}", DEMO_TERMINAL_ID, DEMO_SECRET)
    with pytest.raises(Unreachable) as caught:
        client.top_up("P0001", 100, "qr", "ref-gone-0001")
    assert not caught.value.outcome_unknown and caught.value.retryable
    assert caught.value.idempotency_key == "order:ref-gone-0001"
    assert_explains_itself(caught.value)


def test_switched_down_platform_looks_unreachable(central_sim, central_client):
    central_client.ping()  # a pooled keep-alive connection exists: it must be dropped too
    central_sim.set_faults(down=True)
    with pytest.raises(Unreachable) as caught:
        central_client.get_balance("P0001")
    assert_explains_itself(caught.value)
    with pytest.raises(Unreachable) as caught:
        central_client.top_up("P0001", 100, "qr", "ref-down-0001")
    assert caught.value.outcome_unknown  # the request was sent; only the key can tell
    central_sim.set_faults(down=False)
    assert central_client.find_order_by_client_ref("ref-down-0001") is None
    assert central_client.get_balance("P0001").balance_fen == 12850


def test_slow_platform_is_a_timeout(central_sim):
    central_sim.set_faults(latency_ms=1500)
    with CentralClient(
        central_sim.url, DEMO_TERMINAL_ID, DEMO_SECRET, timeout_s=0.3, read_attempts=1
    ) as client:
        with pytest.raises(Timeout) as read:
            client.get_balance("P0001")
        assert not read.value.outcome_unknown
        with pytest.raises(Timeout) as write:
            client.top_up("P0001", 100, "qr", "ref-slow-0001")
    assert write.value.outcome_unknown
    assert_explains_itself(write.value)


def test_503_is_a_retryable_server_fault(central_sim, central_client):
    central_sim.set_faults(error_rate=1.0)
    with pytest.raises(ServerFault) as caught:
        central_client.get_balance("P0001")
    assert caught.value.status == 503 and caught.value.retryable
    assert not caught.value.outcome_unknown
    assert_explains_itself(caught.value)


def attempts(central_sim, call) -> int:
    before = central_sim.traffic.v1_requests
    with pytest.raises(CentralError):
        call()
    return central_sim.traffic.v1_requests - before


def test_retries_only_where_safe(central_sim, central_client):
    central_sim.set_faults(error_rate=1.0)  # 503 before anything is applied: safe to resend
    assert attempts(central_sim, lambda: central_client.get_balance("P0001")) == 2
    assert attempts(central_sim, lambda: central_client.top_up("P0001", 100, "qr", "r-503-01")) == 2
    central_sim.set_faults(garbled=True)  # applied, reply lost: only the caller may resend
    assert attempts(central_sim, lambda: central_client.top_up("P0001", 100, "qr", "r-grb-01")) == 1
    assert attempts(central_sim, lambda: central_client.get_balance("P0001")) == 1
    central_sim.set_faults()
    refused = lambda: central_client.top_up("P0001", 100, "card_balance", "r-rej-01")  # noqa: E731
    assert attempts(central_sim, refused) == 1


def test_garbled_reply_is_malformed(central_sim, central_client):
    central_sim.set_faults(garbled=True)
    with pytest.raises(MalformedReply) as caught:
        central_client.get_balance("P0001")
    assert not caught.value.retryable
    assert_explains_itself(caught.value)
    with pytest.raises(MalformedReply) as write:
        central_client.top_up("P0001", 100, "qr", "ref-garb-0001")
    assert write.value.outcome_unknown  # applied, but the reply was lost
    central_sim.set_faults(garbled=False)
    assert central_client.find_order_by_client_ref("ref-garb-0001") is not None


def test_refusal_is_rejected_with_code_messages_and_retryability(central_client):
    with pytest.raises(Rejected) as caught:
        central_client.get_order("O-NO-SUCH-ORDER")
    error = caught.value
    assert (error.code, error.status, error.retryable) == ("order_not_found", 404, False)
    assert error.request_id.startswith("R")
    assert_explains_itself(error)


def test_reply_not_matching_the_contract_is_malformed(central_sim):
    # /admin/state answers JSON, but not a Balance: the client must not accept it
    from kiosk.central import models

    client = CentralClient(central_sim.url, DEMO_TERMINAL_ID, DEMO_SECRET)
    with client, pytest.raises(MalformedReply, match="does not match the contract"):
        client._get("/admin/state", models.Balance)
