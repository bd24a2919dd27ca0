"""Receipt printing benchmark: from core receipt data to the printer's acknowledgement.

Each sample builds the receipt document from core data (kiosk.receipts), renders
it, checks status, sends it over a real TCP socket to the in-process virtual
printer, and reads the status back (the reply to DLE EOT after the last byte is
the acknowledgement). Baseline in the same run: plain python-escpos (Network
printer: textln per line, native QR, cut, then one DLE EOT 4 status read) for the
same text.

    .venv/bin/python bench/receipt.py [N]        (default N = 500)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from escpos.printer import Network

from drivers.printer.printer import Printer, PrinterOptions
from drivers.printer.virtual import VirtualPrinter
from kiosk import receipts as r

CST = timezone(timedelta(hours=8))
HEADER = r.Header("示范医院 Demo Hospital", "DEMO-0001")
APPT = r.Appointment("内科", "李医生", date(2026, 11, 23), "morning", "305诊室", "A023", 1200)
CHARGES = [
    r.Charge("阿莫西林胶囊 Amoxicillin 0.25g", 2350, 2),
    r.Charge("血常规 Blood count", 2500),
    r.Charge("胸部X线 Chest X-ray", 8000),
]


def build(i: int, name: str = "张伟") -> r.Document:
    patient = r.Patient(name, "6217000010001234569")
    txn = r.Transaction(f"TX-BENCH-{i:05d}", datetime.now(CST))
    if i % 2:
        return r.registration(HEADER, patient, APPT, r.Payment("balance", 1200, True), txn)
    return r.fee_payment(HEADER, patient, CHARGES, r.Payment("qr", 12850, True), txn)


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def run_driver(vp: VirtualPrinter, n: int, name: str = "张伟") -> tuple[list[float], list[int]]:
    printer = Printer(vp.url, PrinterOptions(paper_width_mm=80, poll_interval_s=3600))
    printer.open()
    times, sizes = [], []
    try:
        for i in range(n):
            start = time.perf_counter()
            result = printer.print_document(build(i, name))
            times.append(time.perf_counter() - start)
            assert result.ok, result
            sizes.append(result.value.bytes_sent)
    finally:
        printer.close()
    return times, sizes


def run_baseline(vp: VirtualPrinter, docs: list[r.Document], text: list[str]) -> list[float]:
    escpos = Network(vp.host, vp.port, timeout=5)
    escpos.open()
    times = []
    for doc, body in zip(docs, text, strict=True):
        start = time.perf_counter()
        for line in body.splitlines():
            escpos.textln(line)
        escpos.qr(doc.reference, native=True, size=6)
        escpos.cut()
        escpos.query_status(b"\x10\x04\x04")
        times.append(time.perf_counter() - start)
    escpos.close()
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with VirtualPrinter() as vp:
        run_driver(vp, 20)  # warm-up: fonts, imports, TCP
        times, sizes = run_driver(vp, n)
        texts = [rc.text for rc in vp.receipts[-n:]]
        docs = [build(i) for i in range(n)]
        baseline = run_baseline(vp, docs, texts)
        rare_times, rare_sizes = run_driver(vp, max(20, n // 10), name="𠮷野家")
    med, p95 = stats(times)
    base_med, base_p95 = stats(baseline)
    rare_med, rare_p95 = stats(rare_times)
    print(f"receipts: {n} (registration and fee payment alternating), 80 mm, TCP loopback")
    print(f"driver:   median {med:.2f} ms  p95 {p95:.2f} ms  (data -> status after last byte)")
    print(f"baseline: median {base_med:.2f} ms  p95 {base_p95:.2f} ms  (plain python-escpos)")
    print(f"ratio driver/baseline: median {med / base_med:.2f}  p95 {p95 / base_p95:.2f}")
    print(f"bytes per receipt: mean {statistics.mean(sizes):.0f}  max {max(sizes)}")
    print(
        f"rasterised name (4-byte GB18030): median {rare_med:.2f} ms  p95 {rare_p95:.2f} ms  "
        f"bytes mean {statistics.mean(rare_sizes):.0f}"
    )


if __name__ == "__main__":
    main()
