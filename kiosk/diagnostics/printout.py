"""The diagnostics report on the receipt printer ("print report" on the engineer screen)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from drivers.device import Err, Outcome, Result
from kiosk.diagnostics.registry import CheckResult

# plain operator wording, in both languages the kiosk speaks
OUTCOME_WORDS = {
    Outcome.PASS: "正常 OK",
    Outcome.WARN: "注意 Check",
    Outcome.FAIL: "故障 Fault",
    Outcome.SKIPPED: "未测 Not tested",
}


def report_document(results: Iterable[CheckResult], terminal_id: str):
    """A Document listing every result; no patient data can be in it (checks hold none)."""
    from drivers.printer.document import Cut, Document, Feed, KeyValue, Rule, Text, Title

    now = datetime.now().astimezone()
    blocks: list = [Title("设备诊断 Diagnostics"), KeyValue("终端 Terminal", terminal_id)]
    blocks += [KeyValue("时间 Time", now.strftime("%Y-%m-%d %H:%M:%S %z")), Rule()]
    for r in results:
        blocks.append(KeyValue(f"{r.device}/{r.name}", OUTCOME_WORDS[r.outcome]))
        blocks.append(Text(r.summary))
        if r.cause:
            blocks.append(Text(f"> {r.cause}"))
    blocks += [Rule(), Feed(2), Cut()]
    return Document(tuple(blocks), kind="diagnostics", reference=f"DIAG-{now:%Y%m%d%H%M%S}")


def print_report(
    printer_url: str, paper_width_mm: int, results: list[CheckResult], terminal_id: str
) -> Result:
    """Print the report on the configured printer; blocks (call it off the GUI thread)."""
    if not printer_url:
        return Err("no_printer", "no printer fitted (devices.printer.url is empty)")
    from drivers.printer.printer import Printer, PrinterOptions

    printer = Printer(printer_url, PrinterOptions(paper_width_mm=paper_width_mm))
    printer.open()
    try:
        return printer.print_document(report_document(results, terminal_id), timeout_s=60)
    finally:
        printer.close()
