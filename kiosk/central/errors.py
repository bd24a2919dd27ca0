"""Typed errors of the central client.

Every error says three things: a sentence for the operator (`operator`, English,
never patient data), a short message for the patient (`message_zh`/`message_en`),
and whether the same request may succeed if sent again unchanged (`retryable`).

`outcome_unknown` is the flag the outbox cares about: True when the request may
have reached the platform and been applied (a timeout after sending, a dropped
connection). The answer is never a guess: retry with the *same* idempotency key,
or look the order up by its client reference.
"""

from __future__ import annotations


class CentralError(Exception):
    """Base of every error the central client raises."""

    message_zh = "医院系统暂时无法处理，请稍后再试或咨询服务台。"
    message_en = "The hospital system cannot handle this now. Please try again or ask at the desk."
    retryable = True

    def __init__(
        self,
        operator: str,
        *,
        outcome_unknown: bool = False,
        request_id: str = "",
        idempotency_key: str | None = None,
    ) -> None:
        super().__init__(operator)
        self.operator = operator
        self.outcome_unknown = outcome_unknown
        self.request_id = request_id
        self.idempotency_key = idempotency_key

    @property
    def code(self) -> str:
        return type(self).__name__.lower()

    def message(self, language: str = "zh") -> str:
        return self.message_zh if language == "zh" else self.message_en


class Unreachable(CentralError):
    """No answer at all: connection refused, DNS failure, connection dropped."""

    message_zh = "暂时无法连接医院系统，请稍后再试。"
    message_en = "The hospital system cannot be reached right now. Please try again later."


class Timeout(CentralError):
    """The platform took longer than the timeout. If the request was sent, it may be applied."""

    message_zh = "医院系统响应超时，请稍候。"
    message_en = "The hospital system is taking too long to answer. Please wait."


class ServerFault(CentralError):
    """The platform answered with a 5xx: its fault, not the request's."""

    def __init__(self, operator: str, *, status: int, retryable: bool = True, **kw) -> None:
        super().__init__(operator, **kw)
        self.status = status
        self.retryable = retryable


class MalformedReply(CentralError):
    """The platform answered, but not in the contract's shape (bad JSON, wrong fields)."""

    retryable = False

    def __init__(self, operator: str, *, status: int = 0, **kw) -> None:
        super().__init__(operator, **kw)
        self.status = status


class Rejected(CentralError):
    """The platform refused the request on purpose, with its own code and messages."""

    def __init__(
        self,
        operator: str,
        *,
        status: int,
        code: str,
        message_zh: str,
        message_en: str,
        retryable: bool,
        **kw,
    ) -> None:
        super().__init__(operator, **kw)
        self.status = status
        self._code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.retryable = retryable

    @property
    def code(self) -> str:
        return self._code
