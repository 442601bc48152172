"""The two clients. Thin shells: they move bytes and sleep; the sans-I/O core decides the rest."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import anyio
import httpx

from audiencelab._config import DEFAULT_MAX_RETRIES, ClientConfig, TimeoutTypes
from audiencelab._download import BodySink
from audiencelab._resources.audiences import AsyncAudiences, Audiences
from audiencelab._resources.enrichment import AsyncEnrichment, Enrichment
from audiencelab._resources.pixels import AsyncPixels, Pixels
from audiencelab._resources.segments import AsyncSegments, Segments
from audiencelab._retry import RetryPolicy
from audiencelab._sansio import Call, Done, Fail, Operation, Response, Sleep, Step

T = TypeVar("T")

__all__ = ["AsyncAudienceLab", "AudienceLab"]


class _ClientBase:
    """What both clients share: settings, retry policy, and a repr without the key."""

    _config: ClientConfig
    _retry_policy: RetryPolicy

    def _setup(
        self,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: TimeoutTypes,
        max_retries: int,
        http_client: httpx.Client | httpx.AsyncClient | None,
    ) -> httpx.Timeout | Any:
        self._config = ClientConfig.resolve(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._retry_policy = RetryPolicy(max_retries=self._config.max_retries)
        self._rand = random.random
        # A client the caller brought keeps its own timeouts unless they asked for ours.
        if http_client is not None and timeout is None:
            return httpx.USE_CLIENT_DEFAULT
        return self._config.timeout

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        return self._config.max_retries

    def _call(
        self,
        op: Operation[T],
        on_retry: Callable[[int | None], None] | None,
        max_retries: int | None,
    ) -> Call[T]:
        policy = self._retry_policy
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        return Call(self._config, op, policy=policy, rand=self._rand, on_retry=on_retry)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"


def _response(r: httpx.Response, content: bytes | None = None) -> Response:
    return Response(r.status_code, r.headers, r.content if content is None else content)


class AudienceLab(_ClientBase):
    """Synchronous client for the AudienceLab API.

    >>> client = AudienceLab()  # reads AUDIENCELAB_API_KEY (and AUDIENCELAB_BASE_URL)
    >>> client.audiences.create(name="NYC engineers", filters={"city": ["New York"]}).audience_id
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._timeout = self._setup(api_key, base_url, timeout, max_retries, http_client)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=self._config.timeout)
        self.audiences = Audiences(self)
        self.enrichment = Enrichment(self)
        self.pixels = Pixels(self)
        self.segments = Segments(self)

    def _attempt(self, call: Call[T], body_to: BodySink | None, started: float) -> Step[T]:
        request = call.request()
        with self._http.stream(
            request.method,
            request.url,
            headers=request.headers,
            content=request.content,
            timeout=self._timeout,
        ) as raw:
            if body_to is not None and raw.is_success:
                for chunk in raw.iter_bytes():
                    body_to.write(chunk)
                return call.on_response(_response(raw, b""), time.perf_counter() - started)
            raw.read()
        return call.on_response(_response(raw), time.perf_counter() - started)

    def _execute(
        self,
        op: Operation[T],
        *,
        on_retry: Callable[[int | None], None] | None = None,
        body_to: Callable[[], BodySink] | None = None,
        max_retries: int | None = None,
    ) -> T:
        """Run ``op`` to the end: retries, sleeps, then the parsed value or the error.

        ``body_to`` streams a successful body into a fresh sink per attempt (downloads, exports).
        """
        call = self._call(op, on_retry, max_retries)
        while True:
            started = time.perf_counter()
            cause: Exception | None = None
            writer = body_to() if body_to is not None else None
            try:
                step = self._attempt(call, writer, started)
            except httpx.TransportError as exc:
                cause = exc
                step = call.on_transport_error(exc, time.perf_counter() - started)
            except BaseException:
                if writer is not None:
                    writer.discard()
                raise
            if writer is not None:
                writer.finish(success=isinstance(step, Done))
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
            elif isinstance(step, Fail):
                raise step.error from cause
            else:
                assert isinstance(step, Done)
                return step.value

    def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> AudienceLab:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncAudienceLab(_ClientBase):
    """Asynchronous client for the AudienceLab API (asyncio or trio, through anyio).

    >>> async with AsyncAudienceLab() as client:
    ...     created = await client.audiences.create(name="NYC", filters={"city": ["New York"]})
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._timeout = self._setup(api_key, base_url, timeout, max_retries, http_client)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self._config.timeout)
        self.audiences = AsyncAudiences(self)
        self.enrichment = AsyncEnrichment(self)
        self.pixels = AsyncPixels(self)
        self.segments = AsyncSegments(self)

    async def _attempt(self, call: Call[T], body_to: BodySink | None, started: float) -> Step[T]:
        request = call.request()
        async with self._http.stream(
            request.method,
            request.url,
            headers=request.headers,
            content=request.content,
            timeout=self._timeout,
        ) as raw:
            if body_to is not None and raw.is_success:
                async for chunk in raw.aiter_bytes():
                    await anyio.to_thread.run_sync(body_to.write, chunk)
                return call.on_response(_response(raw, b""), time.perf_counter() - started)
            await raw.aread()
        return call.on_response(_response(raw), time.perf_counter() - started)

    async def _execute(
        self,
        op: Operation[T],
        *,
        on_retry: Callable[[int | None], None] | None = None,
        body_to: Callable[[], BodySink] | None = None,
        max_retries: int | None = None,
    ) -> T:
        """Run ``op`` to the end. See :meth:`AudienceLab._execute`."""
        call = self._call(op, on_retry, max_retries)
        while True:
            started = time.perf_counter()
            cause: Exception | None = None
            writer = body_to() if body_to is not None else None
            try:
                step = await self._attempt(call, writer, started)
            except httpx.TransportError as exc:
                cause = exc
                step = call.on_transport_error(exc, time.perf_counter() - started)
            except BaseException:
                if writer is not None:
                    writer.discard()
                raise
            if writer is not None:
                writer.finish(success=isinstance(step, Done))
            if isinstance(step, Sleep):
                await anyio.sleep(step.seconds)
            elif isinstance(step, Fail):
                raise step.error from cause
            else:
                assert isinstance(step, Done)
                return step.value

    async def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncAudienceLab:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
