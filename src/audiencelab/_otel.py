"""OpenTelemetry tracing (extra ``otel``): one span per SDK operation, one child span per HTTP
attempt, following OpenTelemetry's HTTP client semantic conventions.

The SDK never imports OpenTelemetry itself: it traces when the application has (configuring a
``TracerProvider`` imports ``opentelemetry.trace``), and costs one dictionary lookup per request
otherwise. What a span may carry is chosen, not dumped: method, host, port, the route with IDs
templated, status, request ID, retries and their reasons, ``outcome_unknown``, error *types*.
Never the key, a header, a body, an error message (the API's messages may quote a value), a
filter value or a record; the query of a URL only for the SDK's own paging parameters.

``operation("audiences.create")`` (the resource methods' :func:`traced`) opens the operation
span; a request sent outside one (a pager's page, ``client.send(op)``) gets its own, named by
its route. Attempts, retries and the outcome are reported by the clients through
:class:`Operation`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import ModuleType
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

from audiencelab._version import __version__

__all__ = ["Attempt", "Operation", "current_ids", "operation", "traced"]

F = TypeVar("F", bound=Callable[..., Any])

_SAFE_QUERY = frozenset({"page", "page_size"})

_current: ContextVar[Operation | None] = ContextVar("audiencelab_operation", default=None)


def _api() -> ModuleType | None:
    """``opentelemetry.trace`` if the application loaded it (never imported here)."""
    return sys.modules.get("opentelemetry.trace")


@functools.cache
def _tracer(api: ModuleType) -> Any:
    return api.get_tracer("audiencelab", __version__)


def _url_full(url: str, api_origin: bool) -> str | None:
    """The URL as a span may show it: query values other than paging redacted; nothing for a
    result file outside the API (its path and query may be a signed token)."""
    if not api_origin:
        return None
    parts = urlsplit(url)
    query = urlencode(
        [(k, v if k in _SAFE_QUERY else "REDACTED") for k, v in parse_qsl(parts.query, True)]
    )
    return parts._replace(query=query, fragment="").geturl()


class Attempt:
    """One HTTP attempt (a child span of the operation); a no-op when tracing is off."""

    def __init__(self, span: Any, api: ModuleType | None) -> None:
        self._span = span
        self._api = api

    def answered(self, status: int, request_id: str | None, http_version: str = "") -> None:
        span = self._span
        if span is None:
            return
        span.set_attribute("http.response.status_code", status)
        if request_id:
            span.set_attribute("audiencelab.request_id", request_id)
        if http_version.startswith("HTTP/"):
            span.set_attribute("network.protocol.version", http_version[5:])
        if status >= 400:
            span.set_attribute("error.type", str(status))
            self._error(str(status))

    def failed(self, error_type: str) -> None:
        if self._span is not None:
            self._span.set_attribute("error.type", error_type)
            self._error(error_type)

    def _error(self, description: str) -> None:
        assert self._api is not None
        self._span.set_status(self._api.Status(self._api.StatusCode.ERROR, description))

    def end(self) -> None:
        if self._span is not None:
            self._span.end()


_NO_ATTEMPT = Attempt(None, None)


class Operation:
    """The span of one SDK operation (``audiencelab audiences.create``)."""

    def __init__(self, name: str, span: Any, api: ModuleType | None) -> None:
        self.name = name
        self._span = span
        self._api = api
        self._retries = 0
        self._request_id: str | None = None

    @property
    def recording(self) -> bool:
        return self._span is not None

    def attempt(
        self, method: str, url: str, *, api_origin: bool, route: str, resend_count: int
    ) -> Attempt:
        """A child span for one attempt (HTTP client semantic conventions)."""
        if self._span is None or self._api is None:
            return _NO_ATTEMPT
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "server.address": parts.hostname or "",
            "server.port": port,
            "url.scheme": parts.scheme,
            "url.template": route,
        }
        full = _url_full(url, api_origin)
        if full is not None:
            attributes["url.full"] = full
        if resend_count:
            attributes["http.request.resend_count"] = resend_count
        context = self._api.set_span_in_context(self._span)
        span = _tracer(self._api).start_span(
            f"{method} {route}",
            context=context,
            kind=self._api.SpanKind.CLIENT,
            attributes=attributes,
        )
        return Attempt(span, self._api)

    def retrying(self, reason: str, delay: float, status: int | None) -> None:
        """A retry decided by the core: an event on the operation (a rate-limit wait named so)."""
        self._retries += 1
        if self._span is None:
            return
        attributes: dict[str, Any] = {"audiencelab.retry.reason": reason}
        attributes["audiencelab.retry.delay_s"] = round(delay, 3)
        if status is not None:
            attributes["http.response.status_code"] = status
        name = "audiencelab.rate_limit_wait" if status == 429 else "audiencelab.retry"
        self._span.add_event(name, attributes)

    def answered(self, request_id: str | None) -> None:
        """The request ID of the latest answer: the operation's, when it ends."""
        if request_id is not None:
            self._request_id = request_id

    def finish(self, error: BaseException | None) -> None:
        span = self._span
        if span is None or self._api is None:
            return
        span.set_attribute("audiencelab.retries", self._retries)
        if self._request_id:
            span.set_attribute("audiencelab.request_id", self._request_id)
        if error is not None:
            error_type = type(error).__name__
            span.set_attribute("error.type", error_type)
            if getattr(error, "outcome_unknown", False):
                span.set_attribute("audiencelab.outcome_unknown", True)
            status_code = getattr(error, "status_code", None)
            if isinstance(status_code, int):
                span.set_attribute("http.response.status_code", status_code)
            span.set_status(self._api.Status(self._api.StatusCode.ERROR, error_type))


_OFF = Operation("", None, None)


@contextmanager
def operation(name: str) -> Iterator[Operation]:
    """The operation span for ``name`` (the current one if an operation is already under way:
    ``pixels.get`` pages through ``pixels.list``, one operation)."""
    current = _current.get()
    if current is not None:
        yield current
        return
    api = _api()
    if api is None:
        yield _OFF
        return
    span = _tracer(api).start_span(
        f"audiencelab {name}", attributes={"audiencelab.operation": name}
    )
    op = Operation(name, span, api)
    token = _current.set(op)
    error: BaseException | None = None
    try:
        with api.use_span(span, end_on_exit=False, record_exception=False):
            yield op
    except BaseException as exc:
        error = exc
        raise
    finally:
        _current.reset(token)
        op.finish(error)
        span.end()


def traced(name: str) -> Callable[[F], F]:
    """Run a resource method (sync or async) inside the operation span ``name``."""

    import inspect  # here: the resources are made on first use, ``import audiencelab`` stays light

    def decorate(func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with operation(name):
                    return await func(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with operation(name):
                return func(*args, **kwargs)

        return cast(F, run)

    return decorate


def current_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex of the current span, for log records; None without one."""
    api = _api()
    if api is None:
        return None
    context = api.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return api.format_trace_id(context.trace_id), api.format_span_id(context.span_id)
