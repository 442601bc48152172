"""The asynchronous client: a thin I/O shell around the sans-I/O core (``audiencelab._sansio``).

It moves bytes and sleeps; building requests, reading answers and deciding retries is the core's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

import anyio
import httpx

from audiencelab._base_client import BaseClient
from audiencelab._config import DEFAULT_MAX_RETRIES
from audiencelab._download import BodySink
from audiencelab._http import (
    TimeoutTypes,
    classify_transport_error,
    to_response,
    without_request,
)
from audiencelab._retry import RetryPolicy
from audiencelab._sansio import Call, Done, Fail, Operation, Sleep, Step
from audiencelab._value_checks import ValueChecks

if TYPE_CHECKING:
    from audiencelab._async.audiences import AsyncAudiences
    from audiencelab._async.enrichment import AsyncEnrichment
    from audiencelab._async.pixels import AsyncPixels
    from audiencelab._async.segments import AsyncSegments
    from audiencelab._async.vocabularies import AsyncVocabularyStore
    from audiencelab._doctor import DoctorReport

T = TypeVar("T")

__all__ = ["AsyncAudienceLab"]


class AsyncAudienceLab(BaseClient[httpx.AsyncClient]):
    """Asynchronous client for the AudienceLab API (asyncio or trio, through anyio).

    >>> async with AsyncAudienceLab() as client:  # reads AUDIENCELAB_API_KEY
    ...     created = await client.audiences.create(name="NYC", filters={"city": ["New York"]})

    Options: ``api_key`` (default ``$AUDIENCELAB_API_KEY``), ``base_url`` (default
    ``$AUDIENCELAB_BASE_URL`` or https://api.audiencelab.io), ``timeout`` (seconds or an
    ``httpx.Timeout``), ``max_retries`` (default 2), ``retry_policy`` (a :class:`RetryPolicy`:
    backoff start, cap and jitter), ``value_checks`` (``"default"``, ``"strict"`` or ``"off"``:
    how the values of filters are checked before a create or preview), ``http_client`` (your own
    httpx client, e.g. for proxies; it keeps its own timeouts unless you pass ``timeout``, and is
    not closed for you).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        value_checks: ValueChecks = "default",
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._setup(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            value_checks=value_checks,
            http_client=http_client,
            new_http=httpx.AsyncClient,
        )

    # The resources are made on first use (as openai-python does), so that importing and
    # creating a client does not load the request builders and response models.
    @cached_property
    def audiences(self) -> AsyncAudiences:
        """Create audiences from filters, read their people, export them."""
        from audiencelab._async.audiences import AsyncAudiences

        return AsyncAudiences(self)

    @cached_property
    def enrichment(self) -> AsyncEnrichment:
        """Enrich one contact, or many in bulk jobs, and fetch the results."""
        from audiencelab._async.enrichment import AsyncEnrichment

        return AsyncEnrichment(self)

    @cached_property
    def pixels(self) -> AsyncPixels:
        """Website pixels and the visitor events they resolve."""
        from audiencelab._async.pixels import AsyncPixels

        return AsyncPixels(self)

    @cached_property
    def _vocabulary_store(self) -> AsyncVocabularyStore:
        from audiencelab._async.vocabularies import AsyncVocabularyStore

        return AsyncVocabularyStore(self)

    @cached_property
    def segments(self) -> AsyncSegments:
        """Read and export Studio segments."""
        from audiencelab._async.segments import AsyncSegments

        return AsyncSegments(self)

    async def _attempt(
        self, call: Call[T], body_to: BodySink | None, started: float, timeout: float | None
    ) -> Step[T]:
        request = call.request()
        # Redirects are never followed by httpx, whatever client the caller brought: the core
        # decides, so that the key cannot follow one to another origin.
        async with self._http.stream(
            request.method,
            request.url,
            headers=request.send_headers(),
            content=request.content,
            timeout=self._request_timeout if timeout is None else timeout,
            follow_redirects=False,
        ) as raw:
            if body_to is not None and raw.is_success:
                async for chunk in raw.aiter_bytes():
                    await anyio.to_thread.run_sync(body_to.write, chunk)
                return call.on_response(to_response(raw, b""), time.perf_counter() - started)
            await raw.aread()
        return call.on_response(to_response(raw), time.perf_counter() - started)

    async def send(
        self,
        op: Operation[T],
        /,
        *,
        on_retry: Callable[[int | None], None] | None = None,
        body_to: Callable[[], BodySink] | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> T:
        """Send one operation (built by :mod:`audiencelab.operations`) and return its parsed value.

        Retries, redirects and errors are those of every method: ``client.audiences.create(...)``
        is ``client.send(operations.create_audience(...))`` after the live value checks.
        ``max_retries`` overrides the client's for this operation; ``on_retry`` is told the status
        of each retry (None for a transport error); ``body_to`` streams a successful body into a
        fresh sink per attempt (downloads, export pages) instead of keeping it in memory;
        ``timeout`` (seconds) overrides the client's timeouts for each attempt of this operation.
        """
        call = self._call(op, on_retry, max_retries)
        while True:
            started = time.perf_counter()
            cause: Exception | None = None
            writer = body_to() if body_to is not None else None
            try:
                step = await self._attempt(call, writer, started, timeout)
            except httpx.TransportError as exc:
                # Kept as the cause, without its request (whose headers hold the key) and
                # without its traceback (whose frames hold the headers sent).
                cause = without_request(exc)
                step = call.on_transport_error(
                    classify_transport_error(exc), time.perf_counter() - started
                )
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

    async def doctor(self, *, with_preview: bool = False) -> DoctorReport:
        """Check what this key can do, and where the API differs from what this SDK assumes.

        Safe, read-only probes: list audiences (and read one page of the first), read an
        audience that does not exist (the error style), each attribute list, list pixels and
        enrichment jobs; with ``with_preview=True`` also one preview, which may cost credits.
        Nothing is created, deleted or spent otherwise. The :class:`DoctorReport` says for each
        probe what was asked, the shape of the answer and its verdict (as assumed, differs,
        unavailable), whether this SDK tolerates each difference, and ``exit_code`` (0, 1, or 3
        for a refused key). It holds no key and no record values: ``report.to_json()`` can be
        attached to a bug report.
        """
        from audiencelab._async.doctor import run_doctor

        return await run_doctor(self, self._config.api_key, with_preview=with_preview)

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
