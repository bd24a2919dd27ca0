"""Printer connections from a URL, on top of python-escpos' connection classes.

    tcp://HOST:PORT                 raw 9100 network printer (port defaults to 9100)
    serial:///dev/ttyS0?baud=9600&flow=rtscts|xonxoff|dsrdtr|none
    usb://VID:PID                   hex ids, e.g. usb://0416:5011
    file:///dev/usb/lp0             write-only device or file (no status read-back)

A query string may also carry `chinese=fs` (send `FS &` before Chinese text).

python-escpos objects do not recover after the printer is power-cycled or the
cable is pulled, so a `Link` is disposable: the driver closes it on any I/O
error and builds a new one from the same `LinkSpec`.
"""

from __future__ import annotations

import socket
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

CONNECT_TIMEOUT_S = 2.0


class PrinterUrlError(ValueError):
    """The printer URL cannot be used; the message says what is wrong and what is allowed."""


class LinkError(OSError):
    """The connection failed or dropped."""


@dataclass(frozen=True)
class LinkSpec:
    scheme: str  # tcp | serial | usb | file
    target: str  # host, device path, or "VID:PID"
    port: int = 9100
    baud: int = 9600
    flow: str = "none"
    options: dict[str, str] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return self.scheme != "file"

    def describe(self) -> str:
        if self.scheme == "tcp":
            return f"tcp://{self.target}:{self.port}"
        if self.scheme == "serial":
            return f"serial://{self.target}?baud={self.baud}&flow={self.flow}"
        return f"{self.scheme}://{self.target}"


_FLOWS = ("none", "rtscts", "xonxoff", "dsrdtr")


def parse_url(url: str) -> LinkSpec:
    parts = urlsplit(url.strip())
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    options = {k: v for k, v in query.items() if k not in ("baud", "flow")}
    if parts.scheme == "tcp":
        if not parts.hostname:
            raise PrinterUrlError(f"{url!r}: expected tcp://HOST:PORT")
        try:
            port = parts.port or 9100
        except ValueError as exc:
            raise PrinterUrlError(f"{url!r}: port must be 1-65535") from exc
        return LinkSpec("tcp", parts.hostname, port=port, options=options)
    if parts.scheme == "serial":
        return _serial_spec(url, parts.path, query, options)
    if parts.scheme == "usb":
        return _usb_spec(url, parts.netloc, options)
    if parts.scheme == "file":
        if not parts.path:
            raise PrinterUrlError(f"{url!r}: expected file:///path/to/device")
        return LinkSpec("file", parts.path, options=options)
    raise PrinterUrlError(
        f"{url!r}: unsupported printer URL; use tcp://HOST:PORT, serial:///dev/ttyS0?baud=9600, "
        "usb://VID:PID or file:///dev/usb/lp0"
    )


def _serial_spec(url: str, path: str, query: dict[str, str], options: dict[str, str]) -> LinkSpec:
    if not path:
        raise PrinterUrlError(f"{url!r}: expected serial:///dev/ttyS0?baud=9600")
    flow = query.get("flow", "none")
    if flow not in _FLOWS:
        raise PrinterUrlError(f"{url!r}: flow must be one of {', '.join(_FLOWS)}")
    try:
        baud = int(query.get("baud", "9600"))
    except ValueError as exc:
        raise PrinterUrlError(f"{url!r}: baud must be a number") from exc
    return LinkSpec("serial", path, baud=baud, flow=flow, options=options)


def _usb_spec(url: str, netloc: str, options: dict[str, str]) -> LinkSpec:
    try:
        vid, pid = (int(part, 16) for part in netloc.split(":"))
    except ValueError as exc:
        raise PrinterUrlError(
            f"{url!r}: expected usb://VID:PID in hex, e.g. usb://0416:5011"
        ) from exc
    return LinkSpec("usb", f"{vid:04x}:{pid:04x}", options=options)


class Link(ABC):
    """One open connection. Every method raises LinkError on failure."""

    readable = True
    # how long to wait for stray bytes after the expected reply: a TCP printer's reply
    # arrives in one segment (0: take what is there); a serial line trickles bytes
    settle_s = 0.005

    @abstractmethod
    def write(self, data: bytes) -> None: ...

    @abstractmethod
    def read(self, timeout_s: float) -> bytes:
        """Bytes that arrive within `timeout_s` (b"" if none)."""

    @abstractmethod
    def close(self) -> None: ...

    def exchange(self, request: bytes, expect: int, timeout_s: float) -> bytes:
        """Send `request` and collect its reply: up to `timeout_s` for `expect` bytes, then
        `settle_s` for extra bytes (so a printer answering 2 bytes is seen as such)."""
        while self.read(0):  # drop stale bytes (e.g. a late reply to an earlier query)
            pass
        self.write(request)
        reply = b""
        deadline = time.monotonic() + timeout_s
        while len(reply) < expect:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return reply
            reply += self.read(remaining)
        return reply + self.read(self.settle_s)


