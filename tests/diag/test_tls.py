"""The TLS check against a real TLS server on 127.0.0.1 with a certificate made for the test."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from drivers.device import HealthLevel, Outcome
from kiosk.config import load_config
from kiosk.diagnostics import DiagContext, run_checks


def _certificate(tmp_path: Path, days: int) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"cert{days}.pem", tmp_path / f"key{days}.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _serve(cert: Path, key: Path) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(client, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass  # the kiosk refused our certificate: that is what some tests want

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    with contextlib.suppress(OSError):
        server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
    server.close()
    thread.join(5)


@pytest.fixture
def tls_server(tmp_path: Path):
    def start(days: int) -> tuple[int, Path]:
        cert, key = _certificate(tmp_path, days)
        gen = _serve(cert, key)
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
