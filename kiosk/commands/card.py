"""`kiosk card read|watch` and `kiosk sim card`.

Only argparse at import time: the card stack loads inside the handlers.
"""

from __future__ import annotations

import argparse

# Exit codes of `kiosk card read`, for scripts and field engineers.
EXIT_OK = 0
EXIT_CARD_ERROR = 1  # card_error, card_removed, mute_card, card_busy
EXIT_USAGE = 2
EXIT_UNSUPPORTED = 3
EXIT_NO_CARD = 4
EXIT_NO_READER = 5  # no_reader, pcsc_unavailable

_EXIT_BY_CODE = {
    "unsupported_card": EXIT_UNSUPPORTED,
    "no_card": EXIT_NO_CARD,
    "no_reader": EXIT_NO_READER,
    "pcsc_unavailable": EXIT_NO_READER,
}


def register(subparsers: argparse._SubParsersAction) -> None:
    card = subparsers.add_parser("card", help="read medical cards (PC/SC)")
    sub = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)
    read = sub.add_parser(
        "read",
        help="read the card in the reader once and print the identity",
        description="Exit codes: 0 read, 1 card error, 3 unsupported card, 4 no card, "
        "5 no reader or pcscd not running.",
    )
    read.add_argument("--json", action="store_true", help="print one JSON object")
    read.add_argument("--unmasked", action="store_true", help="show numbers and names (root only)")
    read.add_argument("--reader", default=None, help="part of the reader name (default: config)")
    read.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for a card")
    _backend_args(read)
    read.set_defaults(handler=_read)
    watch = sub.add_parser("watch", help="print reader and card events as they happen")
    watch.add_argument("--reader", default=None, help="part of the reader name (default: config)")
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.add_argument("--seconds", type=float, default=None, help="stop after this long")
    _backend_args(watch)
    watch.set_defaults(handler=_watch)


def _backend_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=["pcsc", "inprocess"],
        default=None,
        help="reader backend (default: config devices.card_reader.backend)",
    )
    parser.add_argument(
        "--image", default=None, help="with --backend inprocess: the card image to put in slot 0"
    )


def register_sim(sim_subparsers: argparse._SubParsersAction) -> None:
    sim = sim_subparsers.add_parser(
        "card", help="hold a virtual card in a vpcd reader until interrupted"
    )
    sim.add_argument("--image", help="card image name or JSON file (see --list)")
    sim.add_argument("--reader", type=int, default=0, help="vpcd reader index (0 or 1)")
    sim.add_argument(
        "--port", type=int, default=None, help="vpcd port of reader 0 (default: 35963)"
    )
    sim.add_argument("--list", action="store_true", help="list the shipped card images")
    sim.set_defaults(handler=_sim)


def _settings(args: argparse.Namespace) -> tuple[str, str]:
    """(backend, reader) from the options, else from the terminal config."""
    backend, reader = args.backend, args.reader
    if backend is None or reader is None:
        from kiosk.config import ConfigError, load_config

        try:
            section = load_config(args.config).devices.card_reader
        except ConfigError:
            section = None
        backend = backend or (section.backend if section else "pcsc")
        reader = reader if reader is not None else (section.reader if section else "")
    if backend == "inprocess":
        from drivers.card import inprocess

        slot = inprocess.slot(0)
        if args.image:
            slot.insert(args.image)
    return backend, reader


