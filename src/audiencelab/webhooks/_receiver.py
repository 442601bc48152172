"""A webhook receiver you can mount: an ASGI application on Starlette (extra ``webhooks``).

Each POST (on any path) is read, verified, parsed and answered at once; its new events are then
handed to the handler, the queue and ``on_delivery`` by one background task, in order, so a slow
handler never makes the sender time out. Duplicate events (the same event key within the window
of :class:`RecentKeys`) are answered 200 like the others but handed on only once.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from audiencelab._exceptions import WebhookPayloadError, WebhookSignatureError
from audiencelab._logging import log
from audiencelab._models import PixelEvent
from audiencelab.webhooks._parse import MAX_BODY_BYTES, event_key, parse_events
from audiencelab.webhooks._recent import RecentKeys
from audiencelab.webhooks._verify import Scheme, check_settings, verify

__all__ = ["BACKLOG", "Delivery", "WebhookReceiver"]

#: Deliveries accepted but not yet handed on; beyond, the receiver answers 503 with Retry-After
#: (the sender tries again later) rather than holding more in memory.
BACKLOG = 10_000


@dataclass(frozen=True)
class Delivery:
    """One accepted request: its exact bytes and headers, its new events (with their keys), and
    the keys of the events it repeated."""

    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...]
    events: tuple[PixelEvent, ...]
    keys: tuple[str, ...]
    duplicates: tuple[str, ...]
    #: the scheme that verified it, or None when the receiver has no secret
    scheme: str | None
    received_at: float


Handler = Callable[[PixelEvent], Awaitable[None] | None]
DeliveryHook = Callable[[Delivery], Awaitable[None] | None]


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers, media_type="application/json")


class WebhookReceiver:
    """An ASGI app that receives pixel webhooks.

    ``secret`` is the pixel's secret (``None`` turns verification off: only for local tests);
    ``handler`` is called with each new :class:`~audiencelab.PixelEvent` (a function or a
    coroutine function; a plain function runs in a worker thread); ``queue`` receives each new
    event (an :class:`asyncio.Queue`); ``on_delivery`` is called with each accepted
    :class:`Delivery`; ``on_rejected`` (a plain function, called before the answer) with the
    status, reason and message of each refused request. ``scheme`` is passed to :func:`~audiencelab.webhooks.verify`; ``recent``
    holds the keys seen lately (default: 100,000 keys for a day).

    Answers: 200 ``{"received": n, "duplicates": d}``; 401 for a signature that does not check
    out; 400 for a body that is not events; 413 beyond ``max_bytes``; 503 when ``BACKLOG``
    deliveries wait to be handed on.
    """

    def __init__(
        self,
        secret: str | bytes | None,
        *,
        handler: Handler | None = None,
        queue: asyncio.Queue[PixelEvent] | None = None,
        on_delivery: DeliveryHook | None = None,
        on_rejected: Callable[[int, str, str], None] | None = None,
        scheme: Scheme = "auto",
        recent: RecentKeys | None = None,
        max_bytes: int = MAX_BODY_BYTES,
        backlog: int = BACKLOG,
    ) -> None:
        check_settings(secret, scheme)
        self.secret = secret
        self.handler = handler
        self.queue = queue
        self.on_delivery = on_delivery
        self.on_rejected = on_rejected
        self.scheme: Scheme = scheme
        self.recent = recent if recent is not None else RecentKeys()
        self.max_bytes = max_bytes
        self.backlog = backlog
        self.stats = {"deliveries": 0, "events": 0, "duplicates": 0, "rejected": 0, "failed": 0}
        self._pending: asyncio.Queue[Delivery] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.app = Starlette(
            routes=[Route("/{path:path}", self._endpoint, methods=["GET", "POST"])]
        )

    def __repr__(self) -> str:  # the secret is never shown
        return f"WebhookReceiver(scheme={self.scheme!r}, verified={self.secret is not None})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def _error(self, status: int, code: str, message: str) -> Response:
        if status != 503:
            self.stats["rejected"] += 1
        if self.on_rejected is not None:
            self.on_rejected(status, code, message)
        return _answer(status, {"error": {"code": code, "message": message}})

    async def _read(self, request: Request) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    async def _endpoint(self, request: Request) -> Response:
        if request.method != "POST":
            return _answer(200, {"status": "listening", "post": "pixel events to any path"})
        body = await self._read(request)
        if body is None:
            return self._error(
                413, "too_large", f"the body is larger than {self.max_bytes:,} bytes"
            )
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw)
        scheme: str | None = None
        try:
            if self.secret is not None:
                scheme = verify(body, headers, self.secret, scheme=self.scheme)
            events = parse_events(body, dict(headers), max_bytes=self.max_bytes)
        except WebhookSignatureError as exc:
            return self._error(401, exc.reason, exc.message)
        except WebhookPayloadError as exc:
            return self._error(400, exc.reason, exc.message)
        pending = self._start()
        if pending.qsize() >= self.backlog:
            return self._error(503, "busy", "too many deliveries wait to be handed on; try again")
        new: list[PixelEvent] = []
        keys: list[str] = []
        duplicates: list[str] = []
        for event in events:
            key = event_key(event)
            if self.recent.add(key):
                new.append(event)
                keys.append(key)
            else:
                duplicates.append(key)
        self.stats["deliveries"] += 1
        self.stats["events"] += len(new)
        self.stats["duplicates"] += len(duplicates)
        delivery = Delivery(
            request.url.path, body, headers, tuple(new), tuple(keys), tuple(duplicates), scheme,
            time.time(),
        )  # fmt: skip
        pending.put_nowait(delivery)
        return _answer(200, {"received": len(new), "duplicates": len(duplicates)})

    def _start(self) -> asyncio.Queue[Delivery]:
        """The queue of deliveries to hand on, and its worker on the running loop (made again
        when the app is served by another loop: a test client's, say)."""
        loop = asyncio.get_running_loop()
        if (
            self._pending is None
            or self._worker is None
            or self._worker.done()
            or (self._worker.get_loop() is not loop)
        ):
            self._pending = asyncio.Queue()
            self._worker = loop.create_task(self._hand_on(self._pending))
        return self._pending

    async def _hand_on(self, pending: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await pending.get()
            try:
                for event in delivery.events:
                    if self.handler is not None:
                        await self._call(self.handler, event)
                    if self.queue is not None:
                        await self.queue.put(event)
                if self.on_delivery is not None:
                    await self._call(self.on_delivery, delivery)
            except Exception as exc:  # a handler's failure must not stop the receiver
                self.stats["failed"] += 1
                log(logging.ERROR, "webhook_handler_failed",
                    "webhook handler failed on a delivery to %s: %r", delivery.path, exc)  # fmt: skip
            finally:
                pending.task_done()

    @staticmethod
    async def _call(function: Callable[[Any], Awaitable[None] | None], value: Any) -> None:
        if inspect.iscoroutinefunction(function):
            await function(value)
            return
        result = await anyio.to_thread.run_sync(function, value)
        if inspect.isawaitable(result):
            await result

    async def drain(self) -> None:
        """Wait until every accepted delivery has been handed on (for tests and shutdown)."""
        if self._pending is not None:
            await self._pending.join()
