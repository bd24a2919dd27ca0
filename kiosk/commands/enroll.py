"""`kiosk enroll --url U --code C`: exchange a one-time code for this terminal's secret."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "enroll",
        help="enroll this terminal with the platform (one-time code -> terminal secret)",
        description="Exchanges the one-time enrollment code for the terminal's secret, stores "
        "it readable by this user only (0600) in the data dir, then proves it with a signed "
        "round trip. An existing secret is kept unless --force is given.",
    )
    p.add_argument("--url", required=True, help="the platform's URL, e.g. https://his.example")
    p.add_argument("--code", required=True, help="the one-time enrollment code")
    p.add_argument("--terminal-id", help="enroll as this id (default: terminal.id of the config)")
    p.add_argument("--force", action="store_true", help="replace an existing terminal secret")
    p.add_argument(
        "--ca-bundle",
        metavar="PEM",
        help="trust the platform's certificate only if this CA signed it "
        "(default: central.ca_bundle of the config; empty there: the system's CA store)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import base64
    import binascii
    import sys

    from kiosk import __version__
    from kiosk.central.client import CentralClient
    from kiosk.central.errors import CentralError
    from kiosk.central.secret_store import SecretStore, SecretStoreError
    from kiosk.config import ConfigError, load_config

    def fail(message: str) -> int:
        print(f"FAIL {message}", file=sys.stderr)
        return 1

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return fail(f"the config does not load, fix it first: {exc}")
    terminal_id = args.terminal_id or config.terminal.id
    ca_bundle = config.central.ca_bundle if args.ca_bundle is None else args.ca_bundle
    store = SecretStore.in_dir(config.data_dir())
    try:
        existing = store.load()
    except SecretStoreError:
        existing = None  # damaged or too open: enrolling again is the fix
    if existing is not None and not args.force:
        return fail(
            f"terminal {existing.terminal_id} is already enrolled ({store.path}); "
            "add --force to replace its secret"
        )
    try:
        enrollment = CentralClient.enroll(
            args.url, args.code, terminal_id, __version__, ca_bundle=ca_bundle
        )
        secret = base64.b64decode(enrollment.secret_b64, validate=True)
    except CentralError as exc:
        return fail(f"enrollment at {args.url}: {exc.operator}")
    except (binascii.Error, ValueError):
        return fail("the platform sent a secret that is not base64; nothing was stored")
    store.save(enrollment.terminal_id, secret, enrollment.hospital_id)
    print(
        f"OK terminal {enrollment.terminal_id} enrolled with hospital "
        f"{enrollment.hospital_id}; secret stored in {store.path} (mode 600)"
    )
    try:
        with CentralClient(
            args.url,
            enrollment.terminal_id,
            secret,
            config.central.timeout_s,
            config.central.connect_timeout_s,
            ca_bundle=ca_bundle,
        ) as client:
            client.ping()
    except CentralError as exc:
        return fail(f"enrolled, but a signed request with the new secret failed: {exc.operator}")
    print("OK a signed request with the new secret was accepted")
    if args.url.rstrip("/") != config.central.url.rstrip("/"):
        print(
            f"note: central.url in the config is {config.central.url}; "
            f'set it with `kiosk config set central.url "{args.url}"`'
        )
    return 0
