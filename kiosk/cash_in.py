"""Cash-in as a transaction: start → each note stacked → end, or rollback.

The bill validator's events reach `CashIn` on the device's hardware thread.
A stacked note is written to the ledger (outbox and journal) *before* anyone is
told it was credited; the ledger also keeps the validator's event counter, so
after a crash or power cut the events the kiosk missed are read back from the
validator's buffer and recorded once: a patient's cash is never lost and never
credited twice. What cannot be known for sure (events lost from the buffer, a
validator restarted while stacking, a jam mid-note) is recorded as "in doubt"
for an operator to settle by counting the cashbox; it is never guessed.

Notes cannot be handed back once stacked, so a rollback only returns the note
in escrow; a cash-in with stacked notes ends with what was stacked.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from drivers.cash.events import BillEvent, BillEventKind

if TYPE_CHECKING:
    from drivers.cash.validator import BillValidator
    from offline_store import OfflineStore

log = logging.getLogger(__name__)


class CashInError(Exception):
    """A cash-in cannot start or go on; the message says why, nothing was taken."""


class Outcome(StrEnum):
    ENDED = "ended"
    ROLLED_BACK = "rolled_back"
    ENDED_AFTER_RESTART = "ended_after_restart"  # the kiosk died mid cash-in; closed on restart


@dataclass(frozen=True)
class ResumePoint:
    counter: int  # the validator's last event counter the kiosk has handled
    event_no: int  # how many events this kiosk has handled from this acceptor, ever


@dataclass(frozen=True)
class CashInStart:
    txn_id: str
    acceptor: str
    patient_id: str
    limit_fen: int
    card_number: str | None = field(default=None, repr=False)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class StackedNote:
    txn: CashInStart
    counter: int
    event_no: int
    value_fen: int
    at: datetime

    @property
    def ref(self) -> str:
        """The note's client reference: the same note always gets the same one."""
        return f"{self.txn.txn_id}-N{self.event_no}"


@dataclass(frozen=True)
class CashInResult:
    txn_id: str
    outcome: Outcome
    total_fen: int
    notes: int


class CashLedger(Protocol):
    """Where cash-in money is made durable. Every method commits before it returns."""

    def resume_point(self, acceptor: str) -> ResumePoint | None: ...

    def open_cash_in(self, start: CashInStart) -> None: ...

    def unfinished_cash_in(self, acceptor: str) -> CashInStart | None: ...

    def record_note_stacked(self, note: StackedNote) -> bool:
        """Record the note and move the resume point to it; False if it was already recorded."""
        ...

    def record_event(self, acceptor: str, point: ResumePoint) -> None: ...

    def record_in_doubt(
        self, acceptor: str, point: ResumePoint, reason: str, txn_id: str | None
    ) -> None: ...

    def stacked(self, txn_id: str) -> tuple[int, int]:
        """(total fen, number of notes) recorded for the cash-in."""
        ...

    def close_cash_in(self, txn_id: str, outcome: Outcome, total_fen: int, notes: int) -> None: ...


CASH_TOP_UP = "cash_top_up"  # the outbox type; kiosk.offline_central forwards it

CreditListener = Callable[[int, int], None]  # (note fen, cash-in total fen), once per note


def new_txn_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"CI-{now:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"


