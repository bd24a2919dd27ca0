"""The small ports the flows use, so they are testable without the platform or SQLite.

`TransactionLog`: every state-changing call is written durably before it is sent
(the outbox), with its client reference and idempotency key, and settled after.
`OutboxTransactionLog` writes through `offline_store`; `MemoryTransactionLog`
keeps the rows in memory for tests of the flows.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


@dataclass
class LoggedTransaction:
    tx_type: str
    payload: Mapping[str, Any]
    amount_fen: int
    client_ref: str
    idempotency_key: str
    state: str = "pending"  # pending | confirmed | rejected | unknown
    answer: Mapping[str, Any] = field(default_factory=dict)


class TransactionLog(Protocol):
    def begin(
        self,
        tx_type: str,
        payload: Mapping[str, Any],
        *,
        amount_fen: int,
        card_number: str | None,
        patient_id: str,
    ) -> LoggedTransaction: ...

    def confirmed(self, tx: LoggedTransaction, answer: Mapping[str, Any]) -> None: ...

    def rejected(self, tx: LoggedTransaction, code: str, message: str) -> None: ...

    def begin_offline(
        self,
        tx_type: str,
        payload: Mapping[str, Any],
        *,
        amount_fen: int,
        card_number: str | None,
        patient_id: str,
        policy: Any,
    ) -> LoggedTransaction:
        """Queue a transaction completed while the platform is unreachable, within the
        offline policy's limits (raises kiosk.offline_policy.OfflineRefused, nothing kept)."""
        ...

    def remember(self, kind: str, key: str, value: Any, expires_at: datetime) -> None:
        """Keep what the offline flows need (personal: encrypted at rest)."""
        ...

    def recall(self, kind: str, key: str) -> tuple[Any, datetime] | None: ...


class MemoryTransactionLog:
    """The outbox port in memory: for tests, and the order of writes they assert."""

    def __init__(self) -> None:
        self.rows: list[LoggedTransaction] = []
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[Any, datetime, datetime]] = {}

    def begin(
        self,
        tx_type: str,
        payload: Mapping[str, Any],
        *,
        amount_fen: int,
        card_number: str | None,
        patient_id: str,
    ) -> LoggedTransaction:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        tx = LoggedTransaction(
            tx_type,
            dict(payload),
            amount_fen,
            f"MEM-{stamp}-{uuid.uuid4().hex[:8]}",
            uuid.uuid4().hex,
        )
        with self._lock:
            self.rows.append(tx)
        return tx

    def confirmed(self, tx: LoggedTransaction, answer: Mapping[str, Any]) -> None:
        tx.state, tx.answer = "confirmed", dict(answer)

    def rejected(self, tx: LoggedTransaction, code: str, message: str) -> None:
        tx.state, tx.answer = "rejected", {"code": code, "message": message}

    def begin_offline(
        self,
        tx_type: str,
        payload: Mapping[str, Any],
        *,
        amount_fen: int,
        card_number: str | None,
        patient_id: str,
        policy: Any,
    ) -> LoggedTransaction:
        from offline_store import Backlog

        now = datetime.now(UTC)
        queued = [r for r in self.rows if r.state == "offline"]
        backlog = Backlog(len(queued), sum(r.amount_fen for r in queued), now if queued else None)
        policy.check(tx_type, amount_fen, backlog, now)
        tx = self.begin(
            tx_type, payload, amount_fen=amount_fen, card_number=card_number, patient_id=patient_id
        )
        tx.state = "offline"
        return tx

    def remember(self, kind: str, key: str, value: Any, expires_at: datetime) -> None:
        self._cache[(kind, key)] = (value, datetime.now(UTC), expires_at)

    def recall(self, kind: str, key: str) -> tuple[Any, datetime] | None:
        found = self._cache.get((kind, key))
        if found is None or found[2] <= datetime.now(UTC):
            return None
        return found[0], found[1]


