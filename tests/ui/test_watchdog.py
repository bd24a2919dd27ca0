"""The systemd watchdog is fed over a real unix datagram socket, and only while alive."""

from __future__ import annotations

import socket

from ui.watchdog import Watchdog, sd_notify


def drain(server: socket.socket) -> list[bytes]:
    messages = []
    while True:
        try:
            messages.append(server.recv(256))
        except BlockingIOError:
            return messages


def test_ready_then_watchdog_pings_while_alive(qtbot, tmp_path):
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        server.setblocking(False)
        alive = [True]
        dog = Watchdog(lambda: alive[0], {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"})
        dog.ready()
        seen: list[bytes] = []
        qtbot.waitUntil(lambda: seen.extend(drain(server)) or b"WATCHDOG=1" in seen, timeout=5_000)
        assert seen[0].startswith(b"READY=1")
        alive[0] = False  # the core died: the pings stop, so systemd restarts the kiosk
        qtbot.wait(150)
        drain(server)
        qtbot.wait(500)
        assert drain(server) == []
        dog.stopping()
        assert drain(server) == [b"STOPPING=1"]


def test_without_systemd_nothing_is_sent():
    assert sd_notify("READY=1", {}) is False
