"""Bookings per second through CentralClient and the simulator on loopback, against a floor.

Run:  .venv/bin/python bench/central.py [--n 300] [--inprocess]

The simulator runs as its own process (`kiosk sim central`, so client and server do not
share one GIL) on a fresh SQLite file. Measured in the same run, one request at a time:

- floor:   a bare httpx GET of a static admin route on the same server (no signature,
           no database, no contract models): what HTTP on loopback costs here
- ping:    CentralClient.ping(): signed, nonce recorded in SQLite, reply validated
- booking: CentralClient.book(...): signed, idempotency key stored, order + payment +
           booking + receipt in one SQLite transaction, reply validated

Figures: requests/s, p50 and p95 latency, and each one's ratio to the floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID  # noqa: E402
from kiosk.central.client import CentralClient  # noqa: E402


def start_process(data: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "sim", "central", "--port", "0", "--data", str(data)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not match:
        process.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return process, match.group(0)


def timed(n: int, call: Callable[[int], object]) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - started, latencies


def report(name: str, n: int, wall: float, latencies: list[float], floor_p50: float) -> float:
    p50 = statistics.median(latencies) * 1000
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    print(
        f"{name:8s} {n / wall:8.0f} req/s   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   "
        f"p50 x{p50 / floor_p50:5.1f} of floor"
        if floor_p50
        else f"{name:8s} {n / wall:8.0f} req/s   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms"
    )
    return p50


def booking_slots(client: CentralClient, n: int) -> list[tuple[str, str]]:
    """n distinct (patient, session) pairs with a free place each."""
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    patients = [f"P{i:04d}" for i in range(5, 51)]
    slots: list[tuple[str, str]] = []
    for hospital in client.list_hospitals():
        for department in client.list_departments(hospital.hospital_id):
            sessions = client.list_sessions(
                department.department_id, today + dt.timedelta(days=1), today + dt.timedelta(7)
            )
            for session in (s for s in sessions if s.bookable):
                for patient in patients[: session.places_left]:
                    slots.append((patient, session.session_id))
                    if len(slots) == n:
                        return slots
    raise SystemExit(f"only {len(slots)} free places for {n} bookings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="requests per measurement")
    parser.add_argument("--inprocess", action="store_true", help="simulator in a thread here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "central.sqlite3"
        if args.inprocess:
            from central_sim.server import start_in_thread

            handle = start_in_thread(data_path=data)
            url, stop = handle.url, handle.stop
        else:
            process, url = start_process(data)
            stop = process.terminate
        try:
            run(url, args.n)
        finally:
            stop()


def run(url: str, n: int) -> None:
    bare = httpx.Client(base_url=url)
    client = CentralClient(url, DEMO_TERMINAL_ID, DEMO_SECRET)
    slots = booking_slots(client, n)
    for _ in range(20):  # warm up both paths
        bare.get("/admin/faults")
        client.ping()
    print(f"central simulator at {url}, {n} sequential requests each, loopback")
    wall, lat = timed(n, lambda i: bare.get("/admin/faults").raise_for_status())
    floor = report("floor", n, wall, lat, 0)
    wall, lat = timed(n, lambda i: client.ping())
    report("ping", n, wall, lat, floor)

    def book(i: int) -> None:
        patient, session = slots[i]
        order = client.book(patient, session, "cash", f"bench-{i:06d}", cash_fen=10000)
        assert order.status == "fulfilled", order.status

    wall, lat = timed(n, book)
    report("booking", n, wall, lat, floor)
    client.close()
    bare.close()


if __name__ == "__main__":
    main()
