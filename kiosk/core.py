"""The core loop: one thread that owns the session state, feeds events to the pure
state machine and carries out its effects.

Devices post events from their hardware threads and the platform answers arrive
from a worker pool; all of them go through one queue, so the state is only ever
touched by this thread. Listeners (the UI bridge) get each new state and must
re-post it to their own thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from kiosk import session as s
from kiosk.messages import new_reference, patient_message

log = logging.getLogger(__name__)

StateListener = Callable[[s.SessionState], None]


class PatientDirectory(Protocol):
    """Looks a card up on the platform; raises PatientLookupError with a patient message."""

    def look_up(self, card_type: str, card_number: str) -> s.PatientView: ...


class PatientLookupError(Exception):
    def __init__(self, message_code: str, cause: str) -> None:
        super().__init__(cause)
        self.message_code = message_code
        self.cause = cause


class _Stop:
    pass


class KioskCore:
    def __init__(
        self,
        directory: PatientDirectory,
        idle_timeout_s: float,
        idle_warning_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._idle_timeout_s = idle_timeout_s
        self._idle_warning_s = min(idle_warning_s, idle_timeout_s)
        self._clock = clock
        self._events: queue.Queue[s.Event | _Stop] = queue.Queue()
        self._listeners: list[StateListener] = []
        self._network = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kiosk-net")
        self._thread = threading.Thread(target=self._run, name="kiosk-core", daemon=True)
        self._warn_at: float | None = None
        self._timeout_at: float | None = None
        self.state = s.SessionState()

    # -- public, thread-safe --------------------------------------------------

    def subscribe(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    def post(self, event: s.Event) -> None:
        self._events.put(event)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._events.put(_Stop())
        self._thread.join(timeout=5)
        self._network.shutdown(wait=False, cancel_futures=True)

    # -- the loop -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                event = self._events.get(timeout=self._seconds_to_next_deadline())
            except queue.Empty:
                event = self._due_timer_event()
                if event is None:
                    continue
            if isinstance(event, _Stop):
                return
            self._apply(event)

    def _apply(self, event: s.Event) -> None:
        new_state, effects = s.step(self.state, event)
        for effect in effects:
            self._carry_out(effect)
        if new_state != self.state:
            log.info(
                "session %d: %s -> %s", new_state.session_no, self.state.screen, new_state.screen
            )
            self.state = new_state
            for listener in list(self._listeners):
                try:
                    listener(new_state)
                except Exception:
                    log.exception("state listener failed")

    def _carry_out(self, effect: s.Effect) -> None:
        match effect:
            case s.LookUpPatient():
                self._network.submit(self._look_up, effect)
            case s.ArmIdleTimer():
                now = self._clock()
                self._timeout_at = now + self._idle_timeout_s
                self._warn_at = self._timeout_at - self._idle_warning_s
            case s.DisarmIdleTimer():
                self._warn_at = self._timeout_at = None

    def _look_up(self, effect: s.LookUpPatient) -> None:
        """Runs on a network worker, never on the core or GUI thread."""
        try:
            patient = self._directory.look_up(effect.card_type, effect.card_number)
        except PatientLookupError as exc:
            reference = new_reference(exc.message_code)
            log.warning("patient lookup failed [%s]: %s", reference, exc.cause)
            error = s.ShownError(patient_message(exc.message_code), reference)
            self.post(s.LookupFailed(effect.session_no, error))
        except Exception as exc:  # a bug must still end in a calm screen, and be logged
            reference = new_reference("SERVICE-LIMITED")
            log.exception("patient lookup crashed [%s]: %s", reference, type(exc).__name__)
            error = s.ShownError(patient_message("SERVICE-LIMITED"), reference)
            self.post(s.LookupFailed(effect.session_no, error))
        else:
            self.post(s.PatientFound(effect.session_no, patient))

    # -- idle timer ---------------------------------------------------------------

    def _seconds_to_next_deadline(self) -> float | None:
        deadlines = [d for d in (self._warn_at, self._timeout_at) if d is not None]
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - self._clock())

    def _due_timer_event(self) -> s.Event | None:
        now = self._clock()
        if self._timeout_at is not None and now >= self._timeout_at:
            self._warn_at = self._timeout_at = None
            return s.IdleTimeout()
        if self._warn_at is not None and now >= self._warn_at:
            self._warn_at = None
            return s.IdleWarning()
        return None
