"""Builds the shipped card images (drivers/card/images/*.json) from readable values.

Run `python -m drivers.card.imagebuild` after changing a value here; a test checks
the shipped files match. The values are the demo table every engineer shares.
"""

from __future__ import annotations

import json
from typing import Any

from drivers.card.emulator import IMAGES_DIR
from drivers.card.profiles import PSE, SSSE_AID
from drivers.card.tlv import encode

UNIONPAY_DEBIT = "A000000333010101"
UNIONPAY_CREDIT = "A000000333010102"
# A PDOL as UnionPay cards ask: TTQ, amount, other amount, country, TVR, currency,
# date, transaction type, unpredictable number (33 bytes in all).
PDOL = "9F66049F02069F03069F1A0295055F2A029A039C019F3704"
PDOL_LENGTH = 4 + 6 + 6 + 2 + 5 + 2 + 3 + 1 + 4

PBOC_ATR = "3B6D000080318065B0872701BC83089000"
SSC_ATR = "3B6C00008131FE454A434F5033315632"
UNKNOWN_ATR = "3B8F8001804F0CA000000306030001000000006A"
MUTE_ATR = "3B6800000073C84012009000"


def _h(*parts: bytes) -> str:
    return b"".join(parts).hex().upper()


def _tlv(tag: int, *children: bytes) -> bytes:
    return encode(tag, b"".join(children))


def _bcd_pan(number: str) -> bytes:
    return bytes.fromhex(number + "F" * (len(number) % 2))


def _pse(aid: str, label: str) -> dict[str, Any]:
    fci = _tlv(0x6F, encode(0x84, PSE), _tlv(0xA5, encode(0x88, b"\x01"), encode(0x5F2D, b"zh")))
    entry = _tlv(0x61, encode(0x4F, bytes.fromhex(aid)), encode(0x50, label.encode()))
    return {"aid": PSE.hex().upper(), "fci": _h(fci), "sfi": {"1": [_h(_tlv(0x70, entry))]}}


def _pboc_app(aid: str, pdol: bool, gpo_response: bytes, sfi: dict[str, list[bytes]]):
    props = [encode(0x50, b"PBOC DEBIT"), encode(0x87, b"\x01")]
    if pdol:
        props.append(encode(0x9F38, bytes.fromhex(PDOL)))
    fci = _tlv(0x6F, encode(0x84, bytes.fromhex(aid)), _tlv(0xA5, *props))
    return {
        "aid": aid,
        "fci": _h(fci),
        "gpo": {"pdol_length": PDOL_LENGTH if pdol else 0, "response": _h(gpo_response)},
        "sfi": {key: [_h(record) for record in records] for key, records in sfi.items()},
    }


def _gpo_format2(afl: str) -> bytes:
    return _tlv(0x77, encode(0x82, b"\x7c\x00"), encode(0x94, bytes.fromhex(afl)))


def _pboc_full(number: str, expiry: str, name: str, id_number: str) -> list[dict[str, Any]]:
    """PSE, 5A, blank 5F20, name in 9F0B (GBK), ID number 9F61 and type 9F62 "00"."""
    track2 = bytes.fromhex(f"{number}D{expiry[:4]}2201000000000F")
    sfi1 = [_tlv(0x70, encode(0x57, track2), encode(0x5F20, b" " * 26))]
    sfi2 = [
        _tlv(
            0x70,
            encode(0x5A, _bcd_pan(number)),
            encode(0x5F24, bytes.fromhex(expiry)),
            encode(0x5F25, bytes.fromhex("200101")),
            encode(0x5F34, b"\x01"),
        ),
        _tlv(
            0x70,
            encode(0x9F61, id_number.encode()),
            encode(0x9F62, b"\x00"),
            encode(0x9F0B, name.encode("gbk").ljust(26, b" ")),
        ),
    ]
    # SFI 2 and 3, not 1: the PSE directory is SFI 1, and faults are matched by command.
    app = _pboc_app(
        UNIONPAY_DEBIT, True, _gpo_format2("10010100" + "18010200"), {"2": sfi1, "3": sfi2}
    )
    return [_pse(UNIONPAY_DEBIT, "PBOC DEBIT"), app]


def _ssc_records(values: dict[int, bytes]) -> dict[str, str]:
    return {str(n): _h(bytes([n, len(v)]) + v) for n, v in values.items()}


def _images() -> dict[str, dict[str, Any]]:
    li_track2 = bytes.fromhex("6217000010007654323D29062201000000000F")
    li_app = _pboc_app(
        UNIONPAY_CREDIT,
        False,
        encode(0x80, bytes.fromhex("7C00") + bytes.fromhex("08010100")),
        {
            "1": [
                _tlv(
                    0x70,
                    encode(0x57, li_track2),
                    encode(0x5F24, bytes.fromhex("290630")),
                    encode(0x5F20, b"LI/NA"),
                )
            ]
        },
    )
    ssc_app = {
        "aid": SSSE_AID.hex().upper(),
        "fci": "",
        "files": {
            "EF05": _ssc_records(
                {
                    1: bytes.fromhex("86100000000000000000310101000001"),
                    2: b"3",
                    3: b"3.00",
                    4: bytes.fromhex("310100"),
                    5: bytes.fromhex("20210510"),
                    6: bytes.fromhex("20310510"),
                    7: b"A01234567",
                }
            ),
            "EF06": _ssc_records(
                {
                    8: b"310101197505052348",
                    9: "王芳".encode("gbk").ljust(30, b"\x00"),
                    10: b"2",
                    11: b"01",
                    13: bytes.fromhex("19750505"),
                }
            ),
        },
    }
    return {
        "pboc_zhang": {
            "description": "PBOC co-branded bank medical card; name 张伟 in 9F0B (GBK)",
            "atr": PBOC_ATR,
            "applications": _pboc_full(
                "6217000010001234569", "301231", "张伟", "110101198001011232"
            ),
        },
        "pboc_li": {
            "description": "PBOC card without PSE; number only in 57, name only in 5F20",
            "atr": PBOC_ATR,
            "applications": [li_app],
        },
        "ssc_wang": {
            "description": "China social security card (SSSE); strict about Le (6Cxx)",
            "atr": SSC_ATR,
            "behaviour": {"exact_le": True},
            "applications": [ssc_app],
        },
        "pboc_chen_expired": {
            "description": "PBOC card expired 2024-01; a T=0 card (61xx, GET RESPONSE)",
            "atr": PBOC_ATR,
            "behaviour": {"t0_get_response": True},
            "applications": _pboc_full(
                "6217000010009998884", "240131", "陈静", "440300196211114565"
            ),
        },
        "unknown": {
            "description": "an unsupported card: other ATR, no known application",
            "atr": UNKNOWN_ATR,
            "applications": [{"aid": "A0000003060300", "fci": "6F00"}],
        },
        "mute": {
            "description": "connects and gives its ATR, then never answers an APDU",
            "atr": MUTE_ATR,
            "behaviour": {"mute": True},
            "applications": [],
        },
    }


def main() -> None:
    for name, data in _images().items():
        path = IMAGES_DIR / f"{name}.json"
        path.write_text(
            json.dumps({"name": name, **data}, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
        print(path)


if __name__ == "__main__":
    main()
