"""The kiosk's own client talks TLS to a platform whose certificate a private CA signed,
trusting exactly the CAs of `central.ca_bundle`: the real platform simulator over https on
127.0.0.1, with certificates made in the test (tests/diag/tlskit.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_sim import DEMO_ENROLL_CODE, DEMO_SECRET, DEMO_TERMINAL_ID
from kiosk.central.client import CentralClient
from kiosk.central.errors import Unreachable
from kiosk.config import save_terminal_file
from tests.diag.tlskit import PrivateCa, https_central_sim


@pytest.fixture(scope="module")
def hospital_ca(tmp_path_factory) -> PrivateCa:
    return PrivateCa(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def https_platform(tmp_path: Path, hospital_ca: PrivateCa) -> Iterator[str]:
    cert, key = hospital_ca.issue()
    with https_central_sim(tmp_path / "central.sqlite3", cert, key) as url:
        yield url


def _client(url: str, **kw) -> CentralClient:
    return CentralClient(url, DEMO_TERMINAL_ID, DEMO_SECRET, read_attempts=1, **kw)


def test_trusts_the_platform_signed_by_the_configured_ca(https_platform, hospital_ca):
    with _client(https_platform, ca_bundle=hospital_ca.cert_path) as client:
        assert client.ping().terminal_id == DEMO_TERMINAL_ID
        assert client.get_balance("P0001").balance_fen == 12850  # a signed read over TLS


@pytest.mark.parametrize(
    "ca_bundle", [None, ""], ids=["constructor-default-certifi", "empty-system-store"]
)
def test_without_the_private_ca_the_platform_is_not_trusted(https_platform, ca_bundle):
    with (
        _client(https_platform, ca_bundle=ca_bundle) as client,
        pytest.raises(Unreachable) as caught,
    ):
        client.ping()
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


def test_another_ca_is_not_enough(https_platform, tmp_path: Path):
    stranger = PrivateCa(tmp_path, "Some Other CA")
    with (
        _client(https_platform, ca_bundle=stranger.cert_path) as client,
        pytest.raises(Unreachable) as caught,
    ):
        client.ping()
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


@pytest.mark.parametrize("bundle", ["absent.pem", "not-a-certificate.pem"])
def test_an_unusable_bundle_names_itself_and_trusts_nothing(
    https_platform, tmp_path: Path, bundle: str
):
    path = tmp_path / bundle
    if bundle.startswith("not-a"):
        path.write_text("this is not PEM\n", encoding="utf-8")
    client = _client(https_platform, ca_bundle=path)  # the kiosk still starts: no raise here
    with client, pytest.raises(Unreachable) as caught:
        client.top_up("P0001", 100, "qr", "ref-tls-0001")
    assert f"the CA bundle {path} cannot be used" in str(caught.value)
    assert not caught.value.outcome_unknown  # nothing left the terminal: safe to retry


def test_enrollment_over_tls_with_the_configured_ca(tmp_path: Path, https_platform, hospital_ca):
    config = tmp_path / "kiosk.toml"
    save_terminal_file(
        config,
        {
            "terminal": {"id": "K-TLS-01"},
            "central": {"url": https_platform, "ca_bundle": str(hospital_ca.cert_path)},
            "paths": {"data_dir": str(tmp_path / "data")},
        },
    )
    enroll = [sys.executable, "-m", "kiosk.cli", "--config", str(config), "enroll"]
    args = ["--url", https_platform, "--code", DEMO_ENROLL_CODE]

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*enroll, *args, *extra],
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ.copy(),
        )

    # --ca-bundle "" overrides the config with the system store: the secret is not sent
    refused = run("--ca-bundle", "")
    assert refused.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in refused.stderr
    enrolled = run()
    assert enrolled.returncode == 0, enrolled.stderr
    assert "a signed request with the new secret was accepted" in enrolled.stdout