class CashIn:
    """Glue between one bill validator and the ledger. One cash-in at a time."""

    def __init__(self, device: BillValidator, ledger: CashLedger) -> None:
        self.device = device
        self.ledger = ledger
        self._lock = threading.RLock()
        self._txn: CashInStart | None = None
        self._accepting = False
        self._total = 0
        self._notes = 0
        self._event_no = 0
        self._escrow: tuple[BillEvent, bool] | None = None  # note held, and whether we stack it
        self._credit_listeners: list[CreditListener] = []
        device.subscribe_bills(self._on_event)
        device.set_escrow_policy(self.decide)

    # -- life cycle ----------------------------------------------------------------------------

    def prepare(self) -> CashInStart | None:
        """Call before `device.open()`: resume from the ledger; returns an unfinished cash-in."""
        point = self.ledger.resume_point(self.device.name)
        self.device.resume_from(point.counter if point else None)
        self._event_no = point.event_no if point else 0
        with self._lock:
            self._txn = self.ledger.unfinished_cash_in(self.device.name)
            if self._txn:
                self._total, self._notes = self.ledger.stacked(self._txn.txn_id)
            return self._txn

    def finish_recovery(self, polls: int = 2, timeout: float = 20.0) -> CashInResult | None:
        """After the device is open: let it report what was missed, then close the
        cash-in the kiosk was in when it died, crediting everything stacked.

        Returns None when there is nothing to recover, or when the validator could
        not be read within `timeout` (the cash-in stays open: call again later, so
        notes still in the validator's buffer land in it).
        """
        with self._lock:
            txn = self._txn
        if txn is None or self._accepting:
            return None
        if not self.device.wait_polls(polls, timeout):
            log.warning("cash-in %s: validator not readable; recovery postponed", txn.txn_id)
            return None
        return self._close(Outcome.ENDED_AFTER_RESTART)

    def subscribe_credit(self, listener: CreditListener) -> None:
        self._credit_listeners.append(listener)

    @property
    def total_fen(self) -> int:
        return self._total

    @property
    def accepting(self) -> bool:
        """True while notes are being taken (between start and end/rollback)."""
        return self._accepting

    @property
    def active(self) -> bool:
        return self._txn is not None

    def start(self, patient_id: str, limit_fen: int, card_number: str | None = None) -> CashInStart:
        if isinstance(limit_fen, bool) or not isinstance(limit_fen, int) or limit_fen <= 0:
            raise CashInError(f"limit must be a positive integer of fen, got {limit_fen!r}")
        with self._lock:
            if self._txn is not None:
                raise CashInError(f"cash-in {self._txn.txn_id} is still open")
            txn = CashInStart(new_txn_id(), self.device.name, patient_id, limit_fen, card_number)
            self.ledger.open_cash_in(txn)
            self._txn, self._total, self._notes, self._accepting = txn, 0, 0, True
        enabled = self.device.enable()
        if not enabled.ok:
            self._accepting = False
            self._close(Outcome.ROLLED_BACK)
            raise CashInError(f"the cash acceptor cannot take notes: {enabled.message}")
        log.info("cash-in %s started, limit %d fen", txn.txn_id, limit_fen)
        return txn

    def end(self, settle_s: float = 10.0) -> CashInResult:
        """Stop taking notes, let a note in escrow be handed back, and close."""
        self._stop_accepting(settle_s)
        return self._close(Outcome.ENDED)

    def rollback(self, settle_s: float = 10.0) -> CashInResult:
        """Hand back the note in escrow; if notes were stacked already, end with them."""
        self._stop_accepting(settle_s)
        return self._close(Outcome.ROLLED_BACK if self._notes == 0 else Outcome.ENDED)

    def _stop_accepting(self, settle_s: float) -> None:
        with self._lock:
            if self._txn is None:
                raise CashInError("no cash-in is open")
            self._accepting = False
        self.device.disable()
        # a note in escrow now gets "return"; wait until the validator reports it routed
        deadline = time.monotonic() + settle_s
        self.device.wait_polls(2, settle_s)
        while self._escrow is not None and time.monotonic() < deadline:
            self.device.wait_polls(1, max(0.0, deadline - time.monotonic()))

    def _close(self, outcome: Outcome) -> CashInResult:
        with self._lock:
            txn = self._txn
            if txn is None:
                raise CashInError("no cash-in is open")
            self.ledger.close_cash_in(txn.txn_id, outcome, self._total, self._notes)
            self._txn = None
            result = CashInResult(txn.txn_id, outcome, self._total, self._notes)
        log.info(
            "cash-in %s %s: %d fen in %d notes", txn.txn_id, outcome, result.total_fen, result.notes
        )
        return result

    # -- on the hardware thread ---------------------------------------------------------------

    def decide(self, event: BillEvent) -> bool:
        """The escrow policy: stack a note only while accepting and within the limit."""
        with self._lock:
            stack = (
                self._accepting
                and event.value_fen is not None
                and self._txn is not None
                and self._total + event.value_fen <= self._txn.limit_fen
            )
            self._escrow = (event, stack)
            return stack

    def _on_event(self, event: BillEvent) -> None:
        with self._lock:
            point = ResumePoint(event.counter, self._event_no + 1)
            txn_id = self._txn.txn_id if self._txn else None
            if event.kind is BillEventKind.STACKED:
                self._stacked(event, point)
            elif event.kind is BillEventKind.ESCROW:
                self.ledger.record_event(self.device.name, point)
            elif doubt := self._doubt(event):
                self.ledger.record_in_doubt(self.device.name, point, doubt, txn_id)
                self._escrow = None
            else:
                if event.kind in (BillEventKind.RETURNED, BillEventKind.REJECTED):
                    self._escrow = None
                self.ledger.record_event(self.device.name, point)
            self._event_no = point.event_no

    def _doubt(self, event: BillEvent) -> str | None:
        """Why this event leaves money unaccounted for, or None."""
        stacking = self._escrow is not None and self._escrow[1]
        if event.kind is BillEventKind.LOST:
            return f"{event.lost} validator events lost: count the cashbox"
        if event.kind is BillEventKind.RESET and stacking:
            return "validator restarted while stacking a note: count the cashbox"
        if event.kind is BillEventKind.FAULT and stacking and "jam" in event.reason:
            return f"{event.reason} while stacking a note: count the cashbox"
        if event.kind is BillEventKind.FAULT and event.status_code == 21:
            return "a note of unknown value was stacked: count the cashbox"
        return None

    def _stacked(self, event: BillEvent, point: ResumePoint) -> None:
        self._escrow = None
        if self._txn is None or event.value_fen is None:
            reason = "note stacked with no cash-in open" if event.value_fen else "unknown note"
            self.ledger.record_in_doubt(self.device.name, point, reason, None)
            return
        note = StackedNote(
            self._txn, event.counter, point.event_no, event.value_fen, datetime.now(UTC)
        )
        if not self.ledger.record_note_stacked(note):
            return  # recorded before a crash; already in the total read at recovery
        self._total += note.value_fen
        self._notes += 1
        for listener in list(self._credit_listeners):
            try:
                listener(note.value_fen, self._total)
            except Exception:
                log.exception("cash-in credit listener failed")


