"""The kiosk's running parts, wired together from the config (no Qt here).

The card reader posts events from its hardware thread; they are translated into
session events and handed to the core loop. The UI subscribes to the core.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk.core import KioskCore
from kiosk.identify import session_event_for

if TYPE_CHECKING:
    from kiosk.config import KioskConfig

log = logging.getLogger(__name__)


class KioskServices:
    def __init__(self, config: KioskConfig, secret: bytes) -> None:
        # Imported here: these pull in httpx, pydantic models and pyscard, which the
        # attract screen does not need in order to paint.
        from drivers.card.service import CardReaderService
        from kiosk.central.client import CentralClient
        from kiosk.patients import CentralPatientDirectory

        self.config = config
        self.client = CentralClient(
            config.central.url,
            config.terminal.id,
            secret,
            timeout_s=config.central.timeout_s,
            connect_timeout_s=config.central.connect_timeout_s,
        )
        self.core = KioskCore(
            CentralPatientDirectory(self.client),
            idle_timeout_s=config.ui.idle_timeout_s,
            idle_warning_s=config.ui.idle_warning_s,
        )
        reader = config.devices.card_reader
        self.card_reader = CardReaderService(
            on_event=self._on_card_event, backend=reader.backend, reader=reader.reader
        )

    def _on_card_event(self, event: object) -> None:
        """Runs on the card reader's hardware thread: translate and post, nothing more."""
        session_event = session_event_for(event)
        if session_event is not None:
            self.core.post(session_event)

    def start(self) -> None:
        self.core.start()
        self.card_reader.open()

    def stop(self) -> None:
        self.card_reader.close()
        self.core.stop()
