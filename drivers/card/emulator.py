"""A card that answers APDUs from a card image (JSON): the same image serves the
virtual card on vpcd and the in-process backend, so both run the real profiles.

Image format (all byte strings in hex)::

    {"name": ..., "description": ..., "atr": "3B...",
     "behaviour": {"mute": false, "t0_get_response": false, "exact_le": false},
     "applications": [{"aid": ..., "fci": ..., "gpo": {"pdol_length": 33, "response": ...},
                       "sfi": {"1": ["70..", ...]}, "files": {"EF05": {"1": "01..", ...}}}],
     "faults": [{"command": "80A8", "sw": "6985"}]}

`faults` answer any command starting with `command` with `sw` instead (for tests
of each error SW at each step). `t0_get_response` answers 61xx and waits for GET
RESPONSE, as T=0 cards do; `exact_le` answers 6Cxx unless Le is the exact length.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IMAGES_DIR = Path(__file__).with_name("images")

SW_OK = b"\x90\x00"


class ImageError(ValueError):
    """A card image file that cannot be used; the message names the file and the key."""


@dataclass
class CardImage:
    name: str
    atr: bytes
    data: dict[str, Any] = field(repr=False)

    @property
    def mute(self) -> bool:
        return bool(self.behaviour.get("mute"))

    @property
    def behaviour(self) -> dict[str, Any]:
        return self.data.get("behaviour", {})

    def with_faults(self, *faults: tuple[str, str]) -> CardImage:
        """A copy answering commands that start with each hex prefix with the given SW."""
        data = json.loads(json.dumps(self.data))
        data.setdefault("faults", []).extend({"command": c, "sw": sw} for c, sw in faults)
        return CardImage(self.name, self.atr, data)

    def with_behaviour(self, **behaviour: Any) -> CardImage:
        data = json.loads(json.dumps(self.data))
        data.setdefault("behaviour", {}).update(behaviour)
        return CardImage(self.name, self.atr, data)

    def with_record(self, sfi: int, number: int, record_hex: str) -> CardImage:
        """A copy with one record of the first application using `sfi` replaced."""
        data = json.loads(json.dumps(self.data))
        for app in data["applications"]:
            records = app.get("sfi", {}).get(str(sfi))
            if records is not None and len(records) >= number:
                records[number - 1] = record_hex
                return CardImage(self.name, self.atr, data)
        raise ImageError(f"{self.name}: no SFI {sfi} record {number}")


def list_images() -> list[str]:
    """Names of the shipped card images."""
    return sorted(path.stem for path in IMAGES_DIR.glob("*.json"))


def load_image(name_or_path: str | Path | CardImage) -> CardImage:
    """A shipped image by name (`pboc_zhang`) or any image file by path."""
    if isinstance(name_or_path, CardImage):
        return name_or_path
    path = Path(name_or_path)
    if path.suffix != ".json" and not path.exists():
        path = IMAGES_DIR / f"{name_or_path}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CardImage(str(data.get("name", path.stem)), bytes.fromhex(data["atr"]), data)
    except FileNotFoundError as exc:
        known = ", ".join(list_images())
        raise ImageError(f"no card image {name_or_path!s} (shipped: {known})") from exc
    except (json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
        raise ImageError(f"{path}: not a card image ({exc!r})") from exc


class CardEmulator:
    """Answers command APDUs as the card of `image` would. One per insertion."""

    def __init__(self, image: CardImage) -> None:
        self.image = image
        self._app: dict[str, Any] | None = None
        self._file: dict[str, str] | None = None
        self._pending = b""  # data waiting for GET RESPONSE

    def reset(self) -> None:
        self._app, self._file, self._pending = None, None, b""

    def process(self, apdu: bytes) -> bytes:
        """The response APDU (data + SW1 SW2) to a command APDU."""
        fault = self._fault(apdu)
        if fault is not None:
            return fault
        if len(apdu) < 4:
            return b"\x67\x00"
        if apdu[1] == 0xC0:
            return self._get_response(apdu)
        data, sw = self._dispatch(apdu)
        return self._shape(apdu, data, sw)

    def _fault(self, apdu: bytes) -> bytes | None:
        for fault in self.image.data.get("faults", []):
            if apdu.hex().upper().startswith(fault["command"].upper()):
                return bytes.fromhex(fault["sw"])
        return None

    def _dispatch(self, apdu: bytes) -> tuple[bytes, bytes]:
        cla, ins, p1, p2 = apdu[:4]
        if cla not in (0x00, 0x80):
            return b"", b"\x6e\x00"
        body = _body(apdu)
        if ins == 0xA4 and p1 == 0x04:
            return self._select_by_name(body)
        if ins == 0xA4 and p1 in (0x00, 0x02):
            return self._select_file(body)
        if ins == 0xB2:
            return self._read_record(p1, p2)
        if ins == 0xA8 and cla == 0x80:
            return self._gpo(body)
        return b"", b"\x6d\x00"

    def _shape(self, apdu: bytes, data: bytes, sw: bytes) -> bytes:
        """Apply the card's T=0 habits: 6Cxx on a wrong Le, 61xx before data."""
        behaviour = self.image.behaviour
        le = apdu[-1] if len(apdu) > 4 and len(apdu) in (5, 6 + apdu[4]) else None
        if behaviour.get("exact_le") and data and le is not None and le != len(data) & 0xFF:
            return b"\x6c" + bytes([len(data) & 0xFF])
        if behaviour.get("t0_get_response") and data:
            self._pending = data + sw
            return b"\x61" + bytes([min(len(data), 0xFF) & 0xFF])
        return data + sw

    def _get_response(self, apdu: bytes) -> bytes:
        if not self._pending:
            return b"\x69\x85"
        wanted = apdu[4] if len(apdu) > 4 and apdu[4] else 256
        body, sw = self._pending[:-2], self._pending[-2:]
        chunk, rest = body[:wanted], body[wanted:]
        if rest:
            self._pending = rest + sw
            return chunk + b"\x61" + bytes([min(len(rest), 0xFF) & 0xFF])
        self._pending = b""
        return chunk + sw

    def _select_by_name(self, aid: bytes) -> tuple[bytes, bytes]:
        for app in self.image.data.get("applications", []):
            if bytes.fromhex(app["aid"]) == aid:
                self._app, self._file = app, None
                return bytes.fromhex(app.get("fci", "")), SW_OK
        return b"", b"\x6a\x82"

    def _select_file(self, fid: bytes) -> tuple[bytes, bytes]:
        files = (self._app or {}).get("files", {})
        chosen = files.get(fid.hex().upper())
        if chosen is None:
            return b"", b"\x6a\x82"
        self._file = chosen
        return b"", SW_OK

    def _read_record(self, number: int, p2: int) -> tuple[bytes, bytes]:
        if p2 & 0x07 != 0x04:
            return b"", b"\x6a\x86"
        sfi = p2 >> 3
        if sfi == 0:
            records = self._file
            if records is None:
                return b"", b"\x69\x86"  # no current EF
            value = records.get(str(number))
        else:
            listed = (self._app or {}).get("sfi", {}).get(str(sfi))
            if listed is None:
                return b"", b"\x6a\x82"
            value = listed[number - 1] if 0 < number <= len(listed) else None
        if value is None:
            return b"", b"\x6a\x83"
        return bytes.fromhex(value), SW_OK

    def _gpo(self, body: bytes) -> tuple[bytes, bytes]:
        gpo = (self._app or {}).get("gpo")
        if gpo is None:
            return b"", b"\x69\x85"
        expected = int(gpo.get("pdol_length", 0))
        if len(body) != expected + 2 or body[:1] != b"\x83" or body[1] != expected:
            return b"", b"\x67\x00"
        return bytes.fromhex(gpo["response"]), SW_OK


def _body(apdu: bytes) -> bytes:
    """The command data field of a short APDU (empty for case 1 and 2)."""
    if len(apdu) <= 5:
        return b""
    return apdu[5 : 5 + apdu[4]]
