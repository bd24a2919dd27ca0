"""Card profiles: each reads an identity with APDUs, and the first that recognises
the card wins (probing). Profiles raise `CardError`s; `read_identity` turns every
outcome into an `Ok[CardIdentity]` or a `CardReadErr`, never an exception.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from drivers.card import tlv
from drivers.card.apdu import (
    CardChannel,
    CardError,
    Transmit,
    describe_sw,
    get_processing_options,
    read_record,
    select_by_name,
    select_file,
)
from drivers.card.identity import CardIdentity, CardType
from drivers.device import Err, Ok

log = logging.getLogger(__name__)

PSE = b"1PAY.SYS.DDF01"
UNIONPAY_AIDS = tuple(
    bytes.fromhex(aid) for aid in ("A000000333010101", "A000000333010102", "A000000333010103")
)
SSSE_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")  # "sx1.sh.社会保障" in GBK
MAX_RECORDS = 32  # more directory records than this is a broken card

# What the terminal puts in a PDOL: amount zero, China's currency and country, the rest zeros.
PDOL_VALUES = {0x5F2A: bytes.fromhex("0156"), 0x9F1A: bytes.fromhex("0156")}


@dataclass(frozen=True)
class CardReadErr(Err):
    """An `Err` from a card read, with what an engineer needs: the ATR, the SW and step."""

    atr: bytes = b""
    sw: int | None = None
    step: str = ""


class NotThisCard(Exception):
    """A profile's probe found its application absent; the next profile is tried."""


def _probe(channel: CardChannel, apdu: bytes, step: str) -> bytes:
    """SELECT during probing: any refusal means "not this card", not an error."""
    response = channel.send(apdu, step)
    if not response.ok:
        raise NotThisCard(f"{step}: {describe_sw(response.sw)}")
    return response.data


Objects = Sequence[tuple[int, bytes]]  # (tag, value) of every TLV object, depth first


def _parse(data: bytes, step: str) -> Objects:
    try:
        return tlv.flatten(data)
    except tlv.TlvError as exc:
        raise CardError(f"{step}: malformed TLV ({exc})", step=step) from exc


@lru_cache(maxsize=128)
def _parse_application_answer(data: bytes, step: str) -> Objects:
    """`_parse` for the answers that describe the card's applications (the FCIs of the
    PSE and of the application, the PSE directory), never its holder: every card of a
    model gives the same ones, so their parse is kept. Records with the holder's data
    go through `_parse` and are not kept."""
    return tuple(_parse(data, step))


def _find(objects: Objects, tag: int) -> bytes | None:
    """The value of the first object with `tag` (depth first), as `tlv.find`."""
    for found, value in objects:
        if found == tag:
            return value
    return None


# Looked up once: a by-name decode searches the codec registry on every call, which
# costs a card read tens of microseconds when it runs cold after an insertion.
_DECODERS = {encoding: codecs.getdecoder(encoding) for encoding in ("gbk", "ascii")}


def _text(value: bytes | None, encoding: str) -> str | None:
    if value is None:
        return None
    raw = value.rstrip(b"\x00\xff")
    # Digits and Latin names read the same in GBK: no codec needed for them.
    text = raw.decode("ascii") if raw.isascii() else _DECODERS[encoding](raw, "replace")[0]
    return text.strip(" \x00") or None


def _bcd_expiry(value: bytes | None) -> str | None:
    """5F24 is YYMMDD in BCD: "2030-12" from 30 12 31."""
    if not value or len(value) < 2:
        return None
    digits = value[:2].hex()
    return f"20{digits[:2]}-{digits[2:]}".upper()


def _bcd_digits(value: bytes) -> str:
    return value.hex().upper().rstrip("F")