class OutboxTransactionLog:
    """The outbox port over `offline_store`: one durable commit before each call.

    SQLite connections belong to one thread, so the store is opened and used on a
    single thread of its own; callers on any worker wait for the commit.
    """

    def __init__(self, open_store: Callable[[], Any]) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-outbox")
        self._store: Any = None
        self._open_store = open_store
        self._ids: dict[str, int] = {}

    def _on_store(self, work: Callable[[Any], Any]) -> Any:
        def run() -> Any:
            if self._store is None:
                self._store = self._open_store()
            return work(self._store)

        return self._thread.submit(run).result(timeout=30)

    def begin_offline(
        self,
        tx_type: str,
        payload: Mapping[str, Any],
        *,
        amount_fen: int,
        card_number: str | None,
        patient_id: str,
        policy: Any,
    ) -> LoggedTransaction:
        from kiosk.offline_policy import enqueue_offline

        item = self._on_store(
            lambda store: enqueue_offline(
                store, policy, tx_type, payload, amount_fen=amount_fen,
                card_number=card_number, patient_id=patient_id,
            )
        )  # fmt: skip
        tx = LoggedTransaction(tx_type, dict(payload), amount_fen, item.client_ref,
                               item.idempotency_key, state="offline")  # fmt: skip
        return tx

    def remember(self, kind: str, key: str, value: Any, expires_at: datetime) -> None:
        self._on_store(
            lambda store: store.cache.put(kind, key, value, personal=True, expires_at=expires_at)
        )

    def recall(self, kind: str, key: str) -> tuple[Any, datetime] | None:
        found = self._on_store(lambda store: store.cache.get(kind, key, personal=True))
        return (found.value, found.fetched_at) if found is not None else None

    def record_receipt(
        self, document: Any, outcome: str, card_number: str | None, patient_id: str
    ) -> None:
        """Journal a printed receipt (already masked), findable by a keyed hash of the card."""
        from kiosk import receipts

        def work(store: Any) -> None:
            key = _receipt_keys(store, card_number, patient_id)[0]
            detail = receipts.journal_detail(document, outcome, key)
            store.append_events([(receipts.RECEIPT_EVENT, document.reference or None, detail)])

        self._on_store(work)

    def recent_receipts(
        self, card_number: str | None, patient_id: str, limit: int
    ) -> list[tuple[datetime, Any]]:
        """The last receipts of this card (or, identified by QR code, of this patient),
        newest first, as (printed at, document); an unreadable entry is skipped."""
        from kiosk import receipts

        def work(store: Any) -> list[tuple[str, str]]:
            keys = _receipt_keys(store, card_number, patient_id)
            marks = ", ".join("?" for _ in keys)
            return store.conn.execute(
                "SELECT at, detail FROM journal WHERE event = ?"
                f" AND json_extract(detail, '$.card_key') IN ({marks})"
                " ORDER BY seq DESC LIMIT ?",
                (receipts.RECEIPT_EVENT, *keys, limit),
            ).fetchall()

        found = []
        for at, detail in self._on_store(work):
            try:
                document = receipts.document_from_journal(json.loads(detail))
            except (ValueError, TypeError):
                continue  # a damaged entry must not hide the others
            found.append((datetime.fromisoformat(at), document))
        return found

    def backlog(self) -> Any:
        """The outbox's open rows (offline_store.Backlog), read on the store's own thread."""
        return self._on_store(lambda store: store.outbox.backlog())

    def close(self) -> None:
        if self._store is not None:
            self._on_store(lambda store: store.close())
        self._thread.shutdown(wait=True)

    def begin(
        self,
        tx_type: str,
        payload: Mapping[str, Any],
        *,
        amount_fen: int,
        card_number: str | None,
        patient_id: str,
    ) -> LoggedTransaction:
        item = self._on_store(
            lambda store: store.outbox.enqueue(
                tx_type,
                payload,
                amount_fen=amount_fen,
                card_number=card_number,
                patient_id=patient_id,
            )
        )
        self._ids[item.client_ref] = item.id
        return LoggedTransaction(
            tx_type, dict(payload), amount_fen, item.client_ref, item.idempotency_key
        )

    def confirmed(self, tx: LoggedTransaction, answer: Mapping[str, Any]) -> None:
        row_id = self._ids.pop(tx.client_ref, None)
        if row_id is None:
            return
        self._on_store(lambda store: store.outbox.mark_confirmed(row_id, answer))
        tx.state = "confirmed"

    def rejected(self, tx: LoggedTransaction, code: str, message: str) -> None:
        row_id = self._ids.pop(tx.client_ref, None)
        if row_id is None:
            return
        self._on_store(lambda store: store.outbox.mark_rejected(row_id, code, message))
        tx.state = "rejected"


def _receipt_keys(store: Any, card_number: str | None, patient_id: str) -> list[str]:
    """The journal keys of a patient's receipts: the card's keyed hash first, then the
    patient's (for sessions identified by a QR code, without a card)."""
    keys = [store.keys.match_hash("card", card_number)] if card_number else []
    if patient_id:
        keys.append(store.keys.match_hash("patient", patient_id))
    return keys or ["-"]
