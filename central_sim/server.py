"""Running the simulator: in a thread of this process (tests, demo) or as a process of its own.

"down" is made at the connection level: a custom h11 protocol drops (aborts) any
connection that sends a /v1 request while the switch is on, so the client sees an
unreachable platform, not an HTTP error. /admin stays reachable to switch it back.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from central_sim.app import create_app
from central_sim.faults import Faults, Traffic
from central_sim.store import Store

log = logging.getLogger(__name__)

_ADMIN_PREFIXES = (b"/admin", b"/pay/", b"/docs", b"/openapi.json")


def _protocol_with_faults(faults: Faults) -> type[H11Protocol]:
    class DroppingH11Protocol(H11Protocol):
        def connection_made(self, transport) -> None:  # type: ignore[override]
            # no Nagle: a reply written in two parts must not wait for the peer's delayed ACK
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)

        def data_received(self, data: bytes) -> None:
            if faults.down and not _is_admin_request(data):
                self.transport.abort()  # RST: to the client, the platform is gone
                return
            super().data_received(data)

    return DroppingH11Protocol


def _is_admin_request(data: bytes) -> bool:
    parts = data.split(b" ", 2)
    return len(parts) >= 2 and parts[1].startswith(_ADMIN_PREFIXES)


@dataclass
class SimHandle:
    """A running simulator. `url` is "http://127.0.0.1:PORT"."""

    url: str
    port: int
    store: Store
    faults: Faults
    traffic: Traffic
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def set_faults(
        self,
        down: bool = False,
        latency_ms: int = 0,
        error_rate: float = 0.0,
        garbled: bool = False,
        payment_never_completes: bool = False,
        place_taken_after_payment: bool = False,
        **more: Any,
    ) -> None:
        """Set every switch at once: the ones not named go back to their defaults.

        `more`: qr_pays_after_s, qr_expires_after_s. To change only some, `update_faults`.
        """
        defaults = Faults()
        more = {
            "qr_pays_after_s": defaults.qr_pays_after_s,
            "qr_expires_after_s": defaults.qr_expires_after_s,
            **more,
        }
        self.faults.update(
            down=down,
            latency_ms=latency_ms,
            error_rate=error_rate,
            garbled=garbled,
            payment_never_completes=payment_never_completes,
            place_taken_after_payment=place_taken_after_payment,
            **more,
        )

    def update_faults(self, **changes: Any) -> None:
        """Change only the named switches (as POST /admin/faults does)."""
        self.faults.update(**changes)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout_s)
        self.store.close()

    def __enter__(self) -> SimHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def build_server(
    sock: socket.socket, data_path: str | Path | None, seed: int
) -> tuple[uvicorn.Server, Store, Faults, Traffic]:
    faults, traffic = Faults(), Traffic()
    store = Store(data_path, seed, faults)
    host, port = sock.getsockname()[:2]
    store.public_url = f"http://{host}:{port}"
    config = uvicorn.Config(
        create_app(store, faults, traffic),
        http=_protocol_with_faults(faults),
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config), store, faults, traffic


def start_in_thread(
    port: int = 0, data_path: str | Path | None = None, seed: int = 1, host: str = "127.0.0.1"
) -> SimHandle:
    """Start a simulator on `host:port` (0: a free port) and return once it accepts requests."""
    sock = _bind(host, port)
    server, store, faults, traffic = build_server(sock, data_path, seed)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="central-sim", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the central simulator did not start")
        time.sleep(0.005)
    bound = sock.getsockname()[1]
    return SimHandle(f"http://{host}:{bound}", bound, store, faults, traffic, server, thread)


def run_forever(port: int, data_path: str | Path | None, seed: int = 1, host: str = "127.0.0.1"):
    """Run in the foreground until interrupted (Ctrl-C); used by `kiosk sim central`."""
    sock = _bind(host, port)
    server, store, _faults, _traffic = build_server(sock, data_path, seed)
    print(f"central simulator listening on {store.public_url}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        store.close()
