"""pcscd + vpcd + virtual cards, for every test that needs a card (pytest plugin).

Several test sessions run at once on the development machines, and vpcd takes
one card per reader: two sessions inserting cards into the same shared reader
would break each other. So, as root, each test session gets a pcscd of its own
(its own socket, its own vpcd ports, the usual reader names "Virtual PCD 00 00"
and "Virtual PCD 00 01"), PCSCLITE_CSOCK_NAME points every PC/SC client of the
session at it, including child processes (`kiosk card read`, `kiosk diag`), and
KIOSK_VPCD_PORT points virtual cards (`VirtualCard`, `kiosk sim card`) at its vpcd.
KIOSK_TEST_PCSCD=shared uses the machine's pcscd instead (as do non-root runs).

Fixtures:
- `pcscd` (session): the session's pcscd with its two vpcd readers, started with
  `pcscd --foreground`; if it cannot be started, that is a test FAILURE, not a
  skip. In shared mode a running pcscd is used and left alone; one started here
  is left running (other sessions on this machine may use it).
- `virtual_card`: factory, `virtual_card("pboc_zhang", reader=0)` inserts a card
  image into a vpcd reader of that pcscd, waits until pcscd sees it, and returns a
  handle with `.remove()`; every card still in at teardown is removed.
- `card_service`: factory for a running `CardReaderService` whose events are
  recorded (`service.events.wait_for(CardRead)`); closed at teardown.
- `private_pcscd`: factory for a further isolated pcscd that a test may kill and
  restart. Clients reach it through its `env` (PCSCLITE_CSOCK_NAME is read once
  per process, so use it from a child process).
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

VPCD_READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")
VPCD_LIBRARY = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
VPCD_DEFAULT_PORT = 35963
START_TIMEOUT_S = 15.0
STATE_TIMEOUT_S = 10.0


class PcscdError(RuntimeError):
    """pcscd could not be started or did not show its readers."""


def _list_readers() -> list[str] | None:
    """The readers pcscd reports, or None when pcscd cannot be reached."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return None
    try:
        hresult, readers = scard.SCardListReaders(context, [])
        return list(readers) if hresult == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(context)


def _wait_vpcd_readers() -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    readers: list[str] | None = None
    while time.monotonic() < deadline:
        readers = _list_readers()
        if readers is not None and all(r in readers for r in VPCD_READERS):
            return
        time.sleep(0.1)
    raise PcscdError(f"pcscd did not show the vpcd readers {VPCD_READERS} (saw {readers})")


def _pcscd_running() -> bool:
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "pcscd":
                return True
        except OSError:
            continue
    return False


def private_mode_possible() -> bool:
    return os.geteuid() == 0 and bool(shutil.which("unshare")) and bool(shutil.which("pcscd"))


