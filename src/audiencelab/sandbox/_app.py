"""Assembly: the store, the backend, the routes and the fault layer as one ASGI application."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from audiencelab.sandbox._availability import AvailabilityMiddleware
from audiencelab.sandbox._backend import Backend
from audiencelab.sandbox._config import SandboxConfig
from audiencelab.sandbox._deliveries import Deliveries, delivery_routes
from audiencelab.sandbox._faults import FaultMiddleware
from audiencelab.sandbox._requestlog import RequestLog
from audiencelab.sandbox._routes import Routes, error_handlers
from audiencelab.sandbox._store import Store
from audiencelab.sandbox._work import Workers

__all__ = ["SandboxApp", "create_app"]


class SandboxApp:
    """The sandbox as one ASGI application.

    It holds the parts and delegates each request to the outermost one: the fault layer (auth,
    latency, rate limit, injected failures), which calls the Starlette routes, which call the
    backend, which keeps its state in the store.
    """

    def __init__(self, config: SandboxConfig, clock: Callable[[], float] | None = None) -> None:
        self.config = config
        self.store = Store(config.db)
        self.backend = Backend(config, self.store, clock or time.time)
        #: the worker threads and the body budget (``_work``)
        self.workers = Workers(body_bytes=config.body_budget_bytes)
        #: pixel webhooks: deliveries, their log and the routes under /_sandbox/ (``_deliveries``)
        self.deliveries = Deliveries(config, self.store, clock or time.time)
        self.starlette = Starlette(
            routes=Routes(self.backend, self.workers).table() + delivery_routes(self.deliveries),
            exception_handlers=error_handlers(config.error_style),
        )
        self.starlette.router.redirect_slashes = False
        # outermost first: the request log, faults and auth, the endpoints the config takes away
        available = AvailabilityMiddleware(self.starlette, config)
        self.faults = FaultMiddleware(available, config, clock)
        self.requests = RequestLog(self.faults, config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.requests(scope, receive, send)

    @property
    def stats(self) -> dict[str, int]:
        """Counters of the fault layer: requests, dropped, failed, limited."""
        return self.faults.stats

    def close(self) -> None:
        """Stop the webhook deliveries and close the database connection."""
        self.deliveries.close()
        self.store.close()


def create_app(
    config: SandboxConfig | None = None, *, clock: Callable[[], float] | None = None
) -> SandboxApp:
    """The sandbox as an ASGI app (use it with uvicorn, or in-process with ``httpx2.ASGITransport``).

    ``clock`` replaces ``time.time`` for the audience and job lifecycles and the rate limiter's
    buckets (tests use it to move time forward without sleeping).
    """
    return SandboxApp(config or SandboxConfig(), clock)
