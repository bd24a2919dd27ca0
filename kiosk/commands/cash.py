"""`kiosk cash status` (engineer) and `kiosk sim cash --pty` (ccTalk bill validator simulator)."""

from __future__ import annotations

import argparse

SIM_HELP = """commands on stdin, one a line:
  insert YUAN   a genuine note (1, 5, 10, 20, 50, 100)
  fake          a note that fails validation
  jam | clear   jam the transport | clear the jam
  full | empty  cashbox full | emptied
  fraud         a string fraud attempt
  power         power cycle (counter to 0, escrow handed back)
  corrupt N     corrupt the checksum of the next N replies
  drop N        lose the next N replies
  unplug | plug pull or put back the cable
  state         print the validator's state"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cash", help="cash acceptor tools for field engineers")
    cash_sub = p.add_subparsers(dest="cash_command", metavar="ACTION", required=True)
    status = cash_sub.add_parser(
        "status", help="identify the ccTalk acceptor and print its state and note table"
    )
    status.add_argument("--port", help="serial port (default: devices.cash_acceptor.port)")
    status.add_argument("--baud", type=int, help="default: devices.cash_acceptor.baud")
    status.add_argument("--address", type=int, help="default: devices.cash_acceptor.address")
    status.set_defaults(handler=status_handler)


def register_sim(sim_sub: argparse._SubParsersAction) -> None:
    p = sim_sub.add_parser(
        "cash",
        help="a ccTalk bill validator on a pseudo-terminal",
        description="Prints the device path to use as devices.cash_acceptor.port, then reads "
        "commands from stdin.",
        epilog=SIM_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--pty", action="store_true", required=True, help="serve on a pseudo-terminal")
    p.add_argument("--link", metavar="PATH", help="also keep a fixed symlink to the pty here")
    p.add_argument("--address", type=int, default=40)
    p.add_argument(
        "--state",
        metavar="FILE",
        help="state file kept across restarts (default: cash-sim.json in the data dir)",
    )
    p.set_defaults(handler=sim_handler)


def status_handler(args: argparse.Namespace) -> int:
    import time

    from drivers.cash import BillValidator
    from drivers.device import DeviceState, HealthLevel
    from kiosk.commands import serial_device_config
    from kiosk.money import format_fen

    resolved = serial_device_config(args.config, "cash_acceptor", args.port, "cash acceptor")
    if resolved is None:
        return 2
    cfg, port = resolved
    device = BillValidator(port, args.baud or cfg.baud, args.address or cfg.address)
    device.open()
    try:
        deadline = time.monotonic() + 10
        while device.status.state is DeviceState.UNKNOWN and time.monotonic() < deadline:
            time.sleep(0.05)
        status = device.status
        print(f"state:  {status.state} ({status.reason})")
        for key, value in status.facts.items():
            print(f"  {key}: {value}")
        health = device.health_check(HealthLevel.EXTERNAL)
        print(f"check:  {health.outcome}: {health.summary} {health.cause}".rstrip())
        for key, value in health.details.items():
            print(f"  {key}: {value}")
        for bill_type, fen in sorted(device.bill_values.items()):
            print(f"  note type {bill_type}: {format_fen(fen)}")
        return 0 if status.state is DeviceState.READY else 1
    finally:
        device.close()


def sim_handler(args: argparse.Namespace) -> int:
    import json
    import sys
    from dataclasses import asdict

    from drivers.cash.sim import BillValidatorSimulator

    state = args.state or _default_state(args.config)
    sim = BillValidatorSimulator(state, link=args.link, address=args.address)
    sim.start()
    print(sim.path, flush=True)
    actions = {
        "fake": sim.insert_fake,
        "jam": sim.jam,
        "clear": sim.clear_jam,
        "full": sim.fill_stacker,
        "empty": sim.empty_stacker,
        "fraud": sim.string_fraud,
        "power": sim.power_cycle,
        "unplug": sim.unplug,
        "plug": sim.plug,
    }
    try:
        for line in sys.stdin:
            word, *rest = line.split() or [""]
            try:
                if word == "insert":
                    sim.insert(int(rest[0]))
                elif word in ("corrupt", "drop"):
                    count = int(rest[0]) if rest else 1
                    (sim.corrupt_next_replies if word == "corrupt" else sim.drop_next_replies)(
                        count
                    )
                elif word == "state":
                    print(json.dumps(asdict(sim.state)), flush=True)
                elif word in actions:
                    actions[word]()
                elif word:
                    print(f"unknown command {word!r}\n{SIM_HELP}", flush=True)
            except (IndexError, ValueError, StopIteration):
                print(f"cannot do {line.strip()!r}\n{SIM_HELP}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


def _default_state(config_path: str | None) -> str:
    from kiosk.config import load_config

    return str(load_config(config_path).data_dir() / "cash-sim.json")
