"""`kiosk scanner listen` (engineer) and `kiosk sim scanner --pty` (simulator)."""

from __future__ import annotations

import argparse

SUFFIXES = ("CR", "LF", "CRLF")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scanner", help="QR scanner tools for field engineers")
    scanner_sub = p.add_subparsers(dest="scanner_command", metavar="ACTION", required=True)
    listen = scanner_sub.add_parser(
        "listen",
        help="print each code scanned (kind and a masked form), until Ctrl-C or --count",
        description="Opens the scanner from the config (or --port) and prints what it reads.",
    )
    listen.add_argument("--port", help="serial port (default: devices.scanner.port)")
    listen.add_argument("--baud", type=int, help="baud rate (default: devices.scanner.baud)")
    listen.add_argument("--suffix", choices=SUFFIXES, help="default: devices.scanner.suffix")
    listen.add_argument("--count", type=int, default=0, help="stop after N codes (0: never)")
    listen.add_argument("--timeout", type=float, default=0, help="give up after S seconds")
    listen.set_defaults(handler=listen_handler)


def register_sim(sim_sub: argparse._SubParsersAction) -> None:
    p = sim_sub.add_parser(
        "scanner",
        help="a QR scanner on a pseudo-terminal: each line typed on stdin is scanned",
        description="Prints the device path to use as devices.scanner.port, then scans each "
        "line read from stdin. A line '!unplug' or '!plug' pulls or puts back the cable.",
    )
    p.add_argument("--pty", action="store_true", required=True, help="serve on a pseudo-terminal")
    p.add_argument("--link", metavar="PATH", help="also keep a fixed symlink to the pty here")
    p.add_argument("--suffix", choices=SUFFIXES, default="CR")
    p.set_defaults(handler=sim_handler)


def listen_handler(args: argparse.Namespace) -> int:
    import queue
    import time

    from drivers.scanner import SerialScanner
    from kiosk.commands import serial_device_config

    resolved = serial_device_config(args.config, "scanner", args.port, "scanner")
    if resolved is None:
        return 2
    cfg, port = resolved
    scanner = SerialScanner(port, args.baud or cfg.baud, args.suffix or cfg.suffix)
    scans: queue.Queue = queue.Queue()
    scanner.subscribe_scans(scans.put)
    scanner.subscribe(lambda s: print(f"[{s.state}] {s.reason}", flush=True))
    scanner.open()
    deadline = time.monotonic() + args.timeout if args.timeout else None
    seen = 0
    try:
        while not args.count or seen < args.count:
            if deadline and time.monotonic() > deadline:
                return 1 if seen == 0 else 0
            try:
                scanned = scans.get(timeout=0.2)
            except queue.Empty:
                continue
            seen += 1
            extra = scanned.provider or scanned.receipt_id or ""
            print(f"{scanned.at:%H:%M:%S} {scanned.masked} {extra}".rstrip(), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        scanner.close()
    return 0


def sim_handler(args: argparse.Namespace) -> int:
    import sys

    from drivers.scanner.sim import ScannerSimulator

    sim = ScannerSimulator(args.suffix, link=args.link)
    print(sim.path, flush=True)
    try:
        for line in sys.stdin:
            code = line.rstrip("\r\n")
            if code == "!unplug":
                sim.unplug()
            elif code == "!plug":
                sim.plug()
            elif code and sim.plugged:
                sim.scan(code)
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    return 0
