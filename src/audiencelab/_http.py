"""The httpx glue shared by the two I/O shells: timeouts, and transport errors as core kinds.

This is the only place, with the clients themselves, that knows httpx: the sans-I/O core sees a
:class:`~audiencelab._sansio.Response` and a :class:`~audiencelab._retry.TransportFailure`.
"""

from __future__ import annotations

import httpx

from audiencelab._exceptions import ConfigurationError
from audiencelab._retry import Delivery, TransportFailure
from audiencelab._sansio import Response

__all__ = [
    "DEFAULT_TIMEOUT",
    "TimeoutTypes",
    "classify_transport_error",
    "resolve_timeout",
    "to_response",
    "without_request",
]

# Reads of big record pages can be slow on the real service; connecting should never be.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)

TimeoutTypes = float | httpx.Timeout | None


def resolve_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    """``timeout`` as an ``httpx.Timeout``: seconds for everything, connecting at most 10 s."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ConfigurationError(
            f"timeout must be a positive number of seconds, got {timeout!r}", setting="timeout"
        )
    return httpx.Timeout(
        float(timeout), connect=min(float(timeout), DEFAULT_TIMEOUT.connect or 10.0)
    )


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_BROKEN = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def classify_transport_error(exc: httpx.TransportError) -> TransportFailure:
    """How far the request got: never sent (safe to repeat), maybe sent, or unsendable."""
    if isinstance(exc, _NOT_SENT):
        delivery = Delivery.NOT_SENT
    elif isinstance(exc, _BROKEN):
        delivery = Delivery.BROKEN
    else:
        delivery = Delivery.SENT
    name = type(exc).__name__
    return TransportFailure(
        delivery, isinstance(exc, httpx.TimeoutException), str(exc) or name, name
    )


def without_request(exc: httpx.TransportError) -> httpx.TransportError:
    """A copy of ``exc`` with its message only: no request (whose headers hold the API key) and
    no traceback (whose frames hold the headers sent), to chain as an error's ``__cause__``."""
    try:
        return type(exc)(str(exc))
    except TypeError:  # a subclass with another signature
        return httpx.TransportError(str(exc))


def to_response(raw: httpx.Response, content: bytes | None = None) -> Response:
    return Response(raw.status_code, raw.headers, raw.content if content is None else content)
