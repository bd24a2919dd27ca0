"""`kiosk journal verify`: check the transaction journal's hash chain; name any tampered row."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "journal",
        help="the transaction journal: verify its hash chain",
        description="The append-only journal of every transaction event.",
    )
    j = p.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    verify = j.add_parser(
        "verify", help="check every row's hash and link; name rows edited, deleted or moved"
    )
    verify.set_defaults(handler=verify_cmd)


def verify_cmd(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.offline_secret import open_offline_store

    config = load_config(args.config)
    with open_offline_store(config) as store:
        problems = store.verify_journal()
        rows = store.conn.execute("SELECT COUNT(*), MAX(seq) FROM journal").fetchone()
    if not problems:
        print(f"journal intact: {rows[0]} rows, last row {rows[1] or 0}")
        return 0
    print(f"journal TAMPERED: {len(problems)} problem(s) in {rows[0]} rows")
    for problem in problems:
        print(f"  {problem.kind}: {problem.message}")
    return 1
