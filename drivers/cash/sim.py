"""A ccTalk bill validator on a real pseudo-terminal.

It answers the commands the driver uses, echoes every byte like a single-wire
bus, holds one note in escrow until told to stack or return it, and keeps its
state (event counter, event buffer, escrow, cashbox) in a JSON file across
restarts of the simulator process, which is what unplugging the cable of a
powered validator looks like. `power_cycle()` is a real power loss: counter to
0, buffer cleared, a note in escrow handed back, everything inhibited.

Faults on command: reject, jam, stacker full, fraud, a corrupted checksum, a
lost reply.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from drivers.cash.cctalk import (
    HOST_ADDRESS,
    ROUTE_ESCROW_EMPTY,
    FrameError,
    Header,
    Route,
    decode,
    encode,
    next_counter,
)
from drivers.serialport.plug import PluggablePort

# Chinese notes; value code × scaling factor 100 = fen.
DEFAULT_BILLS = {1: "CN0001A", 2: "CN0005A", 3: "CN0010A", 4: "CN0020A", 5: "CN0050A", 6: "CN0100A"}
SCALING = {"CN": (100, 2)}  # scaling factor, decimal places

# Status codes of a bill event whose first byte is 0 (generic specification, table of 159).
MASTER_INHIBIT_ACTIVE = 0
RETURNED_FROM_ESCROW = 1
INVALID_BILL = 2
INHIBITED_BILL = 4
JAMMED_IN_TRANSPORT = 16
STACKER_FULL = 14
STRING_FRAUD = 18
STACKER_OK = 10

_CHANGES_STATE = {Header.MODIFY_INHIBIT_STATUS, Header.MODIFY_MASTER_INHIBIT, Header.ROUTE_BILL}
INTER_BYTE_TIMEOUT_S = 0.05  # ccTalk: a pause this long inside a frame discards it


@dataclass
class ValidatorState:
    counter: int = 0
    events: list[list[int]] = field(default_factory=list)  # newest first, at most 5
    escrow: int = 0  # bill type held in escrow, 0 = empty
    escrow_since: float = 0.0
    cashbox: list[int] = field(default_factory=list)  # bill types stacked
    returned: list[int] = field(default_factory=list)  # bill types handed back
    inhibit_mask: int = 0  # bit n-1 set: bill type n accepted
    master_enabled: bool = False
    jammed: bool = False
    stacker_full: bool = False


class BillValidatorSimulator:
    def __init__(
        self,
        state_file: str | os.PathLike[str],
        *,
        link: str | os.PathLike[str] | None = None,
        address: int = 40,
        bills: dict[int, str] | None = None,
        escrow_timeout_s: float = 30.0,
    ) -> None:
        self.address = address
        self.bills = dict(bills or DEFAULT_BILLS)
        self.escrow_timeout_s = escrow_timeout_s
        self._state_file = Path(state_file)
        self.state = self._load()
        self._plug = PluggablePort(link)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._corrupt_replies = 0
        self._drop_replies = 0
        self._reset_after_stack = False
        self._drop_headers: list[int] = []
        self._noise = b""
        self.commands_seen: list[int] = []

    # -- the device path and its life ------------------------------------------------------

    @property
    def path(self) -> str:
        return self._plug.path

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="sim-cctalk", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
            self._thread = None
        self._plug.close()

    def unplug(self) -> None:
        with self._lock:
            self._plug.unplug()

    def plug(self) -> None:
        with self._lock:
            self._plug.plug()

    # -- what a patient or an engineer does --------------------------------------------------

    def insert(self, value_yuan: int) -> None:
        """A patient feeds a genuine note of `value_yuan`."""
        bill_type = next(t for t, code in self.bills.items() if int(code[2:6]) == value_yuan)
        with self._lock:
            s = self.state
            if s.jammed or s.escrow:
                return  # the slot does not take a note
            if not s.master_enabled or not s.inhibit_mask & (1 << (bill_type - 1)):
                self._event(0, INHIBITED_BILL)
            elif s.stacker_full:
                self._event(0, STACKER_FULL)
            else:
                s.escrow, s.escrow_since = bill_type, time.monotonic()
                self._event(bill_type, 1)
            self._save()

    def insert_fake(self) -> None:
        with self._lock:
            self._event(0, INVALID_BILL)
            self._save()

    def jam(self) -> None:
        """The note in escrow (if any) jams in the transport; it is neither stacked nor returned."""
        with self._lock:
            self.state.jammed, self.state.escrow = True, 0
            self._event(0, JAMMED_IN_TRANSPORT)
            self._save()

    def clear_jam(self) -> None:
        with self._lock:
            self.state.jammed = False
            self._save()

    def fill_stacker(self) -> None:
        with self._lock:
            self.state.stacker_full = True
            self._event(0, STACKER_FULL)
            self._save()

    def empty_stacker(self) -> None:
        with self._lock:
            self.state.stacker_full = False
            self.state.cashbox.clear()
            self._event(0, STACKER_OK)
            self._save()

    def string_fraud(self) -> None:
        with self._lock:
            self._event(0, STRING_FRAUD)
            self._save()

    def power_cycle(self) -> None:
        """Power lost and back: counter 0, buffer gone, escrow handed back, all inhibited."""
        with self._lock:
            s = self.state
            if s.escrow:
                s.returned.append(s.escrow)
            s.counter, s.events, s.escrow = 0, [], 0
            s.inhibit_mask, s.master_enabled, s.jammed = 0, False, False
            self._save()

    def reset_after_next_stack(self) -> None:
        """Lose power right after stacking the next note, before the host reads the event."""
        self._reset_after_stack = True

    def drop_next_reply_to(self, header: int) -> None:
        """Lose the reply to the next command with this header (the command is still done)."""
        self._drop_headers.append(int(header))

    def noise_before_next_reply(self, noise: bytes) -> None:
        """Line noise lands on the bus just before the next reply."""
        self._noise = noise

    def answer_again(self) -> None:
        """Cancel any pending lost or corrupted replies."""
        self._drop_replies = self._corrupt_replies = 0
        self._drop_headers.clear()

    def corrupt_next_replies(self, count: int = 1) -> None:
        self._corrupt_replies += count

    def drop_next_replies(self, count: int = 1) -> None:
        self._drop_replies += count

    def cashbox_fen(self) -> int:
        return sum(self.bill_value_fen(t) for t in self.state.cashbox)

    def bill_value_fen(self, bill_type: int) -> int:
        code = self.bills[bill_type]
        return int(code[2:6]) * SCALING[code[:2]][0]

    # -- the wire -------------------------------------------------------------------------------

    def _serve(self) -> None:
        pending = b""
        last_byte = 0.0
        while not self._stop.is_set():
            port = self._plug.port
            if port is None:
                time.sleep(0.05)
                continue
            chunk = port.read(256, timeout=0.05)
            now = time.monotonic()
            self._expire_escrow(now)
            if not chunk:
                if pending and now - last_byte > INTER_BYTE_TIMEOUT_S:
                    pending = b""
                continue
            with contextlib.suppress(OSError, TimeoutError):
                port.write(chunk)  # single-wire bus: the host hears itself
            pending, last_byte = pending + chunk, now
            pending = self._handle_frames(pending)

    def _handle_frames(self, pending: bytes) -> bytes:
        while len(pending) >= 2 and len(pending) >= pending[1] + 5:
            size = pending[1] + 5
            raw, pending = pending[:size], pending[size:]
            try:
                frame = decode(raw)
            except FrameError:
                continue  # a corrupted request is ignored: the host times out and retries
            if frame.destination not in (self.address, 0) or frame.source != HOST_ADDRESS:
                continue
            self.commands_seen.append(frame.header)
            reply = self._answer(frame.header, frame.data)
            if frame.header in self._drop_headers:
                self._drop_headers.remove(frame.header)
                reply = None
            if reply is not None:
                self._send(reply)
            if frame.header == Header.ROUTE_BILL and self._reset_after_stack:
                self._reset_after_stack = False
                self.power_cycle()
        return pending

    def _send(self, reply: tuple[int, bytes]) -> None:
        header, data = reply
        if self._drop_replies:
            self._drop_replies -= 1
            return
        raw = bytearray(self._noise + encode(HOST_ADDRESS, self.address, header, data))
        self._noise = b""
        if self._corrupt_replies:
            self._corrupt_replies -= 1
            raw[-1] ^= 0x5A
        port = self._plug.port
        if port is not None:
            with contextlib.suppress(OSError, TimeoutError):
                port.write(bytes(raw))

    def _answer(self, header: int, data: bytes) -> tuple[int, bytes] | None:
        with self._lock:
            handler = self._handlers().get(header)
            reply = handler(data) if handler else (int(Header.NAK), b"")
            if header in _CHANGES_STATE:
                self._save()
            return reply

    def _handlers(self):
        ack = int(Header.ACK)
        s = self.state

        def text(value: str):
            return lambda _data: (ack, value.encode("ascii"))

        return {
            Header.SIMPLE_POLL: lambda _d: (ack, b""),
            Header.REQUEST_EQUIPMENT_CATEGORY: text("Bill Validator"),
            Header.REQUEST_MANUFACTURER_ID: text("LKS"),
            Header.REQUEST_PRODUCT_CODE: text("SIM-BV1"),
            Header.REQUEST_SOFTWARE_REVISION: text("1.0"),
            Header.REQUEST_SERIAL_NUMBER: lambda _d: (ack, bytes([0x39, 0x30, 0x00])),
            Header.REQUEST_BILL_ID: self._bill_id,
            Header.REQUEST_COUNTRY_SCALING: self._scaling,
            Header.READ_BUFFERED_BILL_EVENTS: lambda _d: (ack, self._event_buffer()),
            Header.MODIFY_INHIBIT_STATUS: self._set_inhibits,
            Header.REQUEST_INHIBIT_STATUS: lambda _d: (ack, s.inhibit_mask.to_bytes(2, "little")),
            Header.MODIFY_MASTER_INHIBIT: self._set_master,
            Header.REQUEST_MASTER_INHIBIT: lambda _d: (ack, bytes([int(s.master_enabled)])),
            Header.ROUTE_BILL: self._route,
            Header.RESET_DEVICE: self._reset,
        }

    def _bill_id(self, data: bytes) -> tuple[int, bytes]:
        code = self.bills.get(data[0] if data else 0, ".......")
        return int(Header.ACK), code.encode("ascii")

    def _scaling(self, data: bytes) -> tuple[int, bytes]:
        factor, places = SCALING.get(data.decode("ascii", "replace"), (0, 0))
        return int(Header.ACK), factor.to_bytes(2, "little") + bytes([places])

    def _set_inhibits(self, data: bytes) -> tuple[int, bytes]:
        self.state.inhibit_mask = int.from_bytes(data[:2].ljust(2, b"\0"), "little")
        return int(Header.ACK), b""

    def _set_master(self, data: bytes) -> tuple[int, bytes]:
        self.state.master_enabled = bool(data and data[0] & 1)
        return int(Header.ACK), b""

    def _route(self, data: bytes) -> tuple[int, bytes]:
        s = self.state
        if not s.escrow:
            return int(Header.ACK), bytes([ROUTE_ESCROW_EMPTY])
        route = data[0] if data else -1
        if route == Route.STACK:
            s.cashbox.append(s.escrow)
            self._event(s.escrow, 0)
            s.escrow = 0
        elif route == Route.RETURN:
            s.returned.append(s.escrow)
            s.escrow = 0
            self._event(0, RETURNED_FROM_ESCROW)
        elif route == Route.EXTEND_ESCROW:
            s.escrow_since = time.monotonic()
        return int(Header.ACK), b""

    def _reset(self, _data: bytes) -> tuple[int, bytes]:
        # ACK first, then the reset takes effect (as on a real validator)
        threading.Timer(0.01, self.power_cycle).start()
        return int(Header.ACK), b""

    def _expire_escrow(self, now: float) -> None:
        with self._lock:
            s = self.state
            if s.escrow and now - s.escrow_since > self.escrow_timeout_s:
                s.returned.append(s.escrow)
                s.escrow = 0
                self._event(0, RETURNED_FROM_ESCROW)
                self._save()

    def _event(self, a: int, b: int) -> None:
        s = self.state
        s.counter = next_counter(s.counter)
        s.events = [[a, b], *s.events][:5]

    def _event_buffer(self) -> bytes:
        padded = self.state.events + [[0, 0]] * (5 - len(self.state.events))
        return bytes([self.state.counter]) + bytes(b for pair in padded for b in pair)

    # -- state across restarts -------------------------------------------------------------------

    def _load(self) -> ValidatorState:
        try:
            data = json.loads(self._state_file.read_text())
        except FileNotFoundError:
            return ValidatorState()
        state = ValidatorState(**data)
        state.escrow_since = time.monotonic() if state.escrow else 0.0
        return state

    def _save(self) -> None:
        tmp = self._state_file.with_name(self._state_file.name + ".tmp")
        data = asdict(self.state)
        with open(tmp, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._state_file)
