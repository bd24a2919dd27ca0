"""The `kiosk` command line.

Every module in kiosk/commands/ adds its own subcommands: `register(subparsers)`
for top-level commands and, optionally, `register_sim(sim_subparsers)` for
`kiosk sim NAME`. Command modules import only argparse at import time and load
their heavy dependencies inside the handler, so `kiosk --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from kiosk import __version__, commands


def _command_modules() -> list:
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    return [importlib.import_module(f"kiosk.commands.{name}") for name in names]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Self-service kiosk terminal for hospital lobbies.",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument(
        "--config", metavar="FILE", help="terminal config file (default: $KIOSK_CONFIG)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sim = sub.add_parser("sim", help="run a simulator (central platform or a device)")
    sim_sub = sim.add_subparsers(dest="simulator", metavar="SIMULATOR", required=True)
    for module in _command_modules():
        if hasattr(module, "register"):
            module.register(sub)
        if hasattr(module, "register_sim"):
            module.register_sim(sim_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from kiosk.logsetup import configure_logging

    configure_logging(verbose=args.verbose)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