def _read(args: argparse.Namespace) -> int:
    import json
    import os
    import sys
    from datetime import date

    if args.unmasked and os.geteuid() != 0:
        print("kiosk card read: --unmasked is for root only", file=sys.stderr)
        return EXIT_USAGE
    from drivers.card.identity import CardIdentity
    from drivers.card.service import read_once_timed

    backend, reader = _settings(args)
    result, elapsed_ms = read_once_timed(reader=reader, timeout_s=args.timeout, backend=backend)
    if result.ok:
        shown = result.value.as_dict(unmasked=args.unmasked)
        expired = result.value.is_expired(date.today())
    else:
        atr = getattr(result, "atr", b"")
        shown = CardIdentity.unsupported(atr).as_dict() if result.code == "unsupported_card" else {}
        shown |= {"error": result.code, "message": result.message}
        expired = False
    shown["elapsed_ms"] = round(elapsed_ms, 1)
    if args.json:
        print(json.dumps(shown, ensure_ascii=False))
    else:
        _print_text(shown)
    if expired:
        print(f"warning: the card expired ({shown['expiry']})", file=sys.stderr)
    if not result.ok:
        print(f"kiosk card read: {result.code}: {result.message}", file=sys.stderr)
        return _EXIT_BY_CODE.get(result.code, EXIT_CARD_ERROR)
    return EXIT_OK


def _print_text(shown: dict) -> None:
    for key, value in shown.items():
        if value is not None and key not in ("error", "message"):
            print(f"{key.replace('_', ' ')}: {value}")


def _watch(args: argparse.Namespace) -> int:
    import json
    import signal
    import threading
    import time

    from drivers.card.events import CardRead
    from drivers.card.service import CardReaderService

    stop = threading.Event()
    started = time.monotonic()

    def show(event: object) -> None:
        record = {"event": type(event).__name__, "reader": event.reader}  # type: ignore[attr-defined]
        if isinstance(event, CardRead):
            result = event.result
            record["elapsed_ms"] = round(event.elapsed_ms, 1)
            record |= (
                {"identity": result.value.masked()}
                if result.ok
                else {"error": result.code, "message": result.message}
            )
        elif hasattr(event, "atr"):
            record["atr"] = event.atr.hex().upper()  # type: ignore[attr-defined]
        record["t"] = round(time.monotonic() - started, 3)
        print(json.dumps(record, ensure_ascii=False) if args.json else _line(record), flush=True)

    def show_status(status: object) -> None:
        record = {"event": "Status", "state": str(status.state), "reason": status.reason}  # type: ignore[attr-defined]
        print(json.dumps(record) if args.json else _line(record), flush=True)

    backend, reader = _settings(args)
    service = CardReaderService(show, backend=backend, reader=reader)
    service.subscribe(show_status)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    service.open()
    try:
        stop.wait(args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        service.close()
    return EXIT_OK


def _line(record: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in record.items())


def _sim(args: argparse.Namespace) -> int:
    import signal
    import sys
    import threading

    from drivers.card.virtual import ImageError, VirtualCard, list_images

    if args.list or not args.image:
        print("\n".join(list_images()))
        return EXIT_OK if args.list else EXIT_USAGE
    try:
        card = VirtualCard(args.image, reader_index=args.reader, base_port=args.port)
    except ImageError as exc:
        print(f"kiosk sim card: {exc}", file=sys.stderr)
        return EXIT_USAGE
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: a background job ignores it
        signal.signal(signum, lambda *_: stop.set())
    last_problem: str | None = None
    try:
        while not stop.is_set():
            if not card.inserted:
                last_problem = _try_insert(card, last_problem)
            stop.wait(0.5)  # vpcd goes with pcscd: insert again when it is back
    finally:
        card.remove()
    print(f"card {card.image.name} removed", flush=True)
    return EXIT_OK


def _try_insert(card: VirtualCard, last_problem: str | None) -> str | None:  # noqa: F821
    """Insert the card; returns the problem if it could not be (printed once)."""
    from drivers.card.virtual import VirtualCardError

    try:
        card.insert()
    except VirtualCardError as exc:
        if str(exc) != last_problem:
            print(f"waiting: {exc}", flush=True)
        return str(exc)
    if not card.powered.wait(3):
        print("vpcd has not taken the card yet: is another card in that reader?", flush=True)
    print(f"card {card.image.name} inserted in vpcd reader {card.reader_index}", flush=True)
    return None
