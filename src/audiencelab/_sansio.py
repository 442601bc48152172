"""The sans-I/O core: build requests, read responses, decide retries. No sockets, no sleeping.

The sync and async clients are thin shells around :class:`Call`: they send what ``Call.request()``
returns, hand back what happened (``on_response`` or ``on_transport_error``), and either sleep,
return the value or raise, as the returned step says. Everything else lives here, once.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode, urljoin, urlsplit

from audiencelab._config import USER_AGENT, ClientConfig, Secret, is_loopback_host
from audiencelab._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    InputProblem,
    InputValidationError,
    RateLimitError,
    Remedy,
    status_error_class,
)
from audiencelab._logging import log
from audiencelab._retry import (
    Delivery,
    RetryDecision,
    TransportFailure,
    decide_retry,
    parse_retry_after,
)

T = TypeVar("T")

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-cloud-trace-context")


def encode_json(body: Any) -> bytes:
    """The exact bytes sent: compact JSON, keys in the order given, UTF-8."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


#: Longer than any ID the API hands out (UUIDs, ``seg_...``); a longer one is a mistake (and past
#: 65,536 characters no URL can carry it).
MAX_ID_LENGTH = 1000


def path_param(value: str, name: str = "id") -> str:
    """A path segment, percent-encoded so an ID can never change the path."""
    if not isinstance(value, str) or not value.strip():
        raise InputValidationError([InputProblem(name, f"expected a non-empty ID, got {value!r}")])
    if len(value) > MAX_ID_LENGTH:
        raise InputValidationError(
            [
                InputProblem(
                    name,
                    f"expected an ID of at most {MAX_ID_LENGTH:,} characters, got one of "
                    f"{len(value):,} ({value[:20]!r}...)",
                )
            ]
        )
    return quote(value.strip(), safe="")


