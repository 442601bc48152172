"""The httpx2 glue shared by the two I/O shells: timeouts, and transport errors as core kinds.

This is the only place, with the clients themselves, that knows the HTTP library: the sans-I/O
core sees a :class:`~audiencelab._sansio.Response` and a :class:`~audiencelab._retry.TransportFailure`.

The clients run on httpx2. A client of the original ``httpx`` brought as ``http_client=`` is
still accepted for a deprecation period (both libraries have the same API), with a
``DeprecationWarning``; ``httpx`` itself is never imported here: it is only looked up in
``sys.modules``, where it is when the caller made such a client.
"""

from __future__ import annotations

import sys
import warnings
from types import ModuleType
from typing import Any

import httpx2

from audiencelab._exceptions import ConfigurationError
from audiencelab._retry import Delivery, TransportFailure
from audiencelab._sansio import Response

__all__ = [
    "DEFAULT_TIMEOUT",
    "HttpLibrary",
    "TimeoutTypes",
    "classify_transport_error",
    "library_of",
    "resolve_timeout",
    "to_response",
    "unsendable",
    "without_request",
]

# Reads of big record pages can be slow on the real service; connecting should never be.
DEFAULT_TIMEOUT = httpx2.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)

TimeoutTypes = float | httpx2.Timeout | None

LEGACY_NOTE = (
    "an httpx client is accepted until audiencelab 0.3; pass an httpx2 client instead "
    "(`import httpx2`: the same API), as the SDK, openai, anthropic and mcp now use"
)


def _legacy_httpx() -> ModuleType | None:
    """The original httpx, if the program imported it (never imported here)."""
    return sys.modules.get("httpx")


def resolve_timeout(timeout: TimeoutTypes) -> httpx2.Timeout:
    """``timeout`` as an ``httpx2.Timeout``: seconds for everything, connecting at most 10 s."""
    if isinstance(timeout, httpx2.Timeout):
        return timeout
    if timeout is None:
        return DEFAULT_TIMEOUT
    legacy = _legacy_httpx()
    if legacy is not None and isinstance(timeout, legacy.Timeout):
        return httpx2.Timeout(**timeout.as_dict())
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ConfigurationError(
            f"timeout must be a positive number of seconds, got {timeout!r}", setting="timeout"
        )
    return httpx2.Timeout(
        float(timeout), connect=min(float(timeout), DEFAULT_TIMEOUT.connect or 10.0)
    )


class HttpLibrary:
    """What the shells need of the library behind an ``http_client``: httpx2, or (deprecated) the
    original httpx. Both have the same classes; only their identities differ."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.is_legacy = module is not httpx2
        #: what a failed attempt raises: no answer (transport), or an answer that cannot be read
        self.transport_error: type[Exception] = module.TransportError
        self.decoding_error: type[Exception] = module.DecodingError
        self.invalid_url: type[Exception] = module.InvalidURL
        self.use_client_default: Any = module.USE_CLIENT_DEFAULT
        self._not_sent = (
            module.ConnectError,
            module.ConnectTimeout,
            module.PoolTimeout,
            module.ProxyError,
        )
        self._broken = (module.UnsupportedProtocol, module.LocalProtocolError)
        self._timeout = module.TimeoutException

    def timeout(self, timeout: httpx2.Timeout) -> Any:
        """``timeout`` as this library's own ``Timeout`` (httpx refuses httpx2's, and back)."""
        if not self.is_legacy:
            return timeout
        return self.module.Timeout(**timeout.as_dict())

    def classify(self, exc: Exception) -> TransportFailure:
        """How far the request got: never sent (safe to repeat), maybe sent, or unsendable."""
        if isinstance(exc, self._not_sent):
            delivery = Delivery.NOT_SENT
        elif isinstance(exc, self._broken):
            delivery = Delivery.BROKEN
        else:
            delivery = Delivery.SENT
        name = type(exc).__name__
        return TransportFailure(delivery, isinstance(exc, self._timeout), str(exc) or name, name)


HTTPX2 = HttpLibrary(httpx2)


def library_of(http_client: object, *, asynchronous: bool) -> HttpLibrary:
    """The library of a client the caller brought, or a clear ``ConfigurationError``."""
    wanted = "AsyncClient" if asynchronous else "Client"
    if isinstance(http_client, getattr(httpx2, wanted)):
        return HTTPX2
    legacy = _legacy_httpx()
    if legacy is not None and isinstance(http_client, getattr(legacy, wanted)):
        warnings.warn(f"http_client: {LEGACY_NOTE}", DeprecationWarning, stacklevel=4)
        return HttpLibrary(legacy)
    raise ConfigurationError(
        f"http_client must be an httpx2.{wanted}, got {type(http_client).__module__}."
        f"{type(http_client).__qualname__}",
        setting="http_client",
    )


def classify_transport_error(exc: httpx2.TransportError) -> TransportFailure:
    """How far the request got (an httpx2 error); see :meth:`HttpLibrary.classify`."""
    return HTTPX2.classify(exc)


def unsendable(exc: Exception) -> TransportFailure:
    """A request the library refused to send (an invalid URL, a header that is not ASCII). The
    message names the kind of problem only: a ``UnicodeEncodeError`` would quote the header."""
    if isinstance(exc, UnicodeEncodeError):
        detail = "a header value is not ASCII"
    else:
        detail = str(exc) or type(exc).__name__
    return TransportFailure(Delivery.BROKEN, False, detail, type(exc).__name__)


def without_request(exc: Exception, library: HttpLibrary = HTTPX2) -> Exception:
    """A copy of ``exc`` with its message only: no request (whose headers hold the API key) and
    no traceback (whose frames hold the headers sent), to chain as an error's ``__cause__``."""
    try:
        return type(exc)(str(exc))
    except TypeError:  # a subclass with another signature
        return library.transport_error(str(exc))


def to_response(raw: Any, content: bytes | None = None) -> Response:
    """The core's view of an answer (an ``httpx2.Response``, or httpx's twin)."""
    body = raw.content if content is None else content
    return Response(raw.status_code, raw.headers, body, raw.http_version)
