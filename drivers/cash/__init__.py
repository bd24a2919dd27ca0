"""Cash acceptor: a ccTalk bill validator driver and its pty simulator."""

from drivers.cash.events import BillEvent, BillEventKind
from drivers.cash.validator import BillValidator

__all__ = ["BillEvent", "BillEventKind", "BillValidator"]