class PbocProfile:
    """Co-branded bank medical card: PBOC 3.0 contact, UnionPay AIDs."""

    card_type = CardType.PBOC

    def exchange(self, channel: CardChannel) -> list[tuple[str, bytes]]:
        """The APDUs: the holder's records over the AFL, each with the step that read it."""
        fci = self._select_application(channel)
        afl = self._processing_options(channel, fci)
        return self._read_afl(channel, afl)

    def decode(self, records: list[tuple[str, bytes]], atr: bytes) -> CardIdentity:
        objects: list[tuple[int, bytes]] = []
        for step, data in records:
            objects += _parse(data, step)
        return self._identity(objects, atr)

    def _select_application(self, channel: CardChannel) -> Objects:
        refusal = "no UnionPay application"
        for aid in self._candidate_aids(channel):
            response = channel.send(select_by_name(aid), "SELECT application")
            if response.ok:
                return _parse_application_answer(response.data, "SELECT application")
            refusal = f"SELECT UnionPay application: {describe_sw(response.sw)}"
        raise NotThisCard(refusal)

    def _candidate_aids(self, channel: CardChannel) -> list[bytes]:
        """AIDs from the PSE directory, or the UnionPay AIDs when there is no PSE."""
        response = channel.send(select_by_name(PSE), "SELECT PSE")
        if not response.ok:
            return list(UNIONPAY_AIDS)
        sfi_value = _find(_parse_application_answer(response.data, "SELECT PSE"), 0x88)
        if not sfi_value:
            return list(UNIONPAY_AIDS)
        listed = self._directory_aids(channel, sfi_value[0])
        return [aid for aid in listed if aid in UNIONPAY_AIDS] or list(UNIONPAY_AIDS)

    def _directory_aids(self, channel: CardChannel, sfi: int) -> list[bytes]:
        aids = []
        for number in range(1, MAX_RECORDS + 1):
            response = channel.send(read_record(number, sfi), "READ RECORD (PSE directory)")
            if not response.ok:  # 6A83 past the last record; anything else: fall back to AIDs
                break
            entries = _parse_application_answer(response.data, "READ RECORD (PSE directory)")
            aids += [value for tag, value in entries if tag == 0x4F]
        return aids

    def _processing_options(self, channel: CardChannel, fci: Objects) -> bytes:
        pdol_data = _pdol_data(_find(fci, 0x9F38) or b"")
        data = channel.expect_ok(get_processing_options(pdol_data), "GET PROCESSING OPTIONS")
        objects = _parse(data, "GET PROCESSING OPTIONS")
        if objects and objects[0][0] == 0x80:  # format 1: AIP (2 bytes) then the AFL
            return objects[0][1][2:]
        afl = _find(objects, 0x94)
        if afl is None:
            raise CardError("GET PROCESSING OPTIONS: no AFL", step="GET PROCESSING OPTIONS")
        return afl

    def _read_afl(self, channel: CardChannel, afl: bytes) -> list[tuple[str, bytes]]:
        if len(afl) % 4:
            raise CardError(f"AFL of {len(afl)} bytes is not whole entries", step="AFL")
        records = []
        for pos in range(0, len(afl), 4):
            sfi, first, last = afl[pos] >> 3, afl[pos + 1], afl[pos + 2]
            for number in range(first, last + 1):
                step = _record_step(sfi, number)
                records.append((step, channel.expect_ok(read_record(number, sfi), step)))
        return records

    def _identity(self, records: Objects, atr: bytes) -> CardIdentity:
        values = dict(reversed(records))  # the first occurrence of a tag wins, as tlv.find
        expiry = values.get(0x5F24)
        id_type = values.get(0x9F62)
        return CardIdentity(
            card_type=CardType.PBOC,
            card_number=_card_number(values),
            name=_text(values.get(0x9F0B), "gbk") or _text(values.get(0x5F20), "gbk"),
            id_number=_text(values.get(0x9F61), "gbk"),
            id_type=id_type.hex() if id_type else None,
            expiry=_bcd_expiry(expiry),
            atr=atr,
        )


@lru_cache(maxsize=512)
def _record_step(sfi: int, number: int) -> str:
    """The step name of an AFL record, kept: the same few for every card of a model."""
    return f"READ RECORD (SFI {sfi} record {number})"


@lru_cache(maxsize=64)
def _pdol_data(pdol: bytes) -> bytes:
    """What the terminal answers to a PDOL; the same for every card of a model, so kept."""
    try:
        return b"".join(
            PDOL_VALUES.get(tag, b"").rjust(length, b"\x00")[-length:] if length else b""
            for tag, length in tlv.parse_dol(pdol)
        )
    except tlv.TlvError as exc:
        raise CardError(f"PDOL: malformed ({exc})", step="PDOL") from exc


