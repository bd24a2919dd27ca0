"""`kiosk screenshots DIR [--lang zh|en] [--size WxH]`: every screen with demo data, as PNG."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "screenshots",
        help="render every patient screen with demo data to PNG files",
        description="Render every screen of the patient window offscreen, with the demo "
        "patient and demo options, and save one PNG per screen in DIR.",
    )
    p.add_argument("dir", metavar="DIR", help="where to write the PNG files")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language (default zh)")
    p.add_argument("--size", default="1080x1920", help="window size WxH (default 1080x1920)")
    p.add_argument("--large-text", action="store_true", help="large-text mode")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.screenshots import render_all

    width, height = (int(v) for v in args.size.lower().split("x"))
    written = render_all(args.dir, args.lang, (width, height), args.large_text)
    for path in written:
        print(path)
    return 0
