"""The TLS check against a real TLS server on 127.0.0.1 with a certificate made for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.device import HealthLevel, Outcome
from kiosk.config import load_config
from kiosk.diagnostics import DiagContext, run_checks
from tests.diag.tlskit import PrivateCa, https_central_sim, self_signed, serve_tls


@pytest.fixture
def tls_server(tmp_path: Path):
    def start(days: int) -> tuple[int, Path]:
        cert, key = self_signed(tmp_path, days)
        gen = serve_tls(cert, key)
        servers.append(gen)
        return next(gen), cert

    servers: list = []
    yield start
    for gen in servers:
        next(gen, None)


def _tls(tmp_path: Path, port: int, ca_bundle: str = "") -> object:
    config = load_config(
        overrides={
            "central": {"url": f"https://localhost:{port}", "ca_bundle": ca_bundle},
            "paths": {"data_dir": str(tmp_path / "data")},
        }
    )
    (result,) = run_checks(
        DiagContext(config, data_dir=config.data_dir()), HealthLevel.INTERNAL, names=["tls"]
    )
    return result


def test_untrusted_certificate_fails_and_names_the_fix(tmp_path: Path, tls_server):
    port, _cert = tls_server(365)
    result = _tls(tmp_path, port)
    assert result.outcome is Outcome.FAIL
    assert "not trusted" in result.summary and "central.ca_bundle" in result.cause


def test_trusted_with_the_configured_ca_bundle(tmp_path: Path, tls_server):
    port, cert = tls_server(365)
    result = _tls(tmp_path, port, str(cert))
    assert result.outcome is Outcome.PASS and "valid until" in result.summary


def test_certificate_about_to_expire_warns(tmp_path: Path, tls_server):
    port, cert = tls_server(10)
    result = _tls(tmp_path, port, str(cert))
    assert result.outcome is Outcome.WARN and "renew" in result.cause


def test_plain_http_is_skipped_with_a_note(tmp_path: Path):
    config = load_config(overrides={"paths": {"data_dir": str(tmp_path)}})
    (result,) = run_checks(DiagContext(config, data_dir=tmp_path), names=["tls"])
    assert result.outcome is Outcome.SKIPPED and "plain http" in result.summary


def test_dns_failure_names_the_host(tmp_path: Path):
    config = load_config(
        overrides={
            "central": {"url": "https://no-such-host.invalid"},
            "paths": {"data_dir": str(tmp_path)},
        }
    )
    (result,) = run_checks(DiagContext(config, data_dir=tmp_path), names=["dns"])
    assert result.outcome is Outcome.FAIL and "no-such-host.invalid" in result.summary


def test_missing_ca_bundle_is_named(tmp_path: Path, tls_server):
    port, _cert = tls_server(365)
    result = _tls(tmp_path, port, str(tmp_path / "absent-ca.pem"))
    assert result.outcome is Outcome.FAIL and "absent-ca.pem does not exist" in result.summary


def test_api_round_trip_over_tls_uses_the_kiosk_client_with_the_ca_bundle(tmp_path: Path):
    ca = PrivateCa(tmp_path)
    cert, key = ca.issue()
    with https_central_sim(tmp_path / "central.sqlite3", cert, key) as url:
        results = {}
        for bundle in (str(ca.cert_path), ""):
            config = load_config(
                overrides={
                    "central": {"url": url, "ca_bundle": bundle},
                    "paths": {"data_dir": str(tmp_path / "data")},
                }
            )
            ctx = DiagContext(config, data_dir=config.data_dir())
            (results[bundle],) = run_checks(ctx, names=["api"])
    trusted, untrusted = results[str(ca.cert_path)], results[""]
    assert trusted.outcome is Outcome.PASS, trusted
    assert untrusted.outcome is Outcome.FAIL and "CERTIFICATE_VERIFY_FAILED" in untrusted.summary
    assert "does not trust the platform's certificate" in untrusted.cause
