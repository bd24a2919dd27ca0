"""`kiosk config show|validate FILE|set KEY VALUE|diff [OTHER]|set-pin|schema`."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "config",
        help="show, check and change the terminal's configuration",
        description="The terminal's config is config/default.toml merged with its own file "
        "(--config FILE or $KIOSK_CONFIG). Secrets are never printed.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    show = actions.add_parser("show", help="print the merged config (secrets removed)")
    show.add_argument("--json", action="store_true", help="as JSON instead of TOML")
    show.set_defaults(handler=show_config)

    validate = actions.add_parser("validate", help="check a config file; exit 1 if it is bad")
    validate.add_argument("file", metavar="FILE")
    validate.set_defaults(handler=validate_config)

    set_ = actions.add_parser(
        "set",
        help="change one key in the terminal's file (validated, saved atomically)",
        description='VALUE is TOML (60, true, "text", ["a", "b"]); anything that is not '
        "TOML is taken as text. The previous file is kept as FILE.prev.",
    )
    set_.add_argument("key", metavar="KEY", help="dotted key, e.g. ui.idle_timeout_s")
    set_.add_argument("value", metavar="VALUE")
    set_.set_defaults(handler=set_config)

    pin = actions.add_parser("set-pin", help="set the admin PIN (asked for, never on the line)")
    pin.set_defaults(handler=set_pin)

    d = actions.add_parser(
        "diff", help="what the terminal's file changes from the defaults, or from OTHER"
    )
    d.add_argument("other", nargs="?", metavar="OTHER", help="another terminal file to compare")
    d.set_defaults(handler=diff_config)

    schema = actions.add_parser("schema", help="print the JSON schema of the config")
    schema.add_argument("--write", action="store_true", help="write config/schema.json")
    schema.set_defaults(handler=print_schema)


def _fail(message: str) -> int:
    import sys

    print(f"error: {message}", file=sys.stderr)
    return 1


def show_config(args: argparse.Namespace) -> int:
    import json

    import tomli_w

    from kiosk import config as c

    try:
        data = c.load_config(args.config).model_dump(mode="json")
    except c.ConfigError as exc:
        return _fail(_problems_text(exc))
    data = c.redacted(data)
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else tomli_w.dumps(data))
    return 0


def validate_config(args: argparse.Namespace) -> int:
    from kiosk import config as c

    try:
        c.load_config(args.file)
    except c.ConfigError as exc:
        return _fail(f"{args.file} is not usable:\n{_problems_text(exc)}")
    print(f"{args.file}: valid")
    return 0


def set_config(args: argparse.Namespace) -> int:
    from kiosk import config as c

    path = c.terminal_file(args.config)
    if path is None:
        return _fail("no terminal file to change: pass --config FILE or set $KIOSK_CONFIG")
    if args.key in c.SECRET_KEYS:
        return _fail(f"{args.key} is a secret; use `kiosk config set-pin`")
    try:
        current = c.read_toml(path) if path.exists() else {}
        value = c.parse_value(args.value)
        before = c.flatten(current).get(args.key)
        c.save_terminal_file(path, c.set_key(current, args.key, value))
    except c.ConfigError as exc:
        return _fail(f"not saved, {path} is unchanged:\n{_problems_text(exc)}")
    print(f"{args.key}: {before!r} -> {value!r} (saved {path}; previous kept as {path.name}.prev)")
    return 0


def set_pin(args: argparse.Namespace) -> int:
    import getpass

    from kiosk import config as c
    from kiosk.admin_auth import PinError, hash_pin

    path = c.terminal_file(args.config)
    if path is None:
        return _fail("no terminal file to change: pass --config FILE or set $KIOSK_CONFIG")
    pin = getpass.getpass("new admin PIN: ")
    if pin != getpass.getpass("again: "):
        return _fail("the two PINs differ; nothing changed")
    try:
        current = c.read_toml(path) if path.exists() else {}
        c.save_terminal_file(path, c.set_key(current, "admin.pin_hash", hash_pin(pin)))
    except (PinError, c.ConfigError) as exc:
        return _fail(f"not saved: {exc}")
    print(f"admin PIN set (saved {path})")
    return 0


def diff_config(args: argparse.Namespace) -> int:
    from kiosk import config as c

    try:
        defaults = c.read_toml(c.DEFAULT_CONFIG)
        mine = c.merged_data(args.config)
        if args.other:
            old, new = mine, c.merged_data(args.other)
        else:
            old, new = defaults, mine
    except c.ConfigError as exc:
        return _fail(str(exc))
    changes = c.diff(c.redacted(old), c.redacted(new))
    for key, before, after in changes:
        print(f"{key}: {_shown(before)} -> {_shown(after)}")
    if not changes:
        print("no differences")
    return 0


def print_schema(args: argparse.Namespace) -> int:
    from kiosk import config as c

    if args.write:
        c.SCHEMA_FILE.write_text(c.schema_text(), encoding="utf-8")
        print(f"wrote {c.SCHEMA_FILE}")
    else:
        print(c.schema_text(), end="")
    return 0


def _shown(value: object) -> str:
    return "(absent)" if value is None else repr(value)


def _problems_text(exc: Exception) -> str:
    problems = getattr(exc, "problems", None) or [exc]
    return "\n".join(f"  {p}" for p in problems)