class SharedPcscd:
    """The machine's pcscd (vpcd on the default ports), started if none runs."""

    base_port = VPCD_DEFAULT_PORT

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.readers = list(VPCD_READERS)

    def ensure(self) -> SharedPcscd:
        if not _pcscd_running():
            if os.geteuid() != 0 or shutil.which("pcscd") is None:
                raise PcscdError("pcscd is not running and cannot be started (needs root + pcscd)")
            self.process = subprocess.Popen(
                ["pcscd", "--foreground"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        _wait_vpcd_readers()
        return self


_SESSION_DIR: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Point the whole session (and its children) at its own pcscd, before any PC/SC call."""
    global _SESSION_DIR
    if os.environ.get("KIOSK_TEST_PCSCD", "private") == "shared" or not private_mode_possible():
        return
    if "PCSCLITE_CSOCK_NAME" in os.environ:  # a parent session set one up: use it as is
        return
    # Only a name for now: the directory and the daemon come with the first `pcscd` use.
    _SESSION_DIR = Path(tempfile.gettempdir()) / f"kiosk-pcscd-{os.getpid()}-{time.time_ns()}"
    os.environ["PCSCLITE_CSOCK_NAME"] = str(_SESSION_DIR / "run" / "pcscd.comm")


@pytest.fixture(scope="session")
def pcscd() -> Iterator[Any]:
    try:
        if _SESSION_DIR is None:
            yield SharedPcscd().ensure()
            return
        _SESSION_DIR.mkdir(parents=True, exist_ok=True)
        daemon = PrivatePcscd(_SESSION_DIR)
        daemon.start()
        # VirtualCard and `kiosk sim card` default to this session's vpcd ports
        os.environ["KIOSK_VPCD_PORT"] = str(daemon.base_port)
        _wait_vpcd_readers()
    except PcscdError as exc:
        pytest.fail(str(exc))
    yield daemon
    daemon.kill(signal.SIGTERM)
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def wait_reader_state(reader: str, present: bool, timeout_s: float = STATE_TIMEOUT_S) -> bool:
    """Wait, by SCardGetStatusChange, until pcscd sees a card in `reader` (or none)."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        deadline = time.monotonic() + timeout_s
        current = scard.SCARD_STATE_UNAWARE
        while time.monotonic() < deadline:
            remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
            hresult, states = scard.SCardGetStatusChange(context, remaining_ms, [(reader, current)])
            if hresult != scard.SCARD_S_SUCCESS:
                return False
            event = states[0][1]
            if bool(event & scard.SCARD_STATE_PRESENT) == present:
                return True
            current = event & ~scard.SCARD_STATE_CHANGED
        return False
    finally:
        scard.SCardReleaseContext(context)


# -- virtual cards ----------------------------------------------------------------


class CardHandle:
    """A virtual card in a vpcd reader of the shared pcscd."""

    def __init__(self, card: Any, reader: str) -> None:
        self.card = card
        self.reader = reader

    def remove(self, wait: bool = True) -> None:
        self.card.remove()
        if wait and not wait_reader_state(self.reader, present=False):
            pytest.fail(f"pcscd still sees a card in {self.reader} after removal")


@pytest.fixture
def virtual_card(pcscd: Any) -> Iterator[Callable[..., CardHandle]]:
    from drivers.card.virtual import VirtualCard

    handles: list[CardHandle] = []

    def insert(
        image: Any, reader: int = 0, pull_after: int | None = None, wait: bool = True
    ) -> CardHandle:
        name = VPCD_READERS[reader]
        # vpcd takes one card per reader: let pcscd see the last one leave first
        if not wait_reader_state(name, present=False):
            pytest.fail(f"{name} still holds a card from before")
        card = VirtualCard(
            image, reader_index=reader, pull_after=pull_after, base_port=pcscd.base_port
        ).insert()
        handle = CardHandle(card, name)
        handles.append(handle)
        if wait and not wait_reader_state(name, present=True):
            pytest.fail(f"pcscd did not see the card inserted in {name}")
        return handle

    yield insert
    for handle in handles:
        handle.remove(wait=True)


# -- the reader service with recorded events ---------------------------------------


class EventLog:
    """Events posted by a service, in order, waitable from the test thread."""

    def __init__(self) -> None:
        self.all: list[Any] = []
        self._queue: queue.Queue[Any] = queue.Queue()

    def __call__(self, event: Any) -> None:
        self.all.append(event)
        self._queue.put(event)

    def wait_for(self, kind: type, timeout_s: float = STATE_TIMEOUT_S, **match: Any) -> Any:
        """The next event of `kind` with the given attributes; fails the test on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no {kind.__name__} {match or ''} within {timeout_s} s: {self.all}")
            try:
                event = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if isinstance(event, kind) and all(getattr(event, k) == v for k, v in match.items()):
                return event

    def drain(self) -> list[Any]:
        drained = []
        while not self._queue.empty():
            drained.append(self._queue.get_nowait())
        return drained


def wait_status(service: Any, state: Any, timeout_s: float = STATE_TIMEOUT_S) -> None:
    """Wait until a device's status reaches `state` (it changes just after an event)."""
    deadline = time.monotonic() + timeout_s
    while service.status.state != state:
        if time.monotonic() > deadline:
            pytest.fail(f"status stayed {service.status} instead of {state}")
        time.sleep(0.02)


@pytest.fixture
def card_service(pcscd: Any) -> Iterator[Callable[..., Any]]:
    from drivers.card.service import CardReaderService

    services: list[Any] = []

    def start(reader: str = "", backend: str = "pcsc", **kwargs: Any) -> Any:
        events = EventLog()
        service = CardReaderService(events, backend=backend, reader=reader, **kwargs)
        service.events = events
        service.open()
        services.append(service)
        return service

    yield start
    for service in services:
        service.close()


# -- an isolated pcscd a test may kill -----------------------------------------------


def _two_free_ports() -> int:
    """A port P with P and P+1 free (vpcd listens on one port per reader)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            if port > 65000:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    raise RuntimeError("no two consecutive free ports")


def _listening(port: int) -> bool:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                return True
    return False


class PrivatePcscd:
    """A pcscd of our own: socket in `directory`, vpcd readers on `base_port`, +1."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.run_dir = directory / "run"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.socket = self.run_dir / "pcscd.comm"
        self.base_port = _two_free_ports()
        self.process: subprocess.Popen[bytes] | None = None
        self.env = {
            **os.environ,
            "PCSCLITE_CSOCK_NAME": str(self.socket),
            "KIOSK_VPCD_PORT": str(self.base_port),
        }

    def _config_dir(self, with_readers: bool) -> Path:
        config = self.directory / ("readers" if with_readers else "no-readers")
        config.mkdir(exist_ok=True)
        if with_readers:
            (config / "vpcd").write_text(
                'FRIENDLYNAME "Virtual PCD"\n'
                f"DEVICENAME   /dev/null:0x{self.base_port:04X}\n"
                f"LIBPATH      {VPCD_LIBRARY}\n"
                f"CHANNELID    0x{self.base_port:04X}\n"
            )
        return config

    def start(self, with_readers: bool = True) -> PrivatePcscd:
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            raise PcscdError("an isolated pcscd needs root and unshare (util-linux)")
        config = self._config_dir(with_readers)
        # pcscd always uses /run/pcscd (pid file and socket) and refuses to start while
        # another pcscd lives: give it our directory as /run/pcscd in a private mount
        # namespace. Clients find the socket through PCSCLITE_CSOCK_NAME.
        script = f"mount --bind {self.run_dir} /run/pcscd && exec pcscd --foreground -c {config}"
        log = (self.directory / "pcscd.log").open("ab")
        self.process = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready(with_readers)
        return self

    def _wait_ready(self, with_readers: bool) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.directory / "pcscd.log").read_text(errors="replace")
                raise PcscdError(f"isolated pcscd exited: {log[-2000:]}")
            ready = self.socket.exists()
            if with_readers:
                ready = ready and _listening(self.base_port) and _listening(self.base_port + 1)
            if ready:
                return
            time.sleep(0.05)
        raise PcscdError("isolated pcscd did not come up")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Stop it hard, as a crash would (only this pcscd: we started it)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            process.wait(timeout=10)
        for leftover in ("pcscd.comm", "pcscd.pid"):  # a killed pcscd leaves these behind
            (self.run_dir / leftover).unlink(missing_ok=True)


@pytest.fixture
def private_pcscd(tmp_path: Path) -> Iterator[Callable[[], PrivatePcscd]]:
    daemons: list[PrivatePcscd] = []

    def make() -> PrivatePcscd:
        directory = tmp_path / f"pcscd{len(daemons)}"
        directory.mkdir()
        daemon = PrivatePcscd(directory)
        daemons.append(daemon)
        return daemon

    yield make
    for daemon in daemons:
        daemon.kill(signal.SIGTERM)


class LineStream:
    """A child process's stdout lines, read on a thread, waitable with a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self._queue.put(line)

    def wait_for(self, predicate: Callable[[str], bool], timeout_s: float = STATE_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout_s
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if predicate(line):
                return line
        pytest.fail(f"no matching line within {timeout_s} s; output so far: {self.lines}")
