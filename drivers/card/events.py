"""Events the card reader service posts, on its hardware thread."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.card.identity import CardIdentity
from drivers.device import Err, Ok


@dataclass(frozen=True)
class ReaderAttached:
    reader: str


@dataclass(frozen=True)
class ReaderDetached:
    reader: str


@dataclass(frozen=True)
class CardInserted:
    reader: str
    atr: bytes


@dataclass(frozen=True)
class CardRemoved:
    reader: str


@dataclass(frozen=True)
class CardRead:
    """The automatic read after an insertion: `Ok[CardIdentity]` or an `Err`."""

    reader: str
    result: Ok[CardIdentity] | Err
    elapsed_ms: float = 0.0  # from the insertion event to the identity


CardEvent = ReaderAttached | ReaderDetached | CardInserted | CardRemoved | CardRead
