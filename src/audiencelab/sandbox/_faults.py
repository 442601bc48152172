"""The outermost raw-ASGI layer: latency, API-key auth, rate limiting, dropped connections, 5xx.

It sits *outside* Starlette so that it sees the server's own ``send`` callable: under uvicorn that
is a bound method of the request/response cycle, whose ``transport`` can be closed to drop a
connection without any HTTP response (what a client sees when a proxy or the network fails).
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

__all__ = ["API_KEY_SCOPE", "EXEMPT_PATHS", "FaultMiddleware", "RateLimiter", "is_exempt"]

#: scope key under which the authenticated API key is handed to the routes
API_KEY_SCOPE = "audiencelab.sandbox.api_key"
#: paths without auth and faults: the service description, health checks, files the sandbox serves
EXEMPT_PATHS = frozenset({"/openapi.json", "/healthz"})
EXEMPT_PREFIX = "/_sandbox/"

logger = logging.getLogger("audiencelab.sandbox")

_FAILURES = (
    (500, "INTERNAL_ERROR", "Internal server error (injected by the sandbox's --fail-rate)"),
    (502, "BAD_GATEWAY", "Bad gateway (injected by the sandbox's --fail-rate)"),
    (503, "SERVICE_UNAVAILABLE", "Service unavailable (injected by the sandbox's --fail-rate)"),
)


def is_exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIX)


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


class FaultPlan:
    """Seeded fault decisions: one fixed set of draws per request, so a seed replays exactly."""

    def __init__(self, config: SandboxConfig) -> None:
        self.drop_rate = config.drop_rate
        self.fail_rate = config.fail_rate
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def decide(self) -> Decision:
        with self._lock:
            u_drop, u_half, u_fail, u_kind = (self._rng.random() for _ in range(4))
        drop = u_drop < self.drop_rate
        fail = None
        if not drop and u_fail < self.fail_rate:
            fail = _FAILURES[int(u_kind * 3) % 3]
        return Decision(
            drop, u_half < 0.5, fail, fail is not None and fail[0] == 503 and u_kind > 5 / 6
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _headers(scope: Scope, name: bytes) -> list[str]:
    """Every value of a header (HTTP allows a header to be sent more than once)."""
    return [
        str(value.decode("latin-1"))
        for key, value in scope.get("headers", ())
        if key.lower() == name
    ]


async def send_json(
    send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    body = error_body(code, message)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _shutting_down(send: Send) -> None:
    """Answer a request cancelled by a stopping server with a JSON 503 rather than nothing."""
    try:
        await send_json(
            send, 503, "SERVICE_UNAVAILABLE", "The sandbox is shutting down", {"Retry-After": "1"}
        )
    except Exception:  # the connection may be gone already
        return


class ConnectionDropped(ConnectionResetError):
    """Raised in-process (no socket to close) when ``drop_rate`` drops a request."""


def _dropped_error() -> Exception:
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is a core dependency of audiencelab
        return ConnectionDropped("Server disconnected without sending a response.")
    return httpx.RemoteProtocolError("Server disconnected without sending a response.")


class FaultMiddleware:
    """Auth, rate limiting and injected faults for every API route."""

    def __init__(
        self, app: ASGIApp, config: SandboxConfig, clock: Callable[[], float] | None = None
    ) -> None:
        self.app = app
        self.config = config
        self.keys = frozenset(config.api_keys)
        self.latency = config.latency_ms / 1000.0
        self.faults = FaultPlan(config)
        self.limiter = (
            RateLimiter(config.rate_limit, clock or time.monotonic) if config.rate_limit else None
        )
        #: counters, handy in tests and for the curious
        self.stats: dict[str, int] = {"requests": 0, "dropped": 0, "failed": 0, "limited": 0}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        self.stats["requests"] += 1
        if self.latency:
            try:
                await asyncio.sleep(self.latency)
            except asyncio.CancelledError:  # the server is stopping
                await _shutting_down(send)
                raise
        keys = _headers(scope, b"x-api-key")
        if len(set(keys)) > 1:
            # taking the first (or the last) would let a proxy's header decide the tenant
            await send_json(
                send,
                400,
                "VALIDATION_ERROR",
                f"X-Api-Key: sent {len(keys)} times with different values; send one key",
            )
            return
        key = keys[0] if keys else None
        if key is None or key not in self.keys:
            if key is None:
                message = "Missing API key: send it in the X-Api-Key header"
                if _header(scope, b"authorization"):
                    message += " (Authorization: Bearer is not supported by this API)"
            else:
                message = "Invalid API key"
            await send_json(send, 401, "UNAUTHORIZED", message)
            return
        if self.limiter is not None:
            wait = self.limiter.take(key)
            if wait is not None:
                self.stats["limited"] += 1
                await send_json(
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
            await self._drop(scope, receive, send, decision.process_before_drop)
            return
        if decision.fail is not None:
            self.stats["failed"] += 1
            status, code, message = decision.fail
            headers = {"Retry-After": "1"} if decision.retry_after else None
            await send_json(send, status, code, message, headers)
            return
        await self._call_app(scope, receive, send)

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
                await _shutting_down(send)
            raise
        except ClientDisconnect:
            return  # the client left (or missed its deadline) before its body arrived
        except Exception:
            if not complete:
                raise
            logger.exception(
                "Error in the sandbox while answering %s %s", scope["method"], scope["path"]
            )

    async def _drop(self, scope: Scope, receive: Receive, send: Send, process_first: bool) -> None:
        if process_first:
            # The change happens, the answer is lost: what makes retrying a POST risky.
            async def discard(message: Message) -> None:
                return None

            try:
                await self.app(scope, receive, discard)
            except Exception:  # the answer is dropped anyway
                logger.exception("Error in the sandbox while processing a dropped request")
        transport: Any = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None or not hasattr(transport, "close"):
            raise _dropped_error()
        transport.close()
        # let the server notice the closed connection before this request's task ends
        for _ in range(3):
            await asyncio.sleep(0)
