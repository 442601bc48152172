"""A recording httpx2 transport for exact-bytes unit tests (end-to-end tests use the sandbox)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx2

from audiencelab import AsyncAudienceLab, AudienceLab, RetryPolicy

API_KEY = "sk_test_unit_9f8e7d6c5b4a"
#: No backoff sleeps in unit tests (Retry-After is capped at zero too).
NO_WAIT = RetryPolicy(initial_delay=0, max_delay=0, max_retry_after=0)
Reply = httpx2.Response | Exception | Callable[[httpx2.Request], httpx2.Response]


def reply(
    status: int = 200, body: Any = None, headers: dict[str, str] | None = None
) -> httpx2.Response:
    if body is None:
        return httpx2.Response(status, headers=headers)
    if isinstance(body, (bytes, str)):
        return httpx2.Response(status, content=body, headers=headers)
    return httpx2.Response(status, json=body, headers=headers)


class Recorder:
    """Answers requests from a script of replies (the last one repeats) and records them."""

    def __init__(self, replies: Iterable[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        # A copy: the client takes the key out of the request object once it is sent.
        self.requests.append(
            httpx2.Request(
                request.method,
                request.url,
                headers=request.headers.copy(),
                content=request.content,
                extensions=request.extensions,
            )
        )
        item = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(item, Exception):
            raise item
        if isinstance(item, httpx2.Response):
            return item
        return item(request)

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    def sync_client(self, **kwargs: Any) -> AudienceLab:
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("retry_policy", NO_WAIT)
        return AudienceLab(
            http_client=httpx2.Client(transport=httpx2.MockTransport(self)), **kwargs
        )

    def async_client(self, **kwargs: Any) -> AsyncAudienceLab:
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("retry_policy", NO_WAIT)
        return AsyncAudienceLab(
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(self)), **kwargs
        )
