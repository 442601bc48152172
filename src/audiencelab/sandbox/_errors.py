"""The JSON error bodies the sandbox answers with.

By default ``{"error": {"code": ..., "message": ...}}``. The reference says clients read
``error.message``, ``error`` (a string) or ``message`` (§1), so ``--error-style`` can make the
sandbox answer in either of the other two shapes, to test a client against all three.
"""

from __future__ import annotations

import json

__all__ = [
    "ERROR_STYLES",
    "ApiError",
    "error_body",
    "error_document",
    "not_found",
    "validation_error",
]

#: ``object``: ``{"error": {"code", "message"}}``; ``string``: ``{"error": "..."}``;
#: ``message``: ``{"message": "..."}``.
ERROR_STYLES = ("object", "string", "message")


class ApiError(Exception):
    """An error answer: raised anywhere below a route, rendered as JSON by the app."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def validation_error(message: str) -> ApiError:
    return ApiError(400, "VALIDATION_ERROR", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def error_document(code: str, message: str, style: str = "object") -> dict[str, object]:
    if style == "string":
        return {"error": message}
    if style == "message":
        return {"message": message}
    return {"error": {"code": code, "message": message}}


def error_body(code: str, message: str, style: str = "object") -> bytes:
    return json.dumps(error_document(code, message, style)).encode()
