"""The outermost raw-ASGI layer: latency, API-key auth, rate limiting, dropped connections, 5xx.

It sits *outside* Starlette so that it sees the server's own ``send`` callable: under uvicorn that
is a bound method of the request/response cycle, whose ``transport`` can be closed to drop a
connection without any HTTP response (what a client sees when a proxy or the network fails).

Faults strike at two moments. *Before* the route runs (``--fail-rate``, ``--drop-rate``): nothing
happens, or (for half of the drops) the request is processed and the answer lost. *After* a write
was committed (``--fail-after-commit-rate``): the change is saved, but the client gets a 502, 503
or 504, or no answer at all, as when a proxy times out in front of a slow but successful backend.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audiencelab.sandbox._config import SandboxConfig
from audiencelab.sandbox._errors import error_body
from audiencelab.sandbox._http import REQUEST_ID_SCOPE, sending_request_id

__all__ = [
    "API_KEY_SCOPE",
    "EXEMPT_PATHS",
    "READ_ONLY_POSTS",
    "FaultMiddleware",
    "RateLimiter",
    "is_exempt",
    "is_write",
]

#: scope key under which the authenticated API key is handed to the routes
API_KEY_SCOPE = "audiencelab.sandbox.api_key"
#: paths without auth and faults: the service description, health checks, files the sandbox serves
EXEMPT_PATHS = frozenset({"/openapi.json", "/healthz"})
EXEMPT_PREFIX = "/_sandbox/"
#: POST routes that change nothing (lookups): never failed after a commit
READ_ONLY_POSTS = frozenset({"/enrich", "/audiences/preview"})

logger = logging.getLogger("audiencelab.sandbox")

_FAILURES = (
    (500, "INTERNAL_ERROR", "Internal server error (injected by the sandbox's --fail-rate)"),
    (502, "BAD_GATEWAY", "Bad gateway (injected by the sandbox's --fail-rate)"),
    (503, "SERVICE_UNAVAILABLE", "Service unavailable (injected by the sandbox's --fail-rate)"),
    (504, "GATEWAY_TIMEOUT", "Gateway timeout (injected by the sandbox's --fail-rate)"),
)
_AFTER = "(injected by the sandbox's --fail-after-commit-rate: the request was processed)"
#: what a committed write is answered with instead of its 2xx (None: the connection is dropped)
_AFTER_COMMIT: tuple[tuple[int, str, str] | None, ...] = (
    (502, "BAD_GATEWAY", f"Bad gateway {_AFTER}"),
    (503, "SERVICE_UNAVAILABLE", f"Service unavailable {_AFTER}"),
    (504, "GATEWAY_TIMEOUT", f"Gateway timeout {_AFTER}"),
    None,
)


def is_exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIX)


def is_write(method: str, path: str) -> bool:
    """Creates, deletes, jobs and pixels: the requests that change state."""
    return method == "DELETE" or (method == "POST" and path.rstrip("/") not in READ_ONLY_POSTS)


class RateLimiter:
    """A token bucket per API key: bursts of up to N requests, refilled at N per second."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_second
        self.capacity = max(1.0, per_second)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        """``None`` if the request may proceed, else the seconds to wait (``Retry-After``)."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))


@dataclass(frozen=True)
class Decision:
    drop: bool
    process_before_drop: bool
    fail: tuple[int, str, str] | None
    retry_after: bool
    #: for a write that succeeds: answered with this instead (``None`` inside: dropped)
    after_commit: tuple[tuple[int, str, str] | None] | None = None


class FaultPlan:
    """Seeded fault decisions: one fixed set of draws per request, so a seed replays exactly."""

    def __init__(self, config: SandboxConfig) -> None:
        self.drop_rate = config.drop_rate
        self.fail_rate = config.fail_rate
        self.after_rate = config.fail_after_commit_rate
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def decide(self) -> Decision:
        with self._lock:
            u_drop, u_half, u_fail, u_kind = (self._rng.random() for _ in range(4))
            # two more draws only when the fault is on, so other seeds replay as before
            u_after, u_after_kind = (
                (self._rng.random(), self._rng.random()) if self.after_rate else (1.0, 0.0)
            )
        drop = u_drop < self.drop_rate
        fail = None
        if not drop and u_fail < self.fail_rate:
            fail = _FAILURES[int(u_kind * len(_FAILURES)) % len(_FAILURES)]
        # half of the 503s carry Retry-After: 1 (503 is the third of four kinds)
        retry_after = fail is not None and fail[0] == 503 and u_kind >= 0.625
        after = None
        if not drop and fail is None and u_after < self.after_rate:
            after = (_AFTER_COMMIT[int(u_after_kind * len(_AFTER_COMMIT)) % len(_AFTER_COMMIT)],)
        return Decision(drop, u_half < 0.5, fail, retry_after, after)


def _headers(scope: Scope, name: bytes) -> list[str]:
    """Every value of a header (HTTP allows a header to be sent more than once)."""
    return [
        str(value.decode("latin-1"))
        for key, value in scope.get("headers", ())
        if key.lower() == name
    ]


async def send_json(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    style: str = "object",
) -> None:
    body = error_body(code, message, style)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class ConnectionDropped(ConnectionResetError):
    """Raised in-process (no socket to close) when ``drop_rate`` drops a request."""


def _dropped_error() -> Exception:
    """What an in-process HTTP client (httpx2's ASGI transport) takes for a dropped connection."""
    try:
        import httpx2
    except ImportError:  # pragma: no cover - httpx2 is a core dependency of audiencelab
        return ConnectionDropped("Server disconnected without sending a response.")
    return httpx2.RemoteProtocolError("Server disconnected without sending a response.")


class FaultMiddleware:
    """Auth, rate limiting and injected faults for every API route."""

    def __init__(
        self, app: ASGIApp, config: SandboxConfig, clock: Callable[[], float] | None = None
    ) -> None:
        self.app = app
        self.config = config
        self.style = config.error_style
        self.keys = frozenset(config.api_keys)
        self.latency = config.latency_ms / 1000.0
        self.faults = FaultPlan(config)
        self.limiter = (
            RateLimiter(config.rate_limit, clock or time.monotonic) if config.rate_limit else None
        )
        #: counters, handy in tests and for the curious
        self.stats: dict[str, int] = {
            "requests": 0, "dropped": 0, "failed": 0, "limited": 0, "failed_after_commit": 0,
        }  # fmt: skip

    async def _error(
        self,
        send: Send,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        await send_json(send, status, code, message, headers, self.style)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # ``connection`` is the server's own send (to drop the connection); every answer goes
        # through ``send``, which adds the request ID.
        connection, send = send, sending_request_id(scope, send)
        if is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        self.stats["requests"] += 1
        if self.latency:
            try:
                await asyncio.sleep(self.latency)
            except asyncio.CancelledError:  # the server is stopping
                await self._shutting_down(send)
                raise
        key = await self._authenticate(scope, send)
        if key is None:
            return
        if self.limiter is not None:
            wait = self.limiter.take(key)
            if wait is not None:
                self.stats["limited"] += 1
                await self._error(
                    send,
                    429,
                    "RATE_LIMITED",
                    f"Too many requests: the sandbox allows {self.config.rate_limit:g} requests "
                    "per second per API key (--rate-limit)",
                    {"Retry-After": str(wait)},
                )
                return
        scope[API_KEY_SCOPE] = key
        decision = self.faults.decide()
        if decision.drop:
            self.stats["dropped"] += 1
            await self._drop(scope, receive, connection, decision.process_before_drop)
            return
        if decision.fail is not None:
            self.stats["failed"] += 1
            status, code, message = decision.fail
            headers = {"Retry-After": "1"} if decision.retry_after else None
            await self._error(send, status, code, message, headers)
            return
        if decision.after_commit is not None and is_write(scope["method"], scope["path"]):
            await self._fail_after_commit(
                scope, receive, send, connection, decision.after_commit[0]
            )
            return
        await self._call_app(scope, receive, send)

    async def _authenticate(self, scope: Scope, send: Send) -> str | None:
        """The request's API key, or ``None`` after answering 400 or 401."""
        keys = _headers(scope, b"x-api-key")
        if len(set(keys)) > 1:
            # taking the first (or the last) would let a proxy's header decide the tenant
            await self._error(
                send,
                400,
                "VALIDATION_ERROR",
                f"X-Api-Key: sent {len(keys)} times with different values; send one key",
            )
            return None
        key = keys[0] if keys else None
        if key is not None and key in self.keys:
            return key
        if key is None:
            message = "Missing API key: send it in the X-Api-Key header"
            if _headers(scope, b"authorization"):
                message += " (Authorization: Bearer is not supported by this API)"
        else:
            message = "Invalid API key"
        await self._error(send, 401, "UNAUTHORIZED", message)
        return None

    async def _shutting_down(self, send: Send) -> None:
        """Answer a request cancelled by a stopping server with a JSON 503 rather than nothing."""
        try:
            await self._error(
                send,
                503,
                "SERVICE_UNAVAILABLE",
                "The sandbox is shutting down",
                {"Retry-After": "1"},
            )
        except Exception:  # the connection may be gone already
            return

    async def _call_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the routes; a bug that already produced its JSON 500 keeps the connection alive."""
        started = complete = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, complete
            started = True
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except asyncio.CancelledError:
            if not started:
                await self._shutting_down(send)
            raise
        except ClientDisconnect:
            return  # the client left (or missed its deadline) before its body arrived
        except Exception:
            if not complete:
                raise
            logger.exception(
                "Error in the sandbox while answering %s %s (request %s)",
                scope["method"],
                scope["path"],
                scope.get(REQUEST_ID_SCOPE),
            )

    async def _fail_after_commit(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        connection: Send,
        failure: tuple[int, str, str] | None,
    ) -> None:
        """Run the write; if it succeeded (2xx, committed), answer ``failure`` instead."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self._call_app(scope, receive, hold)
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        if not 200 <= status < 300:
            for message in held:  # a refused write changed nothing: its answer goes through
                await send(message)
            return
        self.stats["failed_after_commit"] += 1
        if failure is None:
            await self._close(connection)
            return
        await self._error(send, *failure)

    async def _drop(
        self, scope: Scope, receive: Receive, connection: Send, process_first: bool
    ) -> None:
        if process_first:
            # The change happens, the answer is lost: what makes retrying a POST risky.
            async def discard(message: Message) -> None:
                return None

            try:
                await self.app(scope, receive, discard)
            except Exception:  # the answer is dropped anyway
                logger.exception("Error in the sandbox while processing a dropped request")
        await self._close(connection)

    @staticmethod
    async def _close(connection: Send) -> None:
        """Close the connection without any HTTP response (``connection``: the server's send)."""
        transport: Any = getattr(getattr(connection, "__self__", None), "transport", None)
        if transport is None or not hasattr(transport, "close"):
            raise _dropped_error()
        transport.close()
        # let the server notice the closed connection before this request's task ends
        for _ in range(3):
            await asyncio.sleep(0)
