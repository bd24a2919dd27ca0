"""Carries the core's state from its thread to the GUI thread as a Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from kiosk.session import SessionState


class CoreBridge(QObject):
    # Emitted from the core thread; Qt queues it to the receiver's (GUI) thread.
    state_changed = Signal(object)

    def on_core_state(self, state: SessionState) -> None:
        self.state_changed.emit(state)
