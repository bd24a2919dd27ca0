"""Shared data and a printer factory for the printer tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone

import pytest

from drivers.printer.printer import Printer, PrinterOptions
from kiosk import receipts as r

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 11, 23, 9, 15, 30, tzinfo=CST)
HEADER = r.Header("示范医院 Demo Hospital", "DEMO-0001")
ZHANG = r.Patient("张伟", "6217000010001234569")
APPT = r.Appointment(
    "内科 Internal medicine",
    "李医生 Dr Li",
    date(2026, 11, 23),
    "morning",
    "3楼 305诊室",
    "A023",
    1200,
)


def txn(ref: str = "TX20261123-0001") -> r.Transaction:
    return r.Transaction(ref, AT)


def paid(amount_fen: int, confirmed: bool = True, method: str = "balance") -> r.Payment:
    return r.Payment(method, amount_fen, confirmed)


CHARGES = [
    r.Charge("阿莫西林胶囊 Amoxicillin 0.25g", 2350, 2),
    r.Charge("血常规 Blood count", 2500),
    r.Charge("胸部X线 Chest X-ray", 8000),
]


def every_receipt() -> dict[str, r.Document]:
    """One document of each flow, for the demo patient 张伟."""
    history = [r.BalanceEntry(AT - timedelta(days=1), "缴费 Fees", -4850)]
    return {
        "registration": r.registration(HEADER, ZHANG, APPT, paid(1200), txn("TX-REG-1")),
        "booking": r.booking(HEADER, ZHANG, APPT, paid(1200, False, "qr"), txn("TX-BOOK-1")),
        "check_in": r.check_in(HEADER, ZHANG, APPT, txn("TX-CHK-1")),
        "cancel": r.cancel(HEADER, ZHANG, APPT, paid(1200), txn("TX-CXL-1")),
        "fee_payment": r.fee_payment(HEADER, ZHANG, CHARGES, paid(12850), txn("TX-FEE-1")),
        "top_up": r.top_up(HEADER, ZHANG, paid(10000, method="cash"), 22850, txn("TX-TOP-1")),
        "balance": r.balance(HEADER, ZHANG, 12850, AT, False, history, [APPT], txn("TX-BAL-1")),
    }


@pytest.fixture
def open_printer() -> Iterator[Callable[..., Printer]]:
    """Open a Printer driver on a URL; closed at teardown."""
    opened: list[Printer] = []

    def make(url: str, width: int = 80, **options: object) -> Printer:
        options.setdefault("poll_interval_s", 0.2)
        options.setdefault("status_timeout_s", 0.5)
        printer = Printer(url, PrinterOptions(paper_width_mm=width, **options))  # type: ignore[arg-type]
        printer.open()
        opened.append(printer)
        return printer

    yield make
    for printer in opened:
        printer.close()
