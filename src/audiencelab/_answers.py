"""What an answer says beyond its status: the request ID, an error's code and message (in every
shape the reference has seen), and the SDK errors built from them. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from audiencelab._exceptions import (
    APIResponseValidationError,
    APIStatusError,
    RateLimitError,
    Remedy,
    status_error_class,
)
from audiencelab._retry import parse_retry_after

if TYPE_CHECKING:
    from audiencelab._sansio import Operation, Response

__all__ = ["REQUEST_ID_HEADERS", "error_details", "request_id_of", "response_error", "status_error"]

#: Where a request ID may come back. The API's own name is unverified (third-party clients read
#: ``x-request-id``, which the sandbox sends), so the other usual names are read too, in order.
REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-correlation-id",
    "cf-ray",
    "x-cloud-trace-context",
)


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request ID of an answer, if it carries one."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def error_details(response: Response) -> tuple[str | None, str, Any]:
    """``(code, message, body)`` from an error response, in every shape the reference has seen.

    ``{"error": {"code", "message"}}``, ``{"error": "...", "status": 400}``, ``{"message": ...}``,
    ``{"detail": ...}``, plain text, or nothing at all.
    """
    text = response.content.decode("utf-8", errors="replace").strip()
    body: Any = None
    try:
        body = json.loads(text) if text else None
    except (ValueError, RecursionError):
        body = None
    code: str | None = None
    message: str | None = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = _str_or_none(error.get("code"))
            message = _str_or_none(error.get("message"))
        elif isinstance(error, str):
            message = error
        code = code or _str_or_none(body.get("code"))
        message = message or _str_or_none(body.get("message")) or _str_or_none(body.get("detail"))
    elif isinstance(body, str):
        message = body
    if body is None and text:
        body = text
        message = text if len(text) <= 500 else text[:500] + "..."
    if not message:
        message = _REASONS.get(response.status_code, "the API returned an error")
    return code, message, body


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value)


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized: the API key was missing or not accepted",
    403: "Forbidden: this API key may not do that",
    404: "Not Found",
    408: "Request Timeout",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def status_error(
    response: Response, op: Operation[Any], url: str, *, outcome_unknown: bool = False
) -> APIStatusError:
    code, message, body = error_details(response)
    if outcome_unknown and op.unknown_outcome_note:
        message = f"{message}. {op.unknown_outcome_note}"
    elif response.status_code == 401:
        message += " (check AUDIENCELAB_API_KEY)"
    cls = status_error_class(response.status_code)
    kwargs: dict[str, Any] = {
        "status_code": response.status_code,
        "code": code,
        "body": body,
        "request_id": request_id_of(response.headers),
        "headers": response.headers,
        "method": op.method,
        "url": url,
        "outcome_unknown": outcome_unknown,
        "remedy": op.check_outcome if outcome_unknown else None,
    }
    if cls is RateLimitError:
        return RateLimitError(
            message, retry_after=parse_retry_after(response.headers.get("retry-after")), **kwargs
        )
    return cls(message, **kwargs)


def response_error(
    message: str,
    response: Response,
    method: str,
    url: str,
    *,
    outcome_unknown: bool = False,
    remedy: Remedy | None = None,
) -> APIResponseValidationError:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.content[:500].decode("utf-8", errors="replace")
    return APIResponseValidationError(
        message,
        method=method,
        url=url,
        body=body,
        status_code=response.status_code,
        request_id=request_id_of(response.headers),
        outcome_unknown=outcome_unknown,
        remedy=remedy,
    )
