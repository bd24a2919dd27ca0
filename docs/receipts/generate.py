"""Regenerate the receipt images in this folder with the virtual printer.

    .venv/bin/python docs/receipts/generate.py

Prints a registration receipt on 58 mm paper and a fee payment receipt on 80 mm
paper through the real driver and TCP, and keeps the virtual printer's PNGs.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from drivers.printer.printer import Printer, PrinterOptions  # noqa: E402
from drivers.printer.virtual import VirtualPrinter  # noqa: E402
from kiosk import receipts as r  # noqa: E402

AT = datetime(2026, 11, 23, 9, 15, 30, tzinfo=timezone(timedelta(hours=8)))
HEADER = r.Header("示范医院 Demo Hospital", "DEMO-0001")
PATIENT = r.Patient("张伟", "6217000010001234569")
APPT = r.Appointment(
    "内科 Internal medicine",
    "李医生 Dr Li",
    date(2026, 11, 23),
    "morning",
    "3楼 305诊室",
    "A023",
    1200,
)
CHARGES = [
    r.Charge("阿莫西林胶囊 Amoxicillin 0.25g", 2350, 2),
    r.Charge("血常规 Blood count", 2500),
    r.Charge("胸部X线 Chest X-ray", 8000),
]


def print_to_png(doc: r.Document, width: int, target: Path) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        VirtualPrinter(paper_width_mm=width, out_dir=tmp) as vp,
    ):
        printer = Printer(vp.url, PrinterOptions(paper_width_mm=width))
        printer.open()
        result = printer.print_document(doc)
        printer.close()
        if not result.ok:
            raise SystemExit(f"printing failed: {result}")
        vp.wait_for_receipts(1)
        shutil.copy(next(Path(tmp).glob("*.png")), target)
    print(f"wrote {target}")


def main() -> None:
    payment = r.Payment("balance", 1200, True)
    registration = r.registration(
        HEADER, PATIENT, APPT, payment, r.Transaction("TX20261123-0001", AT)
    )
    fees = r.fee_payment(
        HEADER,
        PATIENT,
        CHARGES,
        r.Payment("qr", 12850, False),
        r.Transaction("TX20261123-0002", AT),
    )
    print_to_png(registration, 58, HERE / "registration-58mm.png")
    print_to_png(fees, 80, HERE / "fee-payment-80mm.png")


if __name__ == "__main__":
    main()
