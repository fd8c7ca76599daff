"""Stable error codes with Chinese messages, shared by pages, the API and commands (STYLE.md practice 15)."""

from __future__ import annotations

from typing import Any


class XiangzhiError(Exception):
    """A refusal: ``code`` is stable for machines, ``message`` is Chinese for people, ``detail`` is structured."""

    status = 400

    def __init__(self, code: str, message: str, detail: Any = None, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.detail = detail
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class ValidationFailed(XiangzhiError):
    status = 422


class NotFound(XiangzhiError):
    status = 404

    def __init__(self, message: str = "未找到该对象或无权查看。", detail: Any = None) -> None:
        super().__init__("NOT_FOUND", message, detail)


class Conflict(XiangzhiError):
    status = 409


class Forbidden(XiangzhiError):
    status = 403


class RateLimited(XiangzhiError):
    status = 429

    def __init__(self, message: str = "操作过于频繁，请稍后再试。", detail: Any = None) -> None:
        super().__init__("RATE_LIMITED", message, detail)

    @property
    def retry_after(self) -> int:
        """Seconds until the window that refused this request ends (the ``Retry-After`` header)."""
        detail = self.detail if isinstance(self.detail, dict) else {}
        return max(1, int(detail.get("retry_after", 60)))


def validation_error_detail(exc: Exception) -> Any:
    """Turn a django ValidationError into ``{field: [messages]}`` or ``[messages]``."""
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        return [str(m) for m in exc.messages]
    return str(exc)
