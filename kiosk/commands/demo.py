"""`kiosk demo`: the kiosk on its built-in simulators, with the simulator panel."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the kiosk on simulated platform, cards and printer",
        description="Start the central simulator, the card path (pcscd + vpcd, or the "
        "in-process reader), a virtual printer and the kiosk UI with a simulator panel.",
    )
    p.add_argument("--size", default="540x960", help="kiosk window size WxH (default 540x960)")
    p.add_argument("--inprocess", action="store_true", help="use the in-process card reader")
    p.add_argument(
        "--tour",
        metavar="DIR",
        help="no person at the screen: insert a demo card, pull it, save a screenshot of "
        "each step to DIR, then exit",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ui.demo_app import run_demo

    width, height = (int(v) for v in args.size.lower().split("x"))
    return run_demo(
        config_path=args.config, size=(width, height), inprocess=args.inprocess, tour=args.tour
    )
