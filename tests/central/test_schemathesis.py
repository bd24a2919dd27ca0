"""schemathesis against the simulator and the committed contract (contract/openapi.json).

Real HTTP on loopback; every request signed by the demo terminal. Bounded runs:
a handful of examples per operation, and a short stateful run over the contract's links.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
from kiosk.central.signing import SIGNED_HEADERS, sign_headers

CONTRACT = Path(__file__).resolve().parents[2] / "contract" / "openapi.json"

schema = schemathesis.openapi.from_path(str(CONTRACT))


class _SignedByDemoTerminal(requests.auth.AuthBase):
    """Replaces the placeholder signature headers schemathesis generates with a real signature.

    A case that leaves one of them out on purpose (a negative case) goes out as generated,
    so the platform must refuse it.
    """

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not all(name in request.headers for name in SIGNED_HEADERS):
            return request
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        request.headers.update(
            sign_headers(DEMO_SECRET, DEMO_TERMINAL_ID, request.method, request.path_url, body)
        )
        return request


@pytest.fixture(scope="module")
def fuzzed_sim(tmp_path_factory):
    from central_sim.server import start_in_thread

    handle = start_in_thread(data_path=tmp_path_factory.mktemp("fuzz") / "central.sqlite3")
    yield handle
    handle.stop()


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_simulator_conforms_to_contract(case, fuzzed_sim):
    case.call_and_validate(base_url=fuzzed_sim.url, auth=_SignedByDemoTerminal(), timeout=10)


def test_stateful_sequences_follow_the_contract(fuzzed_sim):
    """Chains of calls along the contract's links (create an order, then get, find, cancel it)."""

    class Machine(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": fuzzed_sim.url, "auth": _SignedByDemoTerminal(), "timeout": 10}

    Machine.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
