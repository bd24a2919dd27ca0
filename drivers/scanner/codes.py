"""What a scanned code is: health card, insurance e-voucher, payment code, our receipt.

Payment codes follow the published rule (18 digits; 10–15 WeChat Pay, 25–30
Alipay). The health-card and e-voucher layouts differ between provinces and
vendors, so their patterns are data (`CodeRules`) a deployment can replace; the
defaults below are this project's assumption, not a national specification.
The platform resolves health-card and e-voucher tokens; the kiosk only routes them.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class CodeKind(StrEnum):
    HEALTH_CARD = "health_card"  # 电子健康卡: identifies the patient instead of a card
    INSURANCE_VOUCHER = "insurance_voucher"  # 医保电子凭证
    PAYMENT_CODE = "payment_code"  # the patient's own WeChat Pay / Alipay payment code
    RECEIPT = "receipt"  # one of our own receipt QRs (reprint, check-in by receipt)
    UNKNOWN = "unknown"


class PaymentProvider(StrEnum):
    WECHAT = "wechat"
    ALIPAY = "alipay"


RECEIPT_PREFIX = "LKR1:"
_RECEIPT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class CodeRules:
    health_card: re.Pattern[str] = re.compile(r"^[0-9A-Fa-f]{64}:\d+(?::[0-9A-Za-z]*)*$")
    insurance_voucher: re.Pattern[str] = re.compile(r"^\d{28}$")
    wechat_prefixes: range = range(10, 16)
    alipay_prefixes: range = range(25, 31)


@dataclass(frozen=True)
class ScannedCode:
    """One code as the patient presented it. `repr` never shows the code itself."""

    code: str = field(repr=False)
    kind: CodeKind
    provider: PaymentProvider | None = None
    receipt_id: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def masked(self) -> str:
        """Safe for a log: the kind, the length and the first and last two characters."""
        shown = self.code if len(self.code) <= 6 else f"{self.code[:2]}…{self.code[-2:]}"
        if self.kind is CodeKind.RECEIPT:
            shown = self.code
        return f"{self.kind}({len(self.code)} chars: {shown})"


def receipt_payload(receipt_id: str) -> str:
    """The QR text printed on our receipts: prefix, id and a CRC32 so a misread is caught."""
    if not _RECEIPT_ID.match(receipt_id):
        raise ValueError("a receipt id is 1–64 letters, digits, '-' or '_'")
    return f"{RECEIPT_PREFIX}{receipt_id}:{zlib.crc32(receipt_id.encode()):08X}"


def _parse_receipt(code: str) -> str | None:
    receipt_id, _, check = code[len(RECEIPT_PREFIX) :].rpartition(":")
    if _RECEIPT_ID.match(receipt_id) and check == f"{zlib.crc32(receipt_id.encode()):08X}":
        return receipt_id
    return None


def _payment_provider(code: str, rules: CodeRules) -> PaymentProvider | None:
    if len(code) != 18 or not code.isascii() or not code.isdigit():
        return None
    prefix = int(code[:2])
    if prefix in rules.wechat_prefixes:
        return PaymentProvider.WECHAT
    if prefix in rules.alipay_prefixes:
        return PaymentProvider.ALIPAY
    return None


def classify(code: str, rules: CodeRules | None = None) -> ScannedCode:
    """Say what `code` is; anything not recognised is UNKNOWN, never a guess."""
    rules = rules or CodeRules()
    if code.startswith(RECEIPT_PREFIX):
        receipt_id = _parse_receipt(code)
        if receipt_id:
            return ScannedCode(code, CodeKind.RECEIPT, receipt_id=receipt_id)
        return ScannedCode(code, CodeKind.UNKNOWN)
    provider = _payment_provider(code, rules)
    if provider:
        return ScannedCode(code, CodeKind.PAYMENT_CODE, provider=provider)
    if rules.health_card.match(code):
        return ScannedCode(code, CodeKind.HEALTH_CARD)
    if rules.insurance_voucher.match(code):
        return ScannedCode(code, CodeKind.INSURANCE_VOUCHER)
    return ScannedCode(code, CodeKind.UNKNOWN)