class TcpLink(Link):
    settle_s = 0.0

    def __init__(self, spec: LinkSpec) -> None:
        from escpos.printer import Network

        self._escpos = Network(spec.target, spec.port, timeout=CONNECT_TIMEOUT_S)
        try:
            self._escpos.open()
        except Exception as exc:  # python-escpos wraps OSError in DeviceNotFoundError
            raise LinkError(f"cannot connect to {spec.describe()}: {exc}") from exc
        self._sock: socket.socket = self._escpos.device
        # a 3-byte status query after a receipt must not wait for Nagle
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        try:
            self._sock.settimeout(10.0)
            self._sock.sendall(data)
        except OSError as exc:
            raise LinkError(f"connection lost while sending: {exc}") from exc

    def read(self, timeout_s: float) -> bytes:
        try:
            self._sock.settimeout(timeout_s if timeout_s > 0 else 0.0)
            chunk = self._sock.recv(64)
        except (TimeoutError, BlockingIOError):
            return b""
        except OSError as exc:
            raise LinkError(f"connection lost while reading: {exc}") from exc
        if not chunk:
            raise LinkError("the printer closed the connection")
        return chunk

    def close(self) -> None:
        self._escpos.close()


class SerialLink(Link):
    def __init__(self, spec: LinkSpec) -> None:
        from escpos.printer import Serial

        self._escpos = Serial(
            spec.target,
            baudrate=spec.baud,
            timeout=1,
            xonxoff=spec.flow == "xonxoff",
            dsrdtr=spec.flow == "dsrdtr",
        )
        try:
            self._escpos.open()
        except Exception as exc:
            raise LinkError(f"cannot open {spec.describe()}: {exc}") from exc
        self._port = self._escpos.device
        if self._port is None:
            raise LinkError(f"cannot open {spec.describe()}")
        self._port.rtscts = spec.flow == "rtscts"
        self._port.write_timeout = 10

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        except Exception as exc:  # serial.SerialException, SerialTimeoutException
            raise LinkError(f"serial write failed: {exc}") from exc

    def read(self, timeout_s: float) -> bytes:
        try:
            self._port.timeout = timeout_s
            first = self._port.read(1)
            return first + (self._port.read(self._port.in_waiting) if first else b"")
        except Exception as exc:
            raise LinkError(f"serial read failed: {exc}") from exc

    def close(self) -> None:
        self._escpos.close()


class UsbLink(Link):
    """USB printer class device through libusb (needs pyusb and a udev rule; see docs)."""

    def __init__(self, spec: LinkSpec) -> None:
        from escpos.printer import Usb

        vid, pid = (int(x, 16) for x in spec.target.split(":"))
        try:
            self._escpos = Usb(vid, pid, timeout=10_000)
            self._escpos.open()
        except Exception as exc:  # no pyusb, no device, no permission
            raise LinkError(f"cannot open {spec.describe()}: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._escpos._raw(data)
        except Exception as exc:
            raise LinkError(f"USB write failed: {exc}") from exc

    def read(self, timeout_s: float) -> bytes:
        dev = self._escpos.device
        try:
            return bytes(dev.read(self._escpos.in_ep, 16, max(1, int(timeout_s * 1000))))
        except Exception as exc:
            if "timeout" in str(exc).lower():
                return b""
            raise LinkError(f"USB read failed: {exc}") from exc

    def close(self) -> None:
        self._escpos.close()


class FileLink(Link):
    """A write-only device node or file: status cannot be read back."""

    readable = False

    def __init__(self, spec: LinkSpec) -> None:
        from escpos.printer import File

        self._escpos = File(spec.target)
        try:
            self._escpos.open()
        except Exception as exc:
            raise LinkError(f"cannot open {spec.describe()}: {exc}") from exc
        if not self._escpos.device:
            raise LinkError(f"cannot open {spec.describe()}")

    def write(self, data: bytes) -> None:
        try:
            self._escpos._raw(data)
        except Exception as exc:
            raise LinkError(f"write to {self._escpos.devfile} failed: {exc}") from exc

    def read(self, timeout_s: float) -> bytes:
        return b""

    def close(self) -> None:
        self._escpos.close()


_LINKS: dict[str, type[Link]] = {
    "tcp": TcpLink,
    "serial": SerialLink,
    "usb": UsbLink,
    "file": FileLink,
}


def open_link(spec: LinkSpec) -> Link:
    """Open a fresh connection (raises LinkError)."""
    return _LINKS[spec.scheme](spec)
