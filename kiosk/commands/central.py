"""`kiosk sim central` (the platform simulator), `kiosk central ping` (a signed round trip)
and `kiosk central faults` (the simulator's fault switches). Enrollment is `kiosk enroll`.

Only argparse at import time: everything else is imported inside the handlers.
"""

from __future__ import annotations

import argparse


def register_sim(sim_subparsers: argparse._SubParsersAction) -> None:
    sim = sim_subparsers.add_parser(
        "central", help="run the central platform simulator (prints its URL, Ctrl-C stops it)"
    )
    sim.add_argument("--port", type=int, default=8700, help="TCP port (0: any free port)")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument("--data", metavar="FILE", help="SQLite file (kept across restarts)")
    sim.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    sim.set_defaults(handler=_run_sim)


def register(subparsers: argparse._SubParsersAction) -> None:
    central = subparsers.add_parser("central", help="the central platform: ping, simulator faults")
    sub = central.add_subparsers(dest="central_command", metavar="ACTION", required=True)

    ping = sub.add_parser("ping", help="signed round trip to the platform")
    ping.add_argument("--url", help="platform URL (default: central.url of the config)")
    ping.set_defaults(handler=_ping)

    faults = sub.add_parser("faults", help="show or set the simulator's fault switches")
    faults.add_argument("changes", nargs="*", metavar="SWITCH=VALUE", help="e.g. down=true")
    faults.add_argument("--url", help="simulator URL (default: central.url of the config)")
    faults.set_defaults(handler=_faults)


def _run_sim(args: argparse.Namespace) -> int:
    from central_sim.server import run_forever

    try:
        run_forever(args.port, args.data, seed=args.seed, host=args.host)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
        return 1
    return 0


def _config(args: argparse.Namespace):
    from kiosk.config import load_config

    return load_config(args.config)


def _ping(args: argparse.Namespace) -> int:
    import time

    from kiosk.central.client import CentralClient
    from kiosk.central.errors import CentralError
    from kiosk.central.secret_store import SecretStoreError, credentials_for

    config = _config(args)
    url = args.url or config.central.url
    try:
        creds = credentials_for(config.terminal.id, config.data_dir())
    except SecretStoreError as exc:
        print(f"FAIL {exc}")
        return 1
    with CentralClient(
        url,
        creds.terminal_id,
        creds.secret,
        config.central.timeout_s,
        config.central.connect_timeout_s,
        ca_bundle=config.central.ca_bundle,
    ) as client:
        started = time.monotonic()
        try:
            pong = client.ping()
        except CentralError as exc:
            print(f"FAIL {url}: {exc.operator}")
            return 1
    took = (time.monotonic() - started) * 1000
    print(
        f"OK {url} api {pong.api_version}, terminal {pong.terminal_id}, "
        f"server time {pong.server_time.isoformat()}, {took:.0f} ms"
    )
    return 0


def _faults(args: argparse.Namespace) -> int:
    import json

    import httpx

    url = (args.url or _config(args).central.url).rstrip("/") + "/admin/faults"
    try:
        changes = {k: json.loads(v) for k, v in (c.split("=", 1) for c in args.changes)}
    except ValueError:
        print("switches are SWITCH=VALUE with a JSON value, e.g. down=true latency_ms=3000")
        return 2
    try:
        reply = httpx.post(url, json=changes) if changes else httpx.get(url)
    except httpx.HTTPError as exc:
        print(f"FAIL {url}: {exc}")
        return 1
    print(json.dumps(reply.json(), ensure_ascii=False, indent=2))
    return 0 if reply.is_success else 1
