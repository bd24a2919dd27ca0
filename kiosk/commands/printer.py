"""`kiosk printer status|test` for engineers and `kiosk sim printer`, the virtual printer."""

from __future__ import annotations

import argparse

PRINTER_URL_HELP = (
    "printer URL, overrides the config: tcp://HOST:PORT, serial:///dev/ttyS0?baud=9600, "
    "usb://VID:PID, file:///dev/usb/lp0"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("printer", help="receipt printer: status and test slip")
    sub = parser.add_subparsers(dest="printer_command", metavar="ACTION", required=True)
    status = sub.add_parser("status", help="read the printer's real-time status")
    test = sub.add_parser("test", help="print a test slip with the printer's own report")
    for p in (status, test):
        p.add_argument("--printer", metavar="URL", help=PRINTER_URL_HELP)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--width", type=int, choices=(58, 80), help="paper width in mm")
    status.set_defaults(handler=_status)
    test.set_defaults(handler=_test)


def register_sim(sim_subparsers: argparse._SubParsersAction) -> None:
    sim = sim_subparsers.add_parser("printer", help="virtual ESC/POS printer on TCP")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=9100, help="TCP port (0: any free port)")
    sim.add_argument("--paper", choices=("ok", "near-end", "out"), default="ok")
    sim.add_argument("--lines", type=int, metavar="N", help="paper runs out after N lines")
    sim.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width mm")
    sim.add_argument("--out", metavar="DIR", help="save each receipt as .txt and .png here")
    sim.add_argument(
        "--status",
        choices=("normal", "silent", "double", "garbage"),
        default="normal",
        help="how DLE EOT is answered (silent: no reply; double: 2 bytes; garbage: bad bits)",
    )
    sim.add_argument(
        "--needs-fs", action="store_true", help="start in ASCII mode: Chinese needs FS &"
    )
    sim.set_defaults(handler=_sim)


def _open_printer(args: argparse.Namespace):  # -> Printer | int (exit code)
    from drivers.printer.connection import PrinterUrlError
    from drivers.printer.printer import Printer, PrinterOptions
    from kiosk.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"config error: {exc}")
        return 2
    url = args.printer or config.devices.printer.url
    if not url:
        print("no printer configured: set devices.printer.url or pass --printer URL")
        return 2
    width = args.width or config.devices.printer.paper_width_mm
    try:
        printer = Printer(url, PrinterOptions(paper_width_mm=width))
    except PrinterUrlError as exc:
        print(f"bad printer URL: {exc}")
        return 2
    printer.open()
    return printer


def _status_dict(printer) -> dict:
    readiness = printer.can_print(fresh=False)
    status = printer.status
    return {
        "device": printer.name,
        "url": printer.spec.describe(),
        "state": status.state.value,
        "reason": status.reason,
        "facts": {k: str(v) for k, v in status.facts.items()},
        "can_print": {"fact": readiness.fact.value, "reason": readiness.reason},
        "capabilities": dict(printer.capabilities()),
    }


def _print_status(info: dict) -> None:
    print(f"{info['device']} at {info['url']}: {info['state']} ({info['reason']})")
    for key, value in info["facts"].items():
        print(f"  {key:18} {value}")
    print(f"  can print          {info['can_print']['fact']} ({info['can_print']['reason']})")


def _status(args: argparse.Namespace) -> int:
    import json

    from drivers.device import DeviceState

    printer = _open_printer(args)
    if isinstance(printer, int):
        return printer
    try:
        printer.refresh(timeout_s=15)
        info = _status_dict(printer)
    finally:
        printer.close()
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        _print_status(info)
    return 0 if printer.status.state is DeviceState.READY else 1


def _test(args: argparse.Namespace) -> int:
    import json

    printer = _open_printer(args)
    if isinstance(printer, int):
        return printer
    try:
        result = printer.print_test_slip(timeout_s=60)
        info = _status_dict(printer)
    finally:
        printer.close()
    if result.ok:
        report = result.value
        info["test"] = {
            "outcome": "printed",
            "bytes": report.bytes_sent,
            "confirmed": report.confirmed.value,
        }
    else:
        info["test"] = {"outcome": "failed", "code": result.code, "message": result.message}
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        _print_status(info)
        test = info["test"]
        detail = test.get("message") or f"{test.get('bytes')} bytes, {test.get('confirmed')}"
        print(f"test slip: {test['outcome']} ({detail})")
    return 0 if result.ok else 1


def _sim(args: argparse.Namespace) -> int:
    import signal
    import threading

    from drivers.printer.virtual import VirtualPrinter

    printer = VirtualPrinter(
        args.host,
        args.port,
        paper=args.paper,
        paper_width_mm=args.width,
        out_dir=args.out,
        chinese_by_default=not args.needs_fs,
    )
    printer.status_mode = args.status
    if args.lines is not None:
        printer.set_paper(args.paper, lines_left=args.lines)
    printer.on_receipt = lambda r: print(
        f"receipt: {len(r.lines)} lines, QR {r.qr_payloads}, "
        f"{'cut' if r.cut else 'not cut'}{', paper ran out' if r.paper_ran_out else ''}",
        flush=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        printer.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}")
        return 2
    print(f"virtual printer listening on {printer.url} (paper {args.paper})", flush=True)
    stop.wait()
    printer.stop()
    return 0
