"""The simulator's refusals, in the contract's error shape."""

from __future__ import annotations

from typing import Any

from kiosk.central import models as m


class ApiError(Exception):
    """A refusal with the contract's error shape."""

    def __init__(self, status: int, code: str, zh: str, en: str, retryable: bool = False) -> None:
        super().__init__(f"{status} {code}: {en}")
        self.status, self.code, self.zh, self.en, self.retryable = status, code, zh, en, retryable

    def reply(self, request_id: str = "") -> dict[str, Any]:
        return m.ErrorReply(
            code=self.code,
            message_zh=self.zh,
            message_en=self.en,
            retryable=self.retryable,
            request_id=request_id,
        ).model_dump()


def not_found(what: str, zh: str) -> ApiError:
    return ApiError(404, f"{what}_not_found", f"未找到{zh}。", f"No such {what.replace('_', ' ')}.")


def conflict(code: str, zh: str, en: str, retryable: bool = False) -> ApiError:
    return ApiError(409, code, zh, en, retryable)
