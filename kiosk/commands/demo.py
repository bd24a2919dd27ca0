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


# The screens are laid out for a kiosk panel of 1080 x 1920 (or 1920 x 1080); on a
# desktop the demo shows that panel scaled down to --size, so nothing is clipped.
PANEL = (1080, 1920)


def run(args: argparse.Namespace) -> int:
    import os

    width, height = (int(v) for v in args.size.lower().split("x"))
    panel = PANEL if height >= width else PANEL[::-1]
    scale = min(width / panel[0], height / panel[1])
    # Qt reads the scale factor once, when the application is created: set it first.
    os.environ.setdefault("QT_SCALE_FACTOR", f"{scale:.4f}")
    from ui.demo_app import run_demo

    return run_demo(
        config_path=args.config,
        size=panel,
        inprocess=args.inprocess,
        tour=args.tour,
        on_screen=(width, height),
    )
