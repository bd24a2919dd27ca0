"""A kiosk process taking cash, to be killed at a chosen moment (SIGKILL from the test).

Run: python -m tests.serial.cash_child DEVICE STORE MOMENT
(MOMENT: before_commit, between_writes or after_commit).

It starts a cash-in for P0003 and prints one line at each step. At the chosen
moment of the first stacked note it prints KILL_ME and waits to be killed.
"""

from __future__ import annotations

import sys
import time

from drivers.cash import BillValidator
from kiosk.cash_in import CashIn, OfflineStoreLedger, StackedNote
from offline_store import OfflineStore

SECRET = b"cash-in test terminal secret 32b!"


class FreezingLedger(OfflineStoreLedger):
    def __init__(self, store_path: str, moment: str) -> None:
        super().__init__(lambda: OfflineStore(store_path, SECRET))
        self.moment = moment

    def record_note_stacked(self, note: StackedNote) -> bool:
        if self.moment == "before_commit":
            freeze()
        self.freeze_in_record_event = self.moment == "between_writes"
        recorded = super().record_note_stacked(note)
        if self.moment == "after_commit":
            freeze()
        return recorded

    def record_event(self, acceptor, point) -> None:
        if getattr(self, "freeze_in_record_event", False):
            freeze()  # the note is in the outbox, the resume point not yet moved
        super().record_event(acceptor, point)


def freeze() -> None:
    print("KILL_ME", flush=True)
    time.sleep(600)


def main(device_path: str, store_path: str, moment: str) -> None:
    device = BillValidator(device_path, poll_s=0.05)
    cash_in = CashIn(device, FreezingLedger(store_path, moment))
    cash_in.prepare()
    device.open()
    deadline = time.monotonic() + 30
    while device.status.state != "ready" and time.monotonic() < deadline:
        time.sleep(0.02)
    cash_in.start("P0003", limit_fen=50_000, card_number="A01234567")
    print("STARTED", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main(*sys.argv[1:4])
