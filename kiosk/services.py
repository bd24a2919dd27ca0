"""The kiosk's running parts, wired together from the config (no Qt here).

The card reader posts events from its hardware thread; they are translated into
session events and handed to the core loop. The printer's status changes become
health events, so the home screen never offers what cannot finish. The UI
subscribes to the core.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kiosk import session as s
from kiosk.core import KioskCore
from kiosk.flows import Health
from kiosk.identify import session_event_for

if TYPE_CHECKING:
    from kiosk.config import KioskConfig

log = logging.getLogger(__name__)

FORWARD_EVERY_S = 60.0


class PrinterPort:
    """The flows' view of the receipt printer (kiosk.core.ReceiptPrinter)."""

    def __init__(self, printer: Any) -> None:
        self._printer = printer

    def ready(self) -> bool:
        from drivers.device import Fact

        return self._printer.can_print(fresh=True, timeout_s=5.0).fact is not Fact.BAD

    def print(self, document: Any) -> bool:
        return bool(self._printer.print_document(document, timeout_s=30.0).ok)


class CashPort:
    """The flows' view of cash intake (kiosk.core.CashIntake) over kiosk.cash_in.CashIn.

    Offline, the notes are recorded without admission (they are in the cashbox already),
    so the offline policy bounds the cash-in's limit before the first note goes in.
    """

    def __init__(
        self, cash_in: Any, policy: Any = None, offline: Callable[[], bool] = lambda: False
    ) -> None:
        self._cash_in = cash_in
        self._policy = policy
        self._offline = offline
        self._on_credit: Any = None
        cash_in.subscribe_credit(self._credited)

    def _credited(self, _note_fen: int, total_fen: int) -> None:
        if self._on_credit is not None:
            self._on_credit(total_fen)

    def start(self, patient_id: str, limit_fen: int, card_number: str | None, on_credit) -> None:
        limit_fen = self._within_offline_policy(limit_fen)
        self._on_credit = on_credit
        self._cash_in.start(patient_id, limit_fen, card_number)

    def _within_offline_policy(self, limit_fen: int) -> int:
        """The limit the offline backlog still allows; FlowError when it allows nothing."""
        if self._policy is None or not self._offline():
            return limit_fen
        from datetime import UTC, datetime

        from kiosk.cash_in import CASH_TOP_UP
        from kiosk.flows.central import FlowError
        from kiosk.offline_policy import OfflineRefused

        backlog = self._cash_in.ledger.store.outbox.backlog(offline_only=True)
        try:
            self._policy.check(CASH_TOP_UP, 0, backlog, datetime.now(UTC))
        except OfflineRefused as exc:
            raise FlowError("SERVICE-LIMITED", f"offline cash-in refused: {exc}") from exc
        headroom = self._policy.max_total_fen - backlog.total_fen
        allowed = min(limit_fen, self._policy.max_single_fen, headroom)
        if allowed < 100:
            raise FlowError("SERVICE-LIMITED", f"offline cash-in refused: {headroom} fen left")
        return allowed

    def end(self) -> int:
        if not self._cash_in.active:
            return 0
        result = self._cash_in.end()
        self._on_credit = None
        return result.total_fen


