"""Formatting for `kiosk queue` (outside kiosk/commands/, which the CLI imports at start)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from typing import Any

from kiosk.config import KioskConfig
from kiosk.logsetup import mask_name, mask_number
from offline_store import JournalEntry, OfflineStore, OutboxItem, State

EXPORT_FIELDS = (
    "id", "client_ref", "type", "state", "amount_fen", "offline", "created_at", "updated_at",
    "attempts", "next_attempt_at", "idempotency_key", "card_ref", "last_error", "payload",
    "answer",
)  # fmt: skip
_NAME_KEYS = {"name", "patient_name", "holder_name"}
_NUMBER_KEYS = {"id_number", "card_number", "payment_code", "phone"}


def masked(value: Any, key: str = "") -> Any:
    """A payload with names and numbers masked, for engineers' eyes."""
    if isinstance(value, Mapping):
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    if isinstance(value, str) and key in _NAME_KEYS:
        return mask_name(value)
    if isinstance(value, str) and key in _NUMBER_KEYS:
        return mask_number(value)
    return value


def yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


def row_line(item: OutboxItem) -> str:
    error = f"  {item.last_error}" if item.last_error else ""
    return (
        f"{item.id:>6}  {item.client_ref:<28} {item.type:<12} {yuan(item.amount_fen):>10}  "
        f"{item.state:<15} tries={item.attempts}  {item.created_at:%Y-%m-%d %H:%M:%S}Z"
        f"{'  offline' if item.offline else ''}{error}"
    )


def print_status(store: OfflineStore, config: KioskConfig) -> None:
    now = store.clock()
    counts = store.outbox.counts()
    backlog = store.outbox.backlog()
    offline = store.outbox.backlog(offline_only=True)
    limits = config.offline
    print(f"store: {store.path}")
    print("rows:  " + "  ".join(f"{state}={counts[state]}" for state in State))
    print(
        f"backlog: {backlog.count} waiting, {yuan(backlog.total_fen)}, "
        f"oldest {_age(backlog.oldest_age_s(now))}"
    )
    print(
        f"offline: {offline.count}/{limits.max_count} queued, "
        f"{yuan(offline.total_fen)}/{yuan(limits.max_total_fen)}, "
        f"oldest {_age(offline.oldest_age_s(now))}/{limits.max_age_h}h"
    )
    attention = counts[State.NEEDS_ATTENTION]
    if attention:
        print(
            f"NEEDS ATTENTION: {attention} row(s); see `kiosk queue list --state needs_attention`"
        )


def print_item(item: OutboxItem, events: Iterable[JournalEntry]) -> None:
    for key, value in _export_record(item).items():
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False, indent=2)
        print(f"{key:>16}: {value}")
    print("         journal:")
    for event in events:
        print(f"    #{event.seq} {event.at:%Y-%m-%d %H:%M:%S}Z {event.event} {dict(event.detail)}")


def export_rows(store: OfflineStore, path: str, as_json: bool) -> int:
    records, after = [], 0
    while batch := store.outbox.list(limit=1000, after_id=after):
        records.extend(_export_record(item) for item in batch)
        after = batch[-1].id
    with open(path, "w", encoding="utf-8", newline="") as out:
        if as_json:
            json.dump(records, out, ensure_ascii=False, indent=2)
        else:
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
            for record in records:
                writer.writerow({k: _csv_cell(v) for k, v in record.items()})
    return len(records)


def _export_record(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "client_ref": item.client_ref,
        "type": item.type,
        "state": str(item.state),
        "amount_fen": item.amount_fen,
        "offline": item.offline,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "attempts": item.attempts,
        "next_attempt_at": item.next_attempt_at.isoformat(),
        "idempotency_key": item.idempotency_key,
        "card_ref": item.card_ref or "",
        "last_error": item.last_error or "",
        "payload": masked(dict(item.payload)),
        "answer": masked(dict(item.answer)) if item.answer else None,
    }


def _csv_cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}min"
    return f"{seconds / 3600:.1f}h"
