"""The JSON error bodies the sandbox answers with: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

import json

__all__ = ["ApiError", "error_body", "not_found", "validation_error"]


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


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()
