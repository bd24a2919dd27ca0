"""Request signatures: each way of getting one wrong is refused with its own code, and
nothing it asked for is applied."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
from kiosk.central.signing import H_NONCE, H_SIGNATURE, MAX_CLOCK_SKEW_S, sign_headers

TOP_UP = {
    "client_ref": "ref-sign-0001",
    "patient_id": "P0002",
    "pay_for": {"purpose": "top_up", "amount_fen": 5000},
    "payment": {"method": "cash", "cash_fen": 5000},
}


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    headers = {**headers, "Content-Type": "application/json", "Idempotency-Key": "sig-test-key-1"}
    return httpx.post(url + "/v1/orders", content=body, headers=headers, timeout=10)


def signed(body: bytes, secret: bytes = DEMO_SECRET, **kw) -> dict[str, str]:
    return sign_headers(secret, DEMO_TERMINAL_ID, "POST", "/v1/orders", body, **kw)


def balance_of_p0002(url: str) -> int:
    path = "/v1/patients/P0002/balance"
    headers = sign_headers(DEMO_SECRET, DEMO_TERMINAL_ID, "GET", path, b"")
    return httpx.get(url + path, headers=headers, timeout=10).json()["balance_fen"]


def assert_refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401, response.text
    error = response.json()
    assert error["code"] == code
    assert error["message_zh"] and error["message_en"] and error["retryable"] is False


@pytest.fixture
def body() -> bytes:
    return json.dumps(TOP_UP).encode()


def test_correct_signature_is_accepted(central_sim, body):
    response = post(central_sim.url, body, signed(body))
    assert response.status_code == 200, response.text
    assert balance_of_p0002(central_sim.url) == 8000


def test_tampered_body_is_refused(central_sim, body):
    headers = signed(body)
    tampered = body.replace(b"5000", b"9000")
    assert_refused(post(central_sim.url, tampered, headers), "body_hash_mismatch")
    assert balance_of_p0002(central_sim.url) == 3000


def test_old_timestamp_is_refused(central_sim, body):
    headers = signed(body, now=time.time() - MAX_CLOCK_SKEW_S - 60)
    assert_refused(post(central_sim.url, body, headers), "timestamp_stale")


def test_future_timestamp_is_refused(central_sim, body):
    headers = signed(body, now=time.time() + MAX_CLOCK_SKEW_S + 60)
    assert_refused(post(central_sim.url, body, headers), "timestamp_stale")


def test_replayed_nonce_is_refused(central_sim, body):
    headers = signed(body)
    assert post(central_sim.url, body, headers).status_code == 200
    # the very same signed request again (an attacker replaying it), even with a fresh key
    replay = {**headers, "Idempotency-Key": "sig-test-key-2"}
    response = httpx.post(
        central_sim.url + "/v1/orders",
        content=body,
        timeout=10,
        headers={**replay, "Content-Type": "application/json"},
    )
    assert_refused(response, "nonce_replayed")
    assert balance_of_p0002(central_sim.url) == 8000


def test_replay_is_refused_after_a_restart(tmp_path, body):
    from central_sim.server import start_in_thread

    data = tmp_path / "central.sqlite3"
    headers = signed(body)
    with start_in_thread(data_path=data) as first:
        assert post(first.url, body, headers).status_code == 200
    with start_in_thread(data_path=data) as second:
        assert_refused(post(second.url, body, headers), "nonce_replayed")


def test_wrong_key_is_refused(central_sim, body):
    headers = signed(body, secret=b"not the terminal's secret at all")
    assert_refused(post(central_sim.url, body, headers), "signature_invalid")
    assert balance_of_p0002(central_sim.url) == 3000


def test_signature_covers_the_path(central_sim):
    headers = sign_headers(DEMO_SECRET, DEMO_TERMINAL_ID, "GET", "/v1/patients/P0001/balance", b"")
    response = httpx.get(central_sim.url + "/v1/patients/P0003/balance", headers=headers)
    assert_refused(response, "signature_invalid")


def test_unknown_terminal_is_refused(central_sim, body):
    headers = sign_headers(DEMO_SECRET, "NOBODY-9999", "POST", "/v1/orders", body)
    assert_refused(post(central_sim.url, body, headers), "terminal_unknown")


def test_missing_or_malformed_headers_are_refused(central_sim, body):
    assert_refused(post(central_sim.url, body, {}), "auth_missing")
    headers = signed(body)
    del headers[H_SIGNATURE]
    assert_refused(post(central_sim.url, body, headers), "auth_missing")
    assert_refused(post(central_sim.url, body, {**signed(body), H_NONCE: "short"}), "auth_missing")


def test_unsigned_request_never_reaches_validation(central_sim):
    # a broken body without a signature gets 401, not 422: nothing is parsed for strangers
    response = post(central_sim.url, b"{not json", {})
    assert_refused(response, "auth_missing")


def test_every_attempt_is_signed_afresh(central_sim, central_client):
    """A retry must never look like a replay: the client re-signs each send."""
    request = central_client._http.build_request("GET", "/v1/ping")
    nonces = set()
    for _ in range(3):
        response = central_client._http.send(request)
        assert response.status_code == 200, response.text
        nonces.add(response.request.headers[H_NONCE])
    assert len(nonces) == 3
