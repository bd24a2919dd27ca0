"""What a patient is told when something goes wrong: short, calm, bilingual, actionable.

Each message has a stable code; the reference shown to the patient is the code
plus a per-incident suffix, and the same reference is written to the log with the
technical cause, so an engineer can find the incident from what the patient saw.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class PatientMessage:
    code: str
    zh: str
    en: str


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
