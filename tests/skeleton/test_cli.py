"""The `kiosk` command line an engineer types over SSH."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kiosk import __version__
from kiosk.cli import build_parser

HEAVY = ("PySide6", "smartcard", "httpx", "pydantic", "fastapi", "escpos", "serial", "sqlite_utils")


def kiosk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_version():
    result = kiosk("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"kiosk {__version__}"


def test_help_lists_the_subcommands():
    result = kiosk("--help")
    assert result.returncode == 0
    for command in ("run", "demo", "sim"):
        assert command in result.stdout


def _subcommand_paths() -> list[list[str]]:
    parser = build_parser()
    paths = []
    for action in parser._subparsers._group_actions:
        for name, sub in action.choices.items():
            paths.append([name])
            if sub._subparsers:
                for inner in sub._subparsers._group_actions:
                    paths.extend([name, inner_name] for inner_name in inner.choices)
    return paths


@pytest.mark.parametrize("path", _subcommand_paths(), ids=" ".join)
def test_every_subcommand_has_its_own_help(path):
    result = kiosk(*path, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: kiosk {' '.join(path)}" in result.stdout


def test_help_loads_no_heavy_library():
    """What keeps `kiosk --help` well under a second: no Qt, pyscard or HTTP stack loaded."""
    probe = (
        "import sys, contextlib, io\n"
        "from kiosk.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
