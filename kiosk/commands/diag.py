"""`kiosk diag`: every device's health check and the system checks, as a table or JSON."""

from __future__ import annotations

import argparse

LEVELS = ("internal", "external", "interactive")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diag",
        help="check the devices, network, platform, disk and offline queue",
        description="Runs the checks up to LEVEL (internal: no side effects; external: also "
        "reads the card and prints a test slip; interactive: also asks for a card, a scan, a "
        "note). Exit status 1 if any check fails. Results are kept, so the engineer screen "
        "knows when each device was last tested.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--device", metavar="NAME", help="only this device's checks (see --list)")
    p.add_argument("--check", metavar="NAME", action="append", help="only this check (repeat)")
    p.add_argument("--level", choices=LEVELS, default="internal")
    p.add_argument("--report", metavar="FILE", help="also write the JSON report to FILE")
    p.add_argument("--print", action="store_true", help="also print the report on the printer")
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from drivers.device import HealthLevel, Outcome
    from kiosk.diagnostics import DiagContext, ResultStore, report_json, report_table
    from kiosk.diagnostics.registry import all_checks, devices, run_checks

    if args.list:
        for c in all_checks():
            print(f"{c.device:14} {c.name:18} {c.level.value:12} {c.title}")
        return 0
    if args.device and args.device not in devices():
        print(f"error: no device {args.device!r}; devices: {', '.join(devices())}", file=sys.stderr)
        return 2

    def prompt(message: str) -> None:
        print(f">>> {message}", file=sys.stderr, flush=True)

    ctx = DiagContext.from_config_path(args.config, prompt=prompt)
    results = run_checks(ctx, HealthLevel(args.level), args.device, args.check)
    if args.check and not results:
        print(
            f"error: no such check at level {args.level}: {', '.join(args.check)}", file=sys.stderr
        )
        return 2
    last_tested = {}
    if ctx.data_dir is not None:
        store = ResultStore(ctx.data_dir)
        store.record(results)
        last_tested = store.last_tested()
    report = report_json(results, last_tested)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as out:
            json.dump(report, out, ensure_ascii=False, indent=2)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(report_table(results))
    if args.print:
        _print_on_printer(ctx, results)
    # the report is out even if a driver's abandoned daemon thread upsets interpreter exit
    sys.stdout.flush()
    return 1 if any(r.outcome is Outcome.FAIL for r in results) else 0


def _print_on_printer(ctx, results) -> None:
    import sys

    from kiosk.diagnostics.printout import print_report

    if ctx.config is None:
        print("report not printed: the config does not load", file=sys.stderr)
        return
    printer = ctx.config.devices.printer
    outcome = print_report(printer.url, printer.paper_width_mm, results, ctx.config.terminal.id)
    print(
        "report printed" if outcome.ok else f"report not printed: {outcome.message}",
        file=sys.stderr,
    )
