"""Certificates made in the test and real TLS servers on 127.0.0.1, for the TLS diagnostics
and the central client's CA bundle (tests/central/test_tls_client.py).

- `self_signed(dir, days)`: one certificate for "localhost" that is its own CA.
- `PrivateCa(dir)`: a hospital's private CA; `.issue(days)` signs a server certificate for
  "localhost" and 127.0.0.1, as a platform behind a private CA would present.
- `serve_tls(cert, key)`: a generator running a TLS server that handshakes and hangs up.
- `https_central_sim(data_path, cert, key)`: the platform simulator itself over https.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_SERVER_NAMES = x509.SubjectAlternativeName(
    [x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]
)


def _write_pair(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key, days: int
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def self_signed(directory: Path, days: int) -> tuple[Path, Path]:
    """(cert, key) of a certificate for localhost valid `days` more days, its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(_name("localhost"), _name("localhost"), key.public_key(), days)
        .add_extension(_SERVER_NAMES, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return _write_pair(directory, f"self-signed-{days}", cert, key)


class PrivateCa:
    """A CA of our own; `.cert_path` is the PEM bundle a terminal puts in central.ca_bundle."""

    def __init__(self, directory: Path, name: str = "Demo Hospital Private CA") -> None:
        self.directory = directory
        self.name = _name(name)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (
            _builder(self.name, self.name, self.key.public_key(), 3650)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        stem = name.lower().replace(" ", "-")
        self.cert_path, _ = _write_pair(directory, stem, self.cert, self.key)

    def issue(self, days: int = 365) -> tuple[Path, Path]:
        """(cert, key) of a server certificate for localhost and 127.0.0.1 signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(_name("localhost"), self.name, key.public_key(), days)
            .add_extension(_SERVER_NAMES, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        return _write_pair(self.directory, f"server-{x509.random_serial_number()}", cert, key)


def serve_tls(cert: Path, key: Path) -> Iterator[int]:
    """Yield the port of a TLS server on 127.0.0.1 that handshakes, reads a byte, hangs up."""
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


@contextlib.contextmanager
def https_central_sim(data_path: Path, cert: Path, key: Path) -> Iterator[str]:
    """The real platform simulator served over https on 127.0.0.1 with `cert`; yields its
    https://localhost:PORT URL. The simulator has no TLS switch of its own, so this turns on
    uvicorn's TLS in the server's config before it starts (as a deployment would)."""
    from central_sim.server import build_server

    sock = socket.create_server(("127.0.0.1", 0))
    sock.setblocking(False)
    server, store, _faults, _traffic = build_server(sock, data_path, seed=1)
    server.config.ssl_certfile, server.config.ssl_keyfile = str(cert), str(key)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the https central simulator did not start")
        time.sleep(0.01)
    try:
        yield f"https://localhost:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()
        sock.close()