class OfflineStoreLedger:
    """`CashLedger` on the offline store: each stacked note is one outbox top-up
    (payment method cash) with the note's own client reference and idempotency key,
    and the resume point and cash-in life cycle are journal events.

    Notes arrive on the acceptor's hardware thread and the cash-in starts on the
    core's, and a SQLite connection belongs to one thread, so each thread gets its
    own `OfflineStore` from `open_store` (WAL serialises their writes).
    """

    def __init__(
        self, open_store: Callable[[], OfflineStore], *, offline: Callable[[], bool] = lambda: False
    ) -> None:
        self._open_store = open_store
        self._offline = offline
        self._local = threading.local()
        self._opened: list[OfflineStore] = []
        self._opened_lock = threading.Lock()

    @property
    def store(self) -> OfflineStore:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = self._open_store()
            with self._opened_lock:
                self._opened.append(store)
        return store

    def close(self) -> None:
        with self._opened_lock:
            for store in self._opened:
                try:
                    store.close()
                except Exception:  # a connection of another thread: SQLite refuses, harmless
                    log.debug("store of another thread left to the garbage collector")
            self._opened.clear()
        self._local = threading.local()

    @staticmethod
    def _cursor_ref(acceptor: str) -> str:
        return f"cash-cursor:{acceptor}"

    def _journal(self, *events: tuple[str, str | None, dict]) -> None:
        """Append journal events (event, client_ref, detail) in one commit; the store
        redoes it itself if another connection appended in between."""
        self.store.append_events(events)

    def resume_point(self, acceptor: str) -> ResumePoint | None:
        row = self.store.conn.execute(
            "SELECT detail FROM journal WHERE client_ref = ? ORDER BY seq DESC LIMIT 1",
            (self._cursor_ref(acceptor),),
        ).fetchone()
        if row is None:
            return None
        detail = json.loads(row[0])
        return ResumePoint(int(detail["counter"]), int(detail["event_no"]))

    def open_cash_in(self, start: CashInStart) -> None:
        detail = {
            "acceptor": start.acceptor,
            "patient_id": start.patient_id,
            "limit_fen": start.limit_fen,
            "started_at": start.started_at.isoformat(),
        }
        self._journal(("cash_in_started", start.txn_id, detail))

    def unfinished_cash_in(self, acceptor: str) -> CashInStart | None:
        rows = self.store.conn.execute(
            "SELECT client_ref, event, detail FROM journal"
            " WHERE event IN ('cash_in_started', 'cash_in_closed') ORDER BY seq DESC LIMIT 50"
        ).fetchall()
        closed: set[str] = set()
        for client_ref, event, detail_text in rows:
            if event == "cash_in_closed":
                closed.add(client_ref)
                continue
            detail = json.loads(detail_text)
            if detail.get("acceptor") == acceptor and client_ref not in closed:
                return CashInStart(
                    client_ref,
                    acceptor,
                    detail["patient_id"],
                    int(detail["limit_fen"]),
                    started_at=datetime.fromisoformat(detail["started_at"]),
                )
        return None

    def record_note_stacked(self, note: StackedNote) -> bool:
        from kiosk.offline_central import cash_top_up_payload
        from offline_store import DuplicateTransaction

        payload = cash_top_up_payload(note.txn.patient_id, note.value_fen, note.at)
        payload["cash_in"] = note.txn.txn_id  # beside the order: which cash-in took the note
        try:
            # no offline admission here: the note is in the cashbox already and must be
            # recorded; the offline limits apply when the cash-in's limit is chosen
            self.store.outbox.enqueue(
                CASH_TOP_UP,
                payload,
                amount_fen=note.value_fen,
                card_number=note.txn.card_number,
                patient_id=note.txn.patient_id,
                client_ref=note.ref,
                idempotency_key=note.ref,
                offline=self._offline(),
            )
            recorded = True
        except DuplicateTransaction:
            recorded = False  # the kiosk died after this commit: the note is already counted
        self.record_event(note.txn.acceptor, ResumePoint(note.counter, note.event_no))
        return recorded

    def record_event(self, acceptor: str, point: ResumePoint) -> None:
        detail = {"counter": point.counter, "event_no": point.event_no}
        self._journal(("cash_acceptor_event", self._cursor_ref(acceptor), detail))

    def record_in_doubt(
        self, acceptor: str, point: ResumePoint, reason: str, txn_id: str | None
    ) -> None:
        doubt = {"acceptor": acceptor, "counter": point.counter, "reason": reason}
        cursor = {"counter": point.counter, "event_no": point.event_no}
        self._journal(
            ("cash_in_doubt", txn_id, doubt),
            ("cash_acceptor_event", self._cursor_ref(acceptor), cursor),
        )

    def stacked(self, txn_id: str) -> tuple[int, int]:
        pattern = txn_id.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "-N%"
        row = self.store.conn.execute(
            "SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) FROM outbox"
            " WHERE type = ? AND client_ref LIKE ? ESCAPE '\\'",
            (CASH_TOP_UP, pattern),
        ).fetchone()
        return int(row[0]), int(row[1])

    def close_cash_in(self, txn_id: str, outcome: Outcome, total_fen: int, notes: int) -> None:
        detail = {"outcome": str(outcome), "total_fen": total_fen, "notes": notes}
        self._journal(("cash_in_closed", txn_id, detail))
