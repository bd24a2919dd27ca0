"""The built-in demo rig: every simulator the kiosk talks to, on 127.0.0.1 with free ports.

- the central platform simulator (a real HTTP server),
- the card path: pcscd with the vpcd virtual reader and our virtual cards; where
  pcscd cannot be started (not root) the in-process reader runs the same card code
  against the same card images,
- a virtual receipt printer (a real TCP socket taking raw ESC/POS).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEMO_READER = 0  # the vpcd slot the demo panel inserts cards into


def pcsc_virtual_readers() -> list[str]:
    """The vpcd readers pcscd offers, or [] when pcscd is not reachable."""
    try:
        from smartcard.System import readers

        return [str(r) for r in readers() if str(r).startswith("Virtual PCD")]
    except Exception:  # pcscd not running: pyscard raises its own establish-context errors
        return []


def ensure_pcscd(timeout_s: float = 8.0) -> tuple[bool, str]:
    """Start pcscd if it is not running and we may. Returns (usable, why)."""
    if pcsc_virtual_readers():
        return True, "pcscd running with the vpcd virtual reader"
    if os.geteuid() != 0:
        return False, "pcscd is not running and only root can start it"
    if not shutil.which("pcscd"):
        return False, "pcscd is not installed"
    subprocess.Popen(
        ["pcscd", "--foreground"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # outlives the demo, like the system daemon it stands in for
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pcsc_virtual_readers():
            return True, "pcscd started with the vpcd virtual reader"
        time.sleep(0.2)
    return False, f"pcscd did not offer the vpcd readers within {timeout_s:.0f} s"


@dataclass
class CardPath:
    backend: str  # "pcsc" or "inprocess"
    why: str


class DemoRig:
    def __init__(self, workdir: Path | None = None, force_inprocess: bool = False) -> None:
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._force_inprocess = force_inprocess
        self.central: Any = None
        self.printer: Any = None
        self.scanner: Any = None
        self.cash: Any = None
        self.card_path = CardPath("inprocess", "not started")
        self._card: Any = None

    def start(self) -> None:
        from central_sim.server import start_in_thread

        self.central = start_in_thread(port=0, data_path=self.workdir / "central.sqlite")
        self.card_path = self._choose_card_path()
        self.printer = self._start_printer()
        self.scanner, self.cash = self._start_serial_devices()
        log.info(
            "demo: platform %s, cards via %s (%s)",
            self.central.url,
            self.card_path.backend,
            self.card_path.why,
        )

    def _choose_card_path(self) -> CardPath:
        if self._force_inprocess:
            return self._inprocess("in-process reader chosen on the command line")
        usable, why = ensure_pcscd()
        return CardPath("pcsc", why) if usable else self._inprocess(why)

    @staticmethod
    def _inprocess(why: str) -> CardPath:
        from drivers.card import inprocess

        inprocess.slot(DEMO_READER)  # the reader is there, empty, before the kiosk starts
        return CardPath("inprocess", why)

    def _start_printer(self) -> Any:
        from drivers.printer.virtual import VirtualPrinter

        printer = VirtualPrinter(port=0, out_dir=self.workdir / "receipts")
        printer.start()
        return printer

    def _start_serial_devices(self) -> tuple[Any, Any]:
        """The QR scanner and the cash acceptor, each on a real pseudo-terminal."""
        from drivers.cash.sim import BillValidatorSimulator
        from drivers.scanner.sim import ScannerSimulator

        scanner = ScannerSimulator(suffix="CR", link=self.workdir / "ttyScanner")
        cash = BillValidatorSimulator(
            state_file=self.workdir / "acceptor-state.json", link=self.workdir / "ttyCash"
        )
        cash.start()
        return scanner, cash

    def config_overrides(self) -> dict[str, Any]:
        from central_sim import DEMO_TERMINAL_ID

        return {
            "terminal": {"id": DEMO_TERMINAL_ID},
            "central": {"url": self.central.url},
            "devices": {
                "card_reader": {
                    "backend": self.card_path.backend,
                    "reader": "Virtual PCD 00 00" if self.card_path.backend == "pcsc" else "",
                },
                "printer": {"url": self.printer.url},
                "scanner": {"port": self.scanner.path},
                "cash_acceptor": {"port": self.cash.path},
            },
            "paths": {"data_dir": str(self.workdir / "kiosk")},
        }

    @property
    def secret(self) -> bytes:
        from central_sim import DEMO_SECRET

        return DEMO_SECRET if isinstance(DEMO_SECRET, bytes) else DEMO_SECRET.encode()

    # -- what the simulator panel does -------------------------------------------

    def insert_card(self, image_name: str) -> None:
        """Insert a demo card; a card already in the reader is pulled first."""
        from drivers.card import inprocess
        from drivers.card.virtual import VirtualCard, load_image

        self.pull_card()
        image = load_image(image_name)
        if self.card_path.backend == "pcsc":
            self._card = VirtualCard(image, reader_index=DEMO_READER)
            self._card.insert()
        else:
            inprocess.slot(DEMO_READER).insert(image)
            self._card = inprocess.slot(DEMO_READER)

    def pull_card(self) -> None:
        if self._card is not None:
            self._card.remove()
            self._card = None

    def last_receipt_text(self) -> str:
        receipts = self.printer.receipts
        if not receipts:
            return ""
        return "\n".join(receipts[-1].lines)

    def scan(self, code: str) -> None:
        """A patient holds a code under the scanner."""
        self.scanner.scan(code)

    def insert_note(self, value_yuan: int) -> None:
        """A patient feeds a genuine note into the cash acceptor."""
        self.cash.insert(value_yuan)

    def stop(self) -> None:
        self.pull_card()
        if self.scanner is not None:
            self.scanner.close()
        for part in (self.cash, self.printer, self.central):
            if part is not None:
                part.stop()