@dataclass(frozen=True)
class Response:
    """What came back, independent of the HTTP library."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive in practice (httpx.Headers)
    content: bytes

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` for anything that is not (nested too deep included)."""
        try:
            return json.loads(self.content)
        except RecursionError:
            raise ValueError("the JSON body is nested too deeply to read") from None


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One API call, checked and described, not sent: what to send, and how to read the answer.

    ``content`` is the exact body bytes (compact UTF-8 JSON), what ``--dry-run`` prints.
    ``safe_to_retry`` is False for requests that create something: those are repeated only when
    the server cannot have acted on them; ``check_outcome`` then says how to check whether it
    did, as a remedy (``unknown_outcome_note`` where only the dashboard can tell).
    """

    method: str
    path: str
    parse: Callable[[Response], T] = field(repr=False)
    params: Sequence[tuple[str, str]] = ()
    body: Any = None
    safe_to_retry: bool = True
    check_outcome: Remedy | None = None
    unknown_outcome_note: str = ""
    # DELETE: a 404 after an attempt that may have succeeded means the thing is gone, as asked.
    gone_ok_on_retry: bool = False
    # A full URL outside the API (e.g. a result file): the key is sent only to the API's own origin.
    absolute_url: str | None = None

    @property
    def content(self) -> bytes | None:
        """The exact bytes of the body, or None for a request without one."""
        return None if self.body is None else encode_json(self.body)

    @property
    def target(self) -> str:
        """``path?query`` as sent (relative to the base URL)."""
        return build_url("", self.path, self.params)


@dataclass(frozen=True)
class PreparedRequest:
    """What to send. The key is kept as a :class:`Secret` until :meth:`send_headers`, which the
    shell calls at the moment of sending, so that no object reachable from an error (or from a
    traceback's locals) holds it in clear."""

    method: str
    url: str
    headers: Sequence[tuple[str, str]] = field(repr=False)
    content: bytes | None = field(default=None, repr=False)
    api_key: Secret | None = field(default=None, repr=False)

    def send_headers(self) -> list[tuple[str, str]]:
        """The headers as sent: with the key, when the URL is the API's own origin."""
        if self.api_key is None:
            return list(self.headers)
        return [("X-Api-Key", self.api_key.reveal()), *self.headers]


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Fail:
    error: APIError


@dataclass(frozen=True)
class Done(Generic[T]):
    value: T


Step = Sleep | Fail | Done[T]


def build_url(base_url: str, path: str, params: Sequence[tuple[str, str]] = ()) -> str:
    url = base_url + path
    return f"{url}?{urlencode(params)}" if params else url


def same_origin(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def build_request(config: ClientConfig, op: Operation[Any]) -> PreparedRequest:
    if op.absolute_url is not None:
        url = op.absolute_url
    else:
        url = build_url(config.base_url, op.path, op.params)
    return _prepare(config, op.method, url, op.content, json=op.absolute_url is None)


def _prepare(
    config: ClientConfig, method: str, url: str, content: bytes | None, *, json: bool
) -> PreparedRequest:
    """The key goes only to the API's own origin (scheme, host and port), never elsewhere."""
    headers = [("Accept", "application/json" if json else "*/*"), ("User-Agent", USER_AGENT)]
    if content is not None:
        headers.append(("Content-Type", "application/json"))
    key = config.api_key if same_origin(url, config.base_url) else None
    return PreparedRequest(method, url, headers, content, key)


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10


def redirected(
    config: ClientConfig, request: PreparedRequest, status: int, location: str
) -> PreparedRequest:
    """The request to send after a redirect. As browsers and httpx do, 303 (and 301/302 after a
    POST) become a GET without body. The key follows only to the API's own origin."""
    url = urljoin(request.url, location)
    method, content = request.method, request.content
    if status == 303 or (status in (301, 302) and method == "POST"):
        method, content = "GET", None
    json = any(name == "Accept" and value == "application/json" for name, value in request.headers)
    return _prepare(config, method, url, content, json=json)


def insecure_hop(url: str) -> str | None:
    """Why a redirect to ``url`` is not followed, or None. Every hop is held to the rule of the
    base URL: https, or plain http on loopback only (the sandbox): a result file of personal
    data, or a request body, never travels unencrypted."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it is not an http(s) URL"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return "it is plain http to another machine: the data would travel unencrypted"
    return None


def shown_url(url: str) -> str:
    """``url`` without its query (a signed result URL carries a token there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _request_id(headers: Mapping[str, str]) -> str | None:
    for name in _REQUEST_ID_HEADERS:
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
        "request_id": _request_id(response.headers),
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
        request_id=_request_id(response.headers),
        outcome_unknown=outcome_unknown,
        remedy=remedy,
    )


class Call(Generic[T]):
    """The life of one operation across its attempts: a small state machine, no I/O.

    The shell sends ``request()``, then reports what happened with :meth:`on_response` or
    :meth:`on_transport_error`, and does what the returned step says: sleep and send again,
    raise the error, or return the value.
    """

    def __init__(
        self,
        config: ClientConfig,
        op: Operation[T],
        *,
        max_retries: int | None = None,
        rand: Callable[[], float] = random.random,
        on_retry: Callable[[int | None], None] | None = None,
    ) -> None:
        self.config = config
        self.op = op
        self.policy = config.retry_policy
        self.max_retries = config.max_retries if max_retries is None else max_retries
        self.rand = rand
        self.on_retry = on_retry
        self.retries_done = 0
        self.redirects = 0
        self.may_have_acted = False  # an earlier attempt may have reached the server
        self.prepared = build_request(config, op)
        url = self.prepared.url
        shown = (
            url[len(config.base_url) :] if url.startswith(config.base_url) else urlsplit(url).path
        )
        self.log_target = f"{op.method} {shown}"

    def request(self) -> PreparedRequest:
        return self.prepared

    def _decide(self, **what: Any) -> RetryDecision:
        return decide_retry(
            self.policy,
            max_retries=self.max_retries,
            retries_done=self.retries_done,
            safe_to_retry=self.op.safe_to_retry,
            rand=self.rand,
            **what,
        )

    def on_response(self, response: Response, elapsed: float) -> Step[T]:
        status = response.status_code
        log(
            logging.DEBUG, "response", "%s -> %d (%.0f ms)", self.log_target, status, elapsed * 1000
        )
        if 200 <= status < 300:
            try:
                return Done(self.op.parse(response))
            except APIError as exc:
                return Fail(exc)
            except Exception as exc:  # whatever the answer is, it becomes an SDK error
                return Fail(self._unreadable(response, str(exc) or type(exc).__name__))
        if status == 404 and self.op.gone_ok_on_retry and self.may_have_acted:
            log(
                logging.INFO,
                "gone_after_retry",
                "%s -> 404 after a retry: already gone, as asked",
                self.log_target,
            )
            return Done(self.op.parse(Response(204, {}, b"")))
        location = response.headers.get("location")
        if status in REDIRECT_STATUSES and location:
            return self._redirect(response, location)
        decision = self._decide(status_code=status, headers=response.headers)
        self.may_have_acted = self.may_have_acted or status >= 500
        if decision.retry:
            return self._retry(decision, status)
        error = status_error(
            response, self.op, self.prepared.url, outcome_unknown=decision.outcome_unknown
        )
        self._log_failure(error)
        return Fail(error)

    def on_undecodable(self, response: Response, detail: str, elapsed: float) -> Step[T]:
        """An answer came whose body could not be decoded (``Content-Encoding: gzip`` and a body
        that is not gzip): its status still says what happened; a success cannot be read."""
        if 200 <= response.status_code < 300:
            log(
                logging.DEBUG,
                "response",
                "%s -> %d (%.0f ms)",
                self.log_target,
                response.status_code,
                elapsed * 1000,
            )
            return Fail(self._unreadable(response, f"the body could not be decoded ({detail})"))
        return self.on_response(response, elapsed)

    def _unreadable(self, response: Response, detail: str) -> APIResponseValidationError:
        """A success we cannot read. For a create it was probably made, under an ID we do not
        know: the outcome is unknown, and repeating it could make a second one."""
        unknown = not self.op.safe_to_retry
        message = f"unexpected response to {self.log_target}: {detail}"
        if unknown and self.op.unknown_outcome_note:
            message += f". {self.op.unknown_outcome_note}"
        error = response_error(
            message,
            response,
            self.op.method,
            self.prepared.url,
            outcome_unknown=unknown,
            remedy=self.op.check_outcome if unknown else None,
        )
        self._log_failure(error)
        return error

    def _redirect(self, response: Response, location: str) -> Step[T]:
        status = response.status_code
        target = redirected(self.config, self.prepared, status, location)
        problem: str | None = None
        if self.redirects >= MAX_REDIRECTS:
            problem = f"more than {MAX_REDIRECTS} redirects (a redirect loop?)"
        elif (why := insecure_hop(target.url)) is not None:
            problem = f"not following the redirect to {shown_url(target.url)}: {why}"
        if problem is not None:
            unknown = not self.op.safe_to_retry
            error = APIStatusError(
                f"{problem}; nothing more was sent",
                status_code=status,
                request_id=_request_id(response.headers),
                headers=response.headers,
                method=self.op.method,
                url=shown_url(self.prepared.url),
                outcome_unknown=unknown,
                remedy=self.op.check_outcome if unknown else None,
            )
            self._log_failure(error)
            return Fail(error)
        self.redirects += 1
        self.prepared = target
        parts = urlsplit(target.url)
        log(
            logging.DEBUG,
            "redirect",
            "%s -> %d, following to %s://%s%s",
            self.log_target,
            status,
            parts.scheme,
            parts.netloc,
            parts.path,
        )
        return Sleep(0.0)  # send again now, to the new place

    def on_transport_error(self, failure: TransportFailure, elapsed: float) -> Step[T]:
        delivery = failure.delivery
        log(
            logging.DEBUG,
            "transport_error",
            "%s -> %s after %.0f ms (%s)",
            self.log_target,
            failure.kind or "transport error",
            elapsed * 1000,
            delivery.value,
        )
        decision = self._decide(delivery=delivery)
        self.may_have_acted = self.may_have_acted or delivery is Delivery.SENT
        if decision.retry:
            return self._retry(decision, None)
        what = "timed out" if failure.timed_out else "failed"
        message = f"{self.log_target} {what}: {failure.detail or failure.kind}"
        if delivery is Delivery.NOT_SENT:
            message += f" (could not reach {self.config.base_url}; nothing was sent)"
        if decision.outcome_unknown and self.op.unknown_outcome_note:
            message += f". {self.op.unknown_outcome_note}"
        cls = APITimeoutError if failure.timed_out else APIConnectionError
        error = cls(
            message,
            method=self.op.method,
            url=self.prepared.url,
            outcome_unknown=decision.outcome_unknown,
            remedy=self.op.check_outcome if decision.outcome_unknown else None,
        )
        self._log_failure(error)
        return Fail(error)

    def _retry(self, decision: RetryDecision, status: int | None) -> Sleep:
        self.retries_done += 1
        if self.on_retry is not None:
            self.on_retry(status)
        log(
            logging.INFO,
            "retry",
            "%s: %s, retrying in %.2f s (retry %d of %d)",
            self.log_target,
            decision.reason,
            decision.delay,
            self.retries_done,
            self.max_retries,
        )
        return Sleep(decision.delay)

    def _log_failure(self, error: APIError) -> None:
        if error.outcome_unknown:
            log(
                logging.WARNING,
                "outcome_unknown",
                "%s: outcome unknown, not retried: %s",
                self.log_target,
                error,
            )
        else:
            log(logging.DEBUG, "request_failed", "%s failed: %s", self.log_target, error)
