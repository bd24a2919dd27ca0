"""What a patient is told when something goes wrong: short, calm, bilingual, actionable.

Each message has a stable code; the reference shown to the patient is the code
plus a per-incident suffix, and the same reference is written to the log with the
technical cause, so an engineer can find the incident from what the patient saw.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """A short text in both languages; the screen shows the one the patient chose."""

    zh: str
    en: str

    def in_language(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class PatientMessage:
    code: str
    zh: str
    en: str

    def in_language(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


_CATALOGUE = {
    m.code: m
    for m in (
        PatientMessage(
            "CARD-READ",
            "无法读取您的卡，请取出后重新插入。",
            "We could not read your card. Please take it out and insert it again.",
        ),
        PatientMessage(
            "CARD-UNSUPPORTED",
            "本机不支持这张卡，请使用医保卡、社保卡或联名就诊卡。",
            "This card is not supported. Please use your medical or social security card.",
        ),
        PatientMessage(
            "CARD-EXPIRED",
            "您的卡已过期，请到人工窗口办理。",
            "Your card has expired. Please go to a staffed counter.",
        ),
        PatientMessage(
            "PATIENT-UNKNOWN",
            "未找到与此卡关联的就诊信息，请到人工窗口登记。",
            "We found no patient record for this card. Please register at a staffed counter.",
        ),
        PatientMessage(
            "SERVICE-LIMITED",
            "服务暂时受限，请稍后再试或到人工窗口办理。",
            "The service is limited right now. Please try again later or go to a staffed counter.",
        ),
        PatientMessage(
            "PAYMENT-FAILED",
            "支付未成功，未扣款。请换一种方式支付或到人工窗口办理。",
            "The payment did not go through and nothing was taken. Try another way to pay.",
        ),
        PatientMessage(
            "PAYMENT-EXPIRED",
            "二维码已过期，未扣款。如需继续，请重新选择支付方式。",
            "The QR code expired and nothing was taken. Choose a way to pay to try again.",
        ),
        PatientMessage(
            "PAYMENT-CANCELLED",
            "支付已取消，未扣款。",
            "The payment was cancelled and nothing was taken.",
        ),
        PatientMessage(
            "PLACE-TAKEN-REFUNDED",
            "很抱歉，该号源刚被约满，您的付款已原路退回。",
            "Sorry, the last place was just taken. Your payment has been refunded.",
        ),
        PatientMessage(
            "PAYMENT-PENDING",
            "付款结果暂未确认，我们会自动核对；如已扣款而未挂号，款项将原路退回。",
            "The payment is not confirmed yet. We will check it; if you were charged"
            " without a booking, the money goes back automatically.",
        ),
        PatientMessage(
            "REJECTED",
            "医院系统未能办理此业务，请到人工窗口咨询。",
            "The hospital system could not do this. Please ask at a staffed counter.",
        ),
        PatientMessage(
            "PRINTER-UNAVAILABLE",
            "打印机暂不可用（可能缺纸），凭条将显示在屏幕上。再次点击确认即可继续。",
            "The printer is not available (it may be out of paper). Your receipt will be"
            " shown on screen. Tap your choice again to continue.",
        ),
        PatientMessage(
            "PRINT-FAILED",
            "凭条打印失败，请拍照保存屏幕上的凭条。",
            "The receipt could not be printed. Please take a photo of the receipt on screen.",
        ),
        PatientMessage(
            "AMOUNT-INVALID",
            "请输入 1 至 5000 元之间的金额。",
            "Please enter an amount between ¥1 and ¥5,000.",
        ),
        PatientMessage(
            "AMOUNT-OFFLINE-LIMIT",
            "医院系统暂时无法连接，现金充值金额受限，请选择较小的金额。",
            "The hospital system cannot be reached, so cash top-ups are limited."
            " Please choose a smaller amount.",
        ),
        PatientMessage(
            "NO-ITEMS",
            "没有可办理的项目。",
            "There is nothing to do here right now.",
        ),
        PatientMessage(
            "OFFLINE",
            "医院系统暂时无法连接，目前只提供部分服务。",
            "The hospital system cannot be reached; only some services are available.",
        ),
        PatientMessage(
            "CARD-REMOVED",
            "读卡时卡被取出，请重新插入。",
            "The card was taken out while reading. Please insert it again.",
        ),
    )
}


def patient_message(code: str) -> PatientMessage:
    """The message for `code`; an unknown code falls back to the generic service message."""
    return _CATALOGUE.get(code, _CATALOGUE["SERVICE-LIMITED"])


def new_reference(code: str) -> str:
    """A reference a patient can read out: the message code plus 4 random hex digits."""
    return f"{code}-{secrets.token_hex(2).upper()}"
