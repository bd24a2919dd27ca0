"""Serial devices over real ptys: ccTalk request latency and scanner delivery latency.

Baseline, measured in the same run: a bare pty round trip (5 bytes out, echoed back by
a thread on the other end) through pyserial. Prints median and p95 and the ratio of
each device path to the baseline. Run: .venv/bin/python bench/serial_devices.py [N]
"""

from __future__ import annotations

import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import serial

from drivers.cash.bus import CcTalkBus
from drivers.cash.cctalk import Header
from drivers.cash.sim import BillValidatorSimulator
from drivers.device import DeviceState
from drivers.scanner import SerialScanner
from drivers.scanner.sim import ScannerSimulator
from drivers.serialport.pty import VirtualPort


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95)] * 1000


def bare_round_trip(n: int) -> list[float]:
    device = VirtualPort()
    stop = threading.Event()

    def echo() -> None:
        while not stop.is_set():
            data = device.read(64, timeout=0.05)
            if data:
                device.write(data)

    threading.Thread(target=echo, daemon=True).start()
    port = serial.Serial(device.path, 9600, timeout=1)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        port.write(b"\x02\x00\x01\xfe\xff")
        port.read(5)
        samples.append(time.perf_counter() - start)
    stop.set()
    port.close()
    device.close()
    return samples


def cctalk_round_trip(n: int, workdir: str) -> list[float]:
    sim = BillValidatorSimulator(os.path.join(workdir, "state.json"))
    sim.start()
    port = serial.Serial(sim.path, 9600, timeout=0.1)
    bus = CcTalkBus(port, sim.address)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        assert bus.request(Header.READ_BUFFERED_BILL_EVENTS).ok
        samples.append(time.perf_counter() - start)
    port.close()
    sim.stop()
    return samples


def scan_delivery(n: int, workdir: str) -> list[float]:
    sim = ScannerSimulator(link=os.path.join(workdir, "tty"))
    driver = SerialScanner(sim.path, repeat_window_s=0)
    delivered: queue.Queue = queue.Queue()
    driver.subscribe_scans(lambda s: delivered.put(time.perf_counter()))
    driver.open()
    while driver.status.state is not DeviceState.READY:
        time.sleep(0.01)
    samples = []
    for i in range(n):
        start = time.perf_counter()
        sim.scan(f"{13 * 10**16 + i}")
        samples.append(delivered.get(timeout=10) - start)
    driver.close()
    sim.close()
    return samples


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as workdir:
        base = summary(bare_round_trip(n))
        rows = [
            ("bare pty round trip (baseline)", base),
            ("ccTalk request (159) via sim", summary(cctalk_round_trip(n, workdir))),
            ("scanner code → listener", summary(scan_delivery(n, workdir))),
        ]
    print(f"{n} samples each; times in ms")
    for name, (median, p95) in rows:
        print(f"{name:34} median {median:7.3f}  p95 {p95:7.3f}  ratio {median / base[0]:6.1f}x")


if __name__ == "__main__":
    main()
