"""`kiosk logs export FILE`: one archive for a support ticket, with no secret in it."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("logs", help="collect logs and a report for support")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="write one .tar.gz with logs, config, diagnostics and a journal summary",
        description="The archive holds: the kiosk's logs (long digit runs masked again), the "
        "config with secrets removed, a fresh internal diagnostics report with the last "
        "results of every check, and a summary of the outbox and journal (counts and the "
        "chain check, no patient data). The terminal secret and store key are never included.",
    )
    export.add_argument("file", metavar="FILE", help="archive to write (.tar.gz)")
    export.add_argument("--no-diag", action="store_true", help="skip running the checks")
    export.set_defaults(handler=export_logs)


def export_logs(args: argparse.Namespace) -> int:
    from kiosk.diagnostics.bundle import write_bundle

    contents = write_bundle(args.file, args.config, run_diagnostics=not args.no_diag)
    print(f"wrote {args.file}:")
    for name in contents:
        print(f"  {name}")
    return 0
