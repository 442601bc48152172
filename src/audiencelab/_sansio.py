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
from datetime import timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode, urljoin, urlsplit

from audiencelab._answers import request_id_of, response_error, status_error
from audiencelab._config import USER_AGENT, ClientConfig, Secret, is_loopback_host
from audiencelab._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    InputProblem,
    InputValidationError,
    Remedy,
)
from audiencelab._logging import log
from audiencelab._options import RequestOptions, check_against
from audiencelab._response import ResponseInfo
from audiencelab._retry import Delivery, RetryDecision, TransportFailure, decide_retry

T = TypeVar("T")


def encode_json(body: Any) -> bytes:
    """The exact bytes sent: compact JSON, keys in the order given, UTF-8."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


#: Path segments that are words of the API, not IDs (see :attr:`Operation.route`).
_ROUTE_WORDS = frozenset(
    {"audiences", "attributes", "custom", "preview", "enrich", "enrichments", "pixels"}
    | {"segments", "v4"}
)

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
    headers: Mapping[str, str]  # case-insensitive in practice (httpx2.Headers)
    content: bytes
    http_version: str = ""  # "HTTP/1.1", for traces

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

    @property
    def route(self) -> str:
        """The path with its IDs templated (``/audiences/{id}``), for names of low cardinality
        (trace spans); ``{result file}`` for a URL outside the API."""
        if self.absolute_url is not None:
            return "{result file}"
        parts = [p if p in _ROUTE_WORDS else "{id}" for p in self.path.split("/") if p]
        return "/" + "/".join(parts)


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
    #: the caller's ``extra_headers``, sent (as the key is) only to the API's own origin
    extra_headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def send_headers(self) -> list[tuple[str, str]]:
        """The headers as sent: with the key and the caller's extra headers when the URL is the
        API's own origin."""
        if self.api_key is None:
            return list(self.headers)
        return [("X-Api-Key", self.api_key.reveal()), *self.headers, *self.extra_headers]


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


def build_request(
    config: ClientConfig, op: Operation[Any], options: RequestOptions | None = None
) -> PreparedRequest:
    """The first request of ``op``. ``extra_query`` is added to API calls only (a result file's
    URL may be signed: its query is not ours to change)."""
    extra_headers = options.extra_headers if options is not None else ()
    if op.absolute_url is not None:
        url = op.absolute_url
    else:
        extra_query = options.extra_query if options is not None else ()
        url = build_url(config.base_url, op.path, (*op.params, *extra_query))
    return _prepare(
        config, op.method, url, op.content, json=op.absolute_url is None, extra=extra_headers
    )


def _prepare(
    config: ClientConfig,
    method: str,
    url: str,
    content: bytes | None,
    *,
    json: bool,
    extra: tuple[tuple[str, str], ...] = (),
) -> PreparedRequest:
    """The key goes only to the API's own origin (scheme, host and port), never elsewhere."""
    headers = [("Accept", "application/json" if json else "*/*"), ("User-Agent", USER_AGENT)]
    if content is not None:
        headers.append(("Content-Type", "application/json"))
    key = config.api_key if same_origin(url, config.base_url) else None
    return PreparedRequest(method, url, headers, content, key, extra)


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
    return _prepare(config, method, url, content, json=json, extra=request.extra_headers)


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
        options: RequestOptions | None = None,
        max_retries: int | None = None,
        rand: Callable[[], float] = random.random,
        on_retry: Callable[[int | None], None] | None = None,
    ) -> None:
        if options is not None:
            # Refused before anything is sent: options that would carry the key, or set a
            # parameter the method sends itself.
            problems = check_against(options, config.api_key, tuple(n for n, _ in op.params))
            if problems:
                raise InputValidationError(problems)
            if max_retries is None:
                max_retries = options.max_retries
        self.config = config
        self.op = op
        self.options = options
        self.policy = config.retry_policy
        self.max_retries = config.max_retries if max_retries is None else max_retries
        self.rand = rand
        self.on_retry = on_retry
        self.retries_done = 0
        self.redirects = 0
        self.may_have_acted = False  # an earlier attempt may have reached the server
        self.last_decision: RetryDecision | None = None  # why the latest retry (for tracing)
        self.last_retry_status: int | None = None
        self.answer: Response | None = None  # the latest answer, and how long it took
        self.answer_elapsed = 0.0
        self.prepared = build_request(config, op, options)
        url = self.prepared.url
        shown = (
            url[len(config.base_url) :] if url.startswith(config.base_url) else urlsplit(url).path
        )
        self.log_target = f"{op.method} {shown}"

    def request(self) -> PreparedRequest:
        return self.prepared

    def response_info(self) -> ResponseInfo:
        """The final answer, for a raw response (after ``Done``, or once a stream is open)."""
        answer = self.answer
        assert answer is not None, "no answer yet"
        return ResponseInfo(
            status_code=answer.status_code,
            headers=answer.headers,
            request_id=request_id_of(answer.headers),
            elapsed=timedelta(seconds=self.answer_elapsed),
            retries_taken=self.retries_done,
            method=self.prepared.method,
            url=shown_url(self.prepared.url),
            content=answer.content,
        )

    def on_stream(self, response: Response, elapsed: float) -> None:
        """A success whose body the caller reads as a stream (``with_streaming_response``)."""
        self._answered(response, elapsed)

    def _decide(self, **what: Any) -> RetryDecision:
        return decide_retry(
            self.policy,
            max_retries=self.max_retries,
            retries_done=self.retries_done,
            safe_to_retry=self.op.safe_to_retry,
            rand=self.rand,
            **what,
        )

    def _answered(self, response: Response, elapsed: float) -> None:
        self.answer, self.answer_elapsed = response, elapsed
        log(
            logging.DEBUG,
            "response",
            "%s -> %d (%.0f ms)",
            self.log_target,
            response.status_code,
            elapsed * 1000,
        )

    def on_response(self, response: Response, elapsed: float) -> Step[T]:
        status = response.status_code
        self._answered(response, elapsed)
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
            self._answered(response, elapsed)
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
                request_id=request_id_of(response.headers),
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
        self.last_decision, self.last_retry_status = decision, status
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