def _card_number(values: dict[int, bytes]) -> str:
    """From 5A, or failing that from track 2 equivalent data (57): digits before D."""
    pan = values.get(0x5A)
    if pan:
        number = _bcd_digits(pan)
    else:
        track2 = values.get(0x57)
        number = track2.hex().upper().split("D")[0] if track2 else ""
    if not number.isdigit():
        raise CardError("no readable card number (5A or 57)", step="records")
    return number


class SocialSecurityProfile:
    """China social security card: SSSE application, EF05 and EF06 records."""

    card_type = CardType.SOCIAL_SECURITY

    def exchange(self, channel: CardChannel) -> tuple[dict[int, bytes], dict[int, bytes]]:
        """The APDUs: EF05 (card) and EF06 (person) records by number."""
        _probe(channel, select_by_name(SSSE_AID), "SELECT SSSE")
        card = self._records(channel, b"\xef\x05", {6, 7})
        person = self._records(channel, b"\xef\x06", {8, 9})
        return card, person

    def decode(
        self, records: tuple[dict[int, bytes], dict[int, bytes]], atr: bytes
    ) -> CardIdentity:
        card, person = records
        number = _text(card[7], "ascii")
        if not number:
            raise CardError("EF05 record 07: no card number", step="EF05")
        expiry = card[6].hex()
        return CardIdentity(
            card_type=CardType.SOCIAL_SECURITY,
            card_number=number,
            name=_text(person[9], "gbk"),
            id_number=_text(person[8], "ascii"),
            id_type=None,
            expiry=f"{expiry[:4]}-{expiry[4:6]}" if expiry[:6].isdigit() else None,
            atr=atr,
        )

    def _records(self, channel: CardChannel, fid: bytes, numbers: set[int]) -> dict[int, bytes]:
        name = f"EF{fid.hex().upper()[2:]}"
        channel.expect_ok(select_file(fid), f"SELECT {name}")
        values = {}
        for number in sorted(numbers):
            step = f"READ RECORD ({name} record {number:02d})"
            values[number] = _record_value(
                channel.expect_ok(read_record(number), step), number, step
            )
        return values


def _record_value(data: bytes, number: int, step: str) -> bytes:
    """SSSE records come back as [record number][length][value]."""
    if len(data) < 2 or data[0] != number or data[1] > len(data) - 2:
        raise CardError(f"{step}: record is not [{number:02X}][length][value]", step=step)
    return data[2 : 2 + data[1]]


PROFILES = (PbocProfile(), SocialSecurityProfile())


Release = Callable[[], "CardReadErr | None"]


def read_identity(
    transmit: Transmit, atr: bytes, release: Release | None = None
) -> Ok[CardIdentity] | CardReadErr:
    """Probe the profiles in turn and read the identity; never raises a CardError.

    `release`, if given, is called once the card has given its records and before they
    are decoded: the reader checks the card is still there and lets it go (an error it
    returns ends the read). The card is held no longer than its APDUs need.
    """
    channel = CardChannel(transmit)
    reasons = []
    for profile in PROFILES:
        try:
            records = profile.exchange(channel)
        except NotThisCard as reason:
            log.debug("not a %s card: %s", profile.card_type, reason)
            reasons.append(str(reason))
            continue
        except CardError as exc:
            return _failed(exc, atr)
        refusal = release() if release is not None else None
        if refusal is not None:
            return refusal
        try:
            return Ok(profile.decode(records, atr))
        except CardError as exc:
            return _failed(exc, atr)
    probed = "; ".join(reasons)
    return CardReadErr(
        "unsupported_card", f"unsupported card (ATR {atr.hex().upper()}; {probed})", atr=atr
    )


def _failed(exc: CardError, atr: bytes) -> CardReadErr:
    log.info("card read failed (%s): %s", exc.code, exc)
    return CardReadErr(exc.code, str(exc), atr=atr, sw=exc.sw, step=exc.step)
