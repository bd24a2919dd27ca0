"""systemd notifications by hand (sd_notify over $NOTIFY_SOCKET): READY=1 once the kiosk
is up, then WATCHDOG=1 from a GUI-thread timer while the core loop is alive too.

Fed from the GUI thread on purpose: a frozen event loop or a dead core stops the
pings, and systemd (WatchdogSec= in deploy/lobby-kiosk.service) restarts the kiosk.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)


def sd_notify(message: str, environ: dict[str, str] | None = None) -> bool:
    """Send one notification; False when not run by systemd (no $NOTIFY_SOCKET)."""
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        log.warning("sd_notify %s failed: %s", message.split("=")[0], exc)
        return False
    return True


def watchdog_interval_ms(environ: dict[str, str] | None = None) -> int | None:
    """Half of $WATCHDOG_USEC, as systemd recommends; None when no watchdog is set."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return max(50, int(usec) // 2000)


class Watchdog(QObject):
    def __init__(self, alive: Callable[[], bool], environ: dict[str, str] | None = None) -> None:
        super().__init__()
        self._alive = alive
        self._environ = environ
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._feed)

    def ready(self) -> None:
        sd_notify("READY=1\nSTATUS=kiosk ready", self._environ)
        interval = watchdog_interval_ms(self._environ)
        if interval is not None:
            self._timer.start(interval)

    def stopping(self) -> None:
        self._timer.stop()
        sd_notify("STOPPING=1", self._environ)

    def _feed(self) -> None:
        if self._alive():
            sd_notify("WATCHDOG=1", self._environ)
        else:
            log.error("core loop not alive: not feeding the watchdog")
