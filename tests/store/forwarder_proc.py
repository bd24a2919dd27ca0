"""A kiosk process that only forwards the outbox; the second-forwarder test runs two.

Every send is appended to this process's log before it goes out, so the test can
prove that no transaction was sent by both.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kiosk.central.client import CentralClient
from kiosk.offline_central import CentralForwarder
from kiosk.sync import Backoff, SyncWorker
from offline_store import OfflineStore, OutboxItem


class LoggingForwarder(CentralForwarder):
    def __init__(self, client: CentralClient, log: Path) -> None:
        super().__init__(client)
        self._log = log

    def send(self, item: OutboxItem):
        with self._log.open("a") as out:
            out.write(item.client_ref + "\n")
        return super().send(item)


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("--url", "--secret", "--store", "--key-file", "--lock", "--log", "--stop"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    client = CentralClient(args.url, "DEMO-0001", args.secret.encode(), timeout_s=5.0)
    secret = Path(args.key_file).read_bytes()
    worker = SyncWorker(
        lambda: OfflineStore(args.store, secret),
        LoggingForwarder(client, Path(args.log)),
        args.lock,
        backoff=Backoff(0.05, 0.5),
        heartbeat=Backoff(0.05, 0.3),
    )
    worker.start()
    print("started", flush=True)
    deadline = time.monotonic() + 120
    while not Path(args.stop).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