class KioskServices:
    def __init__(self, config: KioskConfig, secret: bytes) -> None:
        # Imported here: these pull in httpx, pydantic models and pyscard, which the
        # attract screen does not need in order to paint.
        from drivers.card.service import CardReaderService
        from kiosk import receipts
        from kiosk.central.client import CentralClient
        from kiosk.flows.central import CentralFlows
        from kiosk.offline_policy import OfflinePolicy
        from kiosk.patients import CentralPatientDirectory

        self.config = config
        self.client = CentralClient(
            config.central.url,
            config.terminal.id,
            secret,
            timeout_s=config.central.timeout_s,
            connect_timeout_s=config.central.connect_timeout_s,
            ca_bundle=config.central.ca_bundle,
        )
        self.printer = self._make_printer(config)
        self.transactions = self._make_transaction_log(config)
        offline_policy = OfflinePolicy.from_config(config.offline)
        flows = CentralFlows(
            self.client,
            self.transactions,
            receipts.header_from_config(config),
            config.terminal.hospital_id,
            offline_policy=offline_policy,
        )
        self.cash_in = self._make_cash_in(config)
        self.core = KioskCore(
            CentralPatientDirectory(self.client, self.transactions),
            idle_timeout_s=config.ui.idle_timeout_s,
            idle_warning_s=config.ui.idle_warning_s,
            flows=flows,
            printer=PrinterPort(self.printer) if self.printer else None,
            cash=self._cash_port(offline_policy),
            receipt_header=receipts.header_from_config(config),
            receipt_journal=self.transactions,
        )
        self.scanner = self._make_scanner(config)
        self._stopping = threading.Event()
        self._forward_now = threading.Event()
        self._had_patient = False
        self._forwarder = threading.Thread(
            target=self._forward_loop, name="kiosk-forward", daemon=True
        )
        reader = config.devices.card_reader
        self.card_reader = CardReaderService(
            on_event=self._on_card_event, backend=reader.backend, reader=reader.reader
        )
        self.heartbeat = self._make_heartbeat(config)

    def _make_heartbeat(self, config: KioskConfig) -> Any:
        """Device states, outbox depth and oldest age, and the version, every N seconds.

        The outbox is read through the transaction log's own store thread (a SQLite
        connection belongs to one thread), not on the heartbeat's.
        """
        from kiosk import __version__
        from kiosk.heartbeat import Backlog, Heartbeat, device_states

        fitted = [self.card_reader, self.printer, self.scanner]
        fitted.append(self.cash_in.device if self.cash_in is not None else None)

        def backlog() -> Backlog:
            open_rows = self.transactions.backlog()
            return Backlog(open_rows.count, int(open_rows.oldest_age_s(datetime.now(UTC))))

        return Heartbeat(
            self.client,
            config.central.heartbeat_interval_s,
            __version__,
            device_states(d for d in fitted if d is not None),
            backlog,
        )

    def _cash_port(self, policy: Any) -> CashPort | None:
        if self.cash_in is None:
            return None
        return CashPort(self.cash_in, policy, offline=lambda: not self.core.state.health.platform)

    @staticmethod
    def _make_printer(config: KioskConfig) -> Any:
        if not config.devices.printer.url:
            return None
        from drivers.printer.printer import Printer, PrinterOptions

        options = PrinterOptions(paper_width_mm=config.devices.printer.paper_width_mm)
        return Printer(config.devices.printer.url, options)

    def _make_cash_in(self, config: KioskConfig) -> Any:
        settings = config.devices.cash_acceptor
        if not settings.port:
            return None
        from drivers.cash.validator import BillValidator
        from kiosk.cash_in import CashIn, OfflineStoreLedger
        from kiosk.offline_secret import open_offline_store

        device = BillValidator(settings.port, settings.baud, settings.address)
        ledger = OfflineStoreLedger(
            lambda: open_offline_store(config),
            offline=lambda: not self.core.state.health.platform,
        )
        return CashIn(device, ledger)

    @staticmethod
    def _make_scanner(config: KioskConfig) -> Any:
        settings = config.devices.scanner
        if not settings.port:
            return None
        from drivers.scanner.driver import SerialScanner

        return SerialScanner(settings.port, settings.baud, settings.suffix)

    def _on_scan(self, code: Any) -> None:
        """Runs on the scanner's hardware thread. A patient QR identifies; payment codes
        and our own receipts are not identities (the code itself is never logged)."""
        from drivers.scanner.codes import CodeKind

        if code.kind is CodeKind.PAYMENT_CODE:
            self.core.post(s.PaymentCodeScanned(code.code))
        elif code.kind in (CodeKind.HEALTH_CARD, CodeKind.UNKNOWN):
            self.core.post(s.QrPresented(code.code))
        else:
            log.info("scanned %s: not a patient code", code.kind)

    @staticmethod
    def _make_transaction_log(config: KioskConfig) -> Any:
        """The outbox in the data directory: every state-changing call is written first."""
        from kiosk.flows.ports import OutboxTransactionLog
        from kiosk.offline_secret import open_offline_store

        return OutboxTransactionLog(lambda: open_offline_store(config))

    def _on_card_event(self, event: object) -> None:
        """Runs on the card reader's hardware thread: translate and post, nothing more."""
        session_event = session_event_for(event)
        if session_event is not None:
            self.core.post(session_event)

    def _on_printer_status(self, status: Any) -> None:
        """Runs on the printer's hardware thread."""
        from drivers.device import DeviceState

        usable = status.state in (DeviceState.READY, DeviceState.BUSY, DeviceState.UNKNOWN)
        self.core.post(s.HealthChanged(printer=usable))

    def start(self) -> None:
        health = Health(
            printer=self.printer is not None,
            cash=self.cash_in is not None,
            scanner=self.scanner is not None,
            offline_allowed=frozenset(self.config.offline.allowed),
            offline_single_fen=self.config.offline.max_single_fen,
        )
        self.core.post(s.Configure(tuple(self.config.services.offered), health))
        self.core.start()
        if self.printer is not None:
            self.printer.subscribe(self._on_printer_status)
            self.printer.open()
        if self.cash_in is not None:
            self.cash_in.prepare()  # resume from the ledger before the device reports
            self.cash_in.device.open()
            self.cash_in.finish_recovery(timeout=5.0)
        self.reconcile_interrupted()
        self.core.subscribe(self._on_state)
        self._forwarder.start()
        self.card_reader.open()
        if self.scanner is not None:
            self.scanner.subscribe_scans(self._on_scan)
            self.scanner.open()
        self.heartbeat.start()  # last: the first beat reports the devices as opened

    def _forward_loop(self) -> None:
        """Offline transactions go to the platform while nobody is at the kiosk: after each
        session and every minute while idle, so no flow of a patient races the worker."""
        while not self._stopping.is_set():
            self._forward_now.wait(FORWARD_EVERY_S)
            self._forward_now.clear()
            if not self._stopping.is_set() and self.core.state.patient is None:
                self.reconcile_interrupted(timeout_s=10.0)

    def _on_state(self, state: s.SessionState) -> None:
        if state.patient is None and self._had_patient:
            self._forward_now.set()
        self._had_patient = state.patient is not None

    def reconcile_interrupted(self, timeout_s: float = 5.0) -> bool:
        """Before any card is read: resend or look up what a previous run left in the outbox.

        Runs once, off the GUI thread, before patients can start new transactions, so it
        never races the flows for a row. What is still open afterwards (platform down)
        stays in the outbox for the next start or `kiosk queue`; nothing is dropped.
        """
        from kiosk.offline_central import CentralForwarder
        from kiosk.offline_secret import forwarder_lock_path, open_offline_store
        from kiosk.sync import SyncWorker

        worker = SyncWorker(
            lambda: open_offline_store(self.config),
            CentralForwarder(self.client),
            forwarder_lock_path(self.config),
        )
        try:
            resolved = worker.drain(timeout_s=timeout_s)
        except Exception:
            log.exception("reconciling the outbox at start failed; rows are kept")
            resolved = False
        finally:
            worker.close()
        if not resolved:
            log.warning("outbox not fully reconciled at start; kept for later")
        return resolved

    def stop(self) -> None:
        self._stopping.set()
        self._forward_now.set()
        self.heartbeat.stop()
        self.card_reader.close()
        if self.scanner is not None:
            self.scanner.close()
        if self.cash_in is not None:
            self.cash_in.device.close()
            self.cash_in.ledger.close()
        self.core.stop()
        if self.printer is not None:
            self.printer.close()
        if self._forwarder.is_alive():
            self._forwarder.join(timeout=15)
        self.transactions.close()
