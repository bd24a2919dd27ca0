"""The device model every driver follows (card reader, printer, scanner, cash acceptor).

Modelled on XFS4IoT / UnifiedPOS: one state shared by all devices, device-specific
status kept apart from capabilities, "unknown" and "not supported" as values of
their own, status events only on change, health checks at three levels, and
operations that return typed results instead of raising (a card can leave, a
printer can be switched off, at any moment).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class DeviceState(StrEnum):
    """The state common to all devices (XFS4IoT "device" status)."""

    READY = "ready"  # online and able to work
    BUSY = "busy"  # online, working on an operation
    OFFLINE = "offline"  # present but not answering (powered off, cable out, daemon gone)
    NO_DEVICE = "no_device"  # nothing there: not attached or not configured
    HARDWARE_ERROR = "hardware_error"  # present and answering, but broken (jam, cutter error)
    USER_ERROR = "user_error"  # needs a person: paper out, cover open, unreadable card
    UNKNOWN = "unknown"  # not yet determined (before the first status read)


class Fact(StrEnum):
    """A device-specific status fact: three-way, plus "not supported".

    "unknown" is never shown as "bad": a printer that does not answer a status
    query is *unknown*, not out of paper.
    """

    GOOD = "good"
    BAD = "bad"
    UNKNOWN = "unknown"
    NOT_SUPPORTED = "not_supported"


class HealthLevel(StrEnum):
    INTERNAL = "internal"  # no side effect: state and connection only
    EXTERNAL = "external"  # exercises the device: reads a card, prints a test slip
    INTERACTIVE = "interactive"  # needs a person: insert a card, scan a code


class Outcome(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"  # the level asked for does not apply, or the device is not fitted


_ROUTINE_STATES = (DeviceState.READY, DeviceState.BUSY)


@dataclass(frozen=True)
class DeviceStatus:
    """A snapshot of a device's status. `facts` holds the device-specific part.

    `reason` is a sentence an operator understands ("paper out", "pcscd not
    running"); it never contains patient data.
    """

    state: DeviceState
    reason: str = ""
    facts: Mapping[str, Fact | str] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthResult:
    device: str
    level: HealthLevel
    outcome: Outcome
    summary: str  # operator wording: what was checked and what was found
    cause: str = ""  # on warn/fail: what an engineer can act on
    details: Mapping[str, str] = field(default_factory=dict)
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Ok(Generic[T]):
    value: T
    ok: bool = True


@dataclass(frozen=True)
class Err:
    """A failed operation: a stable machine code plus an operator sentence."""

    code: str
    message: str
    retryable: bool = False
    ok: bool = False


Result = Ok[T] | Err

StatusListener = Callable[[DeviceStatus], None]


class Device(ABC):
    """Base for every driver: status with change-only events, and a health check.

    Listeners are called on the device's own hardware thread; a UI must re-post
    the event to its own thread (ui/ does this with Qt signals).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._status = DeviceStatus(DeviceState.UNKNOWN, "not checked yet")
        self._status_lock = threading.Lock()
        self._listeners: list[StatusListener] = []

    @property
    def status(self) -> DeviceStatus:
        return self._status

    @abstractmethod
    def capabilities(self) -> Mapping[str, object]:
        """What the device can do; fixed for the life of a connection, apart from status."""

    @abstractmethod
    def open(self) -> None:
        """Start using the device (connect, start the hardware thread). Never raises on absence."""

    @abstractmethod
    def close(self) -> None:
        """Stop the hardware thread and release the device."""

    @abstractmethod
    def health_check(self, level: HealthLevel = HealthLevel.INTERNAL) -> HealthResult:
        """Check the device at `level`; never raises."""

    def subscribe(self, listener: StatusListener) -> None:
        self._listeners.append(listener)

    def _set_status(self, status: DeviceStatus) -> None:
        """Record a new status and notify listeners, only when it changed."""
        with self._status_lock:
            old = self._status
            if status is old or (status.state is old.state and status == old):
                return
            self._status = status
        # Ready <-> busy happens at every operation (every card read): not worth a line.
        if not (old.state in _ROUTINE_STATES and status.state in _ROUTINE_STATES):
            log.info("%s: %s %s", self.name, status.state, status.reason)
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:  # a faulty listener must not stop the hardware thread
                log.exception("%s: status listener failed", self.name)
