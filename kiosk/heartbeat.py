"""The heartbeat: every N seconds, tell the platform this terminal is alive and how it is.

Each beat carries the devices' states, the outbox depth and the age of its oldest
item, and the software version. It runs on its own thread; a failed beat is
logged and retried at the next interval (a heartbeat is never queued: a stale one
is worthless). The last reply (with the platform's clock skew) and the last
error are kept for the engineer screen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drivers.device import Device, DeviceStatus

log = logging.getLogger(__name__)

REASON_MAX = 200  # the contract's limit on a device's reason


@dataclass(frozen=True)
class Backlog:
    depth: int
    oldest_age_s: int


DevicesFn = Callable[[], Iterable[tuple[str, DeviceStatus]]]
BacklogFn = Callable[[], Backlog]


def device_states(devices: Iterable[Device]) -> DevicesFn:
    """A DevicesFn over live driver objects: their current status, no I/O."""
    fitted = list(devices)
    return lambda: [(d.name, d.status) for d in fitted]


def store_backlog(store: Any, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
    """A BacklogFn over an offline_store.OfflineStore."""

    def backlog() -> Backlog:
        b = store.outbox.backlog()
        return Backlog(b.count, int(b.oldest_age_s(clock())))

    return backlog


class Heartbeat:
    def __init__(
        self,
        client: Any,  # kiosk.central.CentralClient
        interval_s: float,
        software_version: str,
        devices: DevicesFn = lambda: [],
        backlog: BacklogFn = lambda: Backlog(0, 0),
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"heartbeat interval must be positive, not {interval_s!r}")
        self._client = client
        self._interval_s = interval_s
        self._version = software_version
        self._devices = devices
        self._backlog = backlog
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_reply: Any = None
        self.last_error: str = ""
        self.last_sent_at: datetime | None = None
        self.beats = 0

    @classmethod
    def from_config(
        cls, config: Any, client: Any, devices: Iterable[Device] = (), store: Any = None
    ) -> Heartbeat:
        """The kiosk's heartbeat: interval from central.heartbeat_interval_s, live devices,
        and the offline store's backlog when there is one."""
        from kiosk import __version__

        backlog = store_backlog(store) if store is not None else (lambda: Backlog(0, 0))
        return cls(
            client,
            config.central.heartbeat_interval_s,
            __version__,
            device_states(devices),
            backlog,
        )

    def beat(self) -> Any:
        """Send one heartbeat now; returns the platform's reply, raises CentralError."""
        from kiosk.central.models import DeviceReport

        reports = [
            DeviceReport(
                name=name[:32], state=status.state.value, reason=status.reason[:REASON_MAX]
            )
            for name, status in self._devices()
        ]
        backlog = self._backlog()
        reply = self._client.heartbeat(
            self._version,
            reports,
            outbox_depth=backlog.depth,
            oldest_outbox_age_s=max(0, backlog.oldest_age_s),
        )
        self.last_reply, self.last_error = reply, ""
        self.last_sent_at = datetime.now(UTC)
        self.beats += 1
        return reply

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._safe_beat()
            self._stop.wait(self._interval_s)

    def _safe_beat(self) -> None:
        from kiosk.central.errors import CentralError

        try:
            reply = self.beat()
            if abs(reply.clock_skew_s) > 30:
                log.warning("heartbeat: clock %+d s off the platform's", reply.clock_skew_s)
        except CentralError as exc:
            self.last_error = exc.operator
            log.warning("heartbeat not delivered: %s", exc.operator)
        except Exception as exc:  # a broken device or store must not kill the heartbeat
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("heartbeat failed")
