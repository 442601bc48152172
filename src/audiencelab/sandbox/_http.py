"""Responses that can always be sent: JSON bodies and header values checked before they leave.

HTTP/1.1 header values may hold only visible ASCII with single spaces inside (h11, under uvicorn,
refuses anything else and closes the connection without a response). Every header value the
sandbox builds from user input goes through :func:`header_list`, and :func:`json_response` checks
every value again when the response is *built*, so that a route builds its response before it
commits a change: if the answer could not be sent, nothing is saved.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pydantic_core
from starlette.responses import Response
from starlette.types import Message, Scope, Send

__all__ = [
    "REQUEST_ID_HEADER",
    "REQUEST_ID_SCOPE",
    "check_header_value",
    "encode_json",
    "header_item",
    "header_list",
    "json_response",
    "new_request_id",
    "sending_request_id",
]

#: Every response carries a request ID of its own under this header (the name clients of the
#: real API read; reference-less, so chosen), errors, faults and malformed requests included.
REQUEST_ID_HEADER = "x-request-id"
#: Where the request ID of a request is kept in its ASGI scope (for the log lines about it).
REQUEST_ID_SCOPE = "audiencelab.sandbox.request_id"
_REQUEST_ID_NAME = REQUEST_ID_HEADER.encode()


def new_request_id() -> str:
    """A fresh request ID: a random UUID (122 random bits: unique without any shared state)."""
    return str(uuid.uuid4())


def sending_request_id(scope: Scope, send: Send) -> Send:
    """``send``, with a new request ID added to the response's headers (and kept in the
    scope). Whatever answers (a route, an error handler, the fault layer) gets it."""
    request_id = new_request_id()
    scope[REQUEST_ID_SCOPE] = request_id
    header = (_REQUEST_ID_NAME, request_id.encode())

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), header]}
        await send(message)

    return send_with_id


#: A header value h11 accepts: visible ASCII, with spaces only between visible characters.
_SENDABLE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?")


def _percent(char: str) -> str:
    return "".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))


def header_item(text: str, sep: str = ",") -> str:
    """One item of a header list, made sendable: ``%``, ``sep``, controls and non-ASCII are
    percent-encoded (UTF-8), and so are spaces at either end; an empty item is ``""``."""
    if not text:
        return '""'
    out = [c if 0x20 <= ord(c) < 0x7F and c not in (sep, "%") else _percent(c) for c in text]
    if out[0] == " ":
        out[0] = "%20"
    if out[-1] == " ":
        out[-1] = "%20"
    return "".join(out)


def header_list(items: Sequence[str], sep: str = ",", limit: int = 50) -> str:
    """Items joined by ``sep`` and a space, at most ``limit`` of them (then "... (N more)")."""
    shown = [header_item(x, sep) for x in items[:limit]]
    if len(items) > limit:
        shown.append(f"... ({len(items) - limit} more)")
    value = f"{sep} ".join(shown)
    check_header_value(value)
    return value


def check_header_value(value: str) -> None:
    """Raise ``ValueError`` unless ``value`` can be sent as an HTTP/1.1 header value."""
    if not _SENDABLE.fullmatch(value):
        raise ValueError(f"header value {value[:60]!r} cannot be sent")


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response whose headers are known to be sendable (``ValueError`` otherwise)."""
    for value in (headers or {}).values():
        check_header_value(value)
    return Response(encode_json(data), status, dict(headers or {}), media_type="application/json")


def encode_json(data: Any) -> bytes:
    """Compact UTF-8 JSON, as the API sends it, with orjson: about 20x ``json.dumps`` and 2x
    pydantic-core on a page of people (measured: ``bench/sandbox_page.py``), and the same bytes
    as pydantic-core (key order, non-ASCII, floats, escapes; a test compares them). What orjson
    refuses (integers beyond 64 bits, lone surrogates: the validator keeps both out) goes to
    pydantic-core. Pages of people arrive encoded already, as ``orjson.Fragment``."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return pydantic_core.to_json(data)
