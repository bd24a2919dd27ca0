"""`kiosk queue`: the offline outbox for engineers (status, list, show, retry, export).

Personal data never leaves masked: payload names, ID and card numbers are masked
in `show` and `export`; card numbers are only stored as keyed hashes anyway.
"""

from __future__ import annotations

import argparse

STATES = ("pending", "sending", "confirmed", "rejected", "needs_attention")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "queue",
        help="the offline outbox: backlog, rows, retry, export",
        description="Inspect and act on the offline outbox (transactions waiting for the "
        "platform).",
    )
    q = p.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    status = q.add_parser("status", help="backlog count, oldest age, rows needing attention")
    status.set_defaults(handler=status_cmd)
    listing = q.add_parser("list", help="list outbox rows (open ones by default)")
    listing.add_argument("--state", choices=(*STATES, "all"), action="append")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=list_cmd)
    show = q.add_parser("show", help="one row, its masked payload and its journal events")
    show.add_argument("id", help="outbox row id or client reference")
    show.set_defaults(handler=show_cmd)
    retry = q.add_parser("retry", help="send a row again now, with the same idempotency key")
    retry.add_argument("id", help="outbox row id or client reference")
    retry.add_argument(
        "--new-key",
        action="store_true",
        help="a fresh idempotency key (only for a row the platform refused outright)",
    )
    retry.set_defaults(handler=retry_cmd)
    export = q.add_parser("export", help="write the outbox (masked) to FILE as CSV or JSON")
    export.add_argument("file", metavar="FILE")
    export.add_argument("--json", action="store_true", help="JSON instead of CSV")
    export.set_defaults(handler=export_cmd)


def _open(args: argparse.Namespace):
    from kiosk.config import load_config
    from kiosk.offline_secret import open_offline_store

    config = load_config(args.config)
    return config, open_offline_store(config)


def _find(store, ident: str):
    return store.outbox.get(int(ident)) if ident.isdigit() else store.outbox.by_client_ref(ident)


def status_cmd(args: argparse.Namespace) -> int:
    from kiosk.offline_view import print_status

    config, store = _open(args)
    with store:
        print_status(store, config)
    return 0


def list_cmd(args: argparse.Namespace) -> int:
    from kiosk.offline_view import row_line
    from offline_store import OPEN_STATES, State

    chosen = args.state or []
    states = list(State) if "all" in chosen else [State(s) for s in chosen] or list(OPEN_STATES)
    _, store = _open(args)
    with store:
        rows = store.outbox.list(states, limit=args.limit)
        for item in rows:
            print(row_line(item))
        if not rows:
            print("no rows in state " + ", ".join(states))
    return 0


def show_cmd(args: argparse.Namespace) -> int:
    from kiosk.offline_view import print_item
    from offline_store import NotFound

    _, store = _open(args)
    with store:
        try:
            item = _find(store, args.id)
        except NotFound as exc:
            print(exc.args[0])
            return 1
        print_item(item, store.journal.entries(client_ref=item.client_ref))
    return 0


def retry_cmd(args: argparse.Namespace) -> int:
    from offline_store import InvalidTransaction, NotFound

    _, store = _open(args)
    with store:
        try:
            item = store.outbox.retry(_find(store, args.id).id, new_key=args.new_key)
        except (NotFound, InvalidTransaction) as exc:
            print(exc.args[0])
            return 1
    key = "a new" if args.new_key else "the same"
    print(f"row {item.id} ({item.client_ref}) queued again with {key} idempotency key")
    return 0


def export_cmd(args: argparse.Namespace) -> int:
    from kiosk.offline_view import export_rows

    _, store = _open(args)
    with store:
        count = export_rows(store, args.file, as_json=args.json)
    print(f"wrote {count} rows to {args.file}")
    return 0
