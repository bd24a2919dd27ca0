"""Offline policy: what may complete while the platform is unreachable, and how much.

Like a card terminal's store-and-forward limits: the kiosk refuses a new offline
transaction once the queued ones reach a count, a total amount or an age, or
when the single amount is too large. The check runs inside the outbox's enqueue
transaction, so two kiosk processes cannot both slip under a limit, and a
refusal writes nothing.

Patients only ever see `PATIENT_MESSAGE`; engineers see the reason and the
backlog (count, total, oldest age) in `kiosk queue status` and the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kiosk.config import Offline
from offline_store import Backlog, OfflineStore, OutboxItem

PATIENT_MESSAGE = {
    "zh": "当前服务受限，请稍后再试或咨询服务台。",
    "en": "The service is limited right now. Please try later or ask at the desk.",
}


class OfflineRefused(Exception):
    """A new offline transaction was refused; nothing was written.

    `code` is stable (type_not_allowed, single_amount, count, total, age);
    `str(exc)` is the engineer's sentence; `patient_message(lang)` is all a patient sees.
    """

    def __init__(self, code: str, engineer_message: str) -> None:
        super().__init__(engineer_message)
        self.code = code

    @staticmethod
    def patient_message(language: str = "zh") -> str:
        return PATIENT_MESSAGE.get(language, PATIENT_MESSAGE["en"])


@dataclass(frozen=True)
class OfflinePolicy:
    allowed: frozenset[str]
    max_count: int
    max_total_fen: int
    max_single_fen: int
    max_age: timedelta

    @classmethod
    def from_config(cls, offline: Offline) -> OfflinePolicy:
        return cls(
            allowed=frozenset(offline.allowed),
            max_count=offline.max_count,
            max_total_fen=offline.max_total_fen,
            max_single_fen=offline.max_single_fen,
            max_age=timedelta(hours=offline.max_age_h),
        )

    def may_try(self, tx_type: str) -> bool:
        """Whether a flow should offer this transaction at all while offline."""
        return tx_type in self.allowed

    def admission(self, tx_type: str, amount_fen: int, now: datetime):
        """The check the outbox runs on the offline backlog inside its enqueue transaction."""

        def admit(backlog: Backlog) -> None:
            self.check(tx_type, amount_fen, backlog, now)

        return admit

    def check(self, tx_type: str, amount_fen: int, backlog: Backlog, now: datetime) -> None:
        if tx_type not in self.allowed:
            raise OfflineRefused("type_not_allowed", f"{tx_type} may not complete offline")
        if amount_fen > self.max_single_fen:
            raise OfflineRefused(
                "single_amount",
                f"offline amount {amount_fen} fen exceeds the single limit {self.max_single_fen}",
            )
        if backlog.count + 1 > self.max_count:
            raise OfflineRefused(
                "count", f"offline backlog is full: {backlog.count} of {self.max_count} queued"
            )
        if backlog.total_fen + amount_fen > self.max_total_fen:
            raise OfflineRefused(
                "total",
                f"offline total would be {backlog.total_fen + amount_fen} fen, "
                f"over the limit {self.max_total_fen}",
            )
        if backlog.oldest_created_at and now - backlog.oldest_created_at > self.max_age:
            hours = (now - backlog.oldest_created_at).total_seconds() / 3600
            raise OfflineRefused(
                "age",
                f"oldest offline transaction is {hours:.1f} h old, over the limit "
                f"{self.max_age.total_seconds() / 3600:.0f} h",
            )


def enqueue_offline(
    store: OfflineStore,
    policy: OfflinePolicy,
    tx_type: str,
    payload: Mapping[str, Any],
    *,
    amount_fen: int = 0,
    **row: Any,
) -> OutboxItem:
    """Queue a transaction completed while the platform is unreachable, within the limits.

    Raises OfflineRefused (nothing written) past a limit; InvalidTransaction on bad input.
    """
    admit = policy.admission(tx_type, amount_fen, store.clock())
    return store.outbox.enqueue(
        tx_type, payload, amount_fen=amount_fen, offline=True, admit=admit, **row
    )
