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
import httpx2

from audiencelab._base_client import BaseClient
from audiencelab._config import DEFAULT_MAX_RETRIES, mask_api_key
from audiencelab._download import BodySink
from audiencelab._http import TimeoutTypes, to_response, unsendable, without_request
from audiencelab._retry import RetryPolicy
from audiencelab._sansio import Call, Done, Fail, Operation, Sleep, Step
from audiencelab._value_checks import ValueChecks

if TYPE_CHECKING:
    from audiencelab._async.audiences import AsyncAudiences
    from audiencelab._async.enrichment import AsyncEnrichment
    from audiencelab._async.pixels import AsyncPixels
    from audiencelab._async.segments import AsyncSegments
    from audiencelab._async.vocabularies import AsyncVocabularyStore

T = TypeVar("T")

__all__ = ["AsyncAudienceLab"]


class AsyncAudienceLab(BaseClient[httpx2.AsyncClient]):
    """Asynchronous client for the AudienceLab API (asyncio or trio, through anyio).

    >>> async with AsyncAudienceLab() as client:  # reads AUDIENCELAB_API_KEY
    ...     created = await client.audiences.create(name="NYC", filters={"city": ["New York"]})

    Options: ``api_key`` (default ``$AUDIENCELAB_API_KEY``), ``base_url`` (default
    ``$AUDIENCELAB_BASE_URL`` or https://api.audiencelab.io), ``timeout`` (seconds or an
    ``httpx2.Timeout``), ``max_retries`` (default 2), ``retry_policy`` (a :class:`RetryPolicy`:
    backoff start, cap and jitter), ``value_checks`` (``"default"``, ``"strict"`` or ``"off"``:
    how the values of filters are checked before a create or preview), ``http_client`` (your own
    ``httpx2.AsyncClient``, e.g. for proxies; it keeps its own timeouts unless you pass
    ``timeout``, and is not closed for you).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx2.URL | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        value_checks: ValueChecks = "default",
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        key = mask_api_key(api_key)
        del api_key  # no frame below holds the key in clear (a traceback shows their locals)
        self._setup(
            api_key=key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            value_checks=value_checks,
            http_client=http_client,
            new_http=httpx2.AsyncClient,
            asynchronous=True,
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

    async def _attempt(self, call: Call[T], body_to: BodySink | None, started: float) -> Step[T]:
        request = call.request()
        # Redirects are never followed by httpx2, whatever client the caller brought: the core
        # decides, so that the key cannot follow one to another origin.
        async with self._http.stream(
            request.method,
            request.url,
            headers=request.send_headers(),
            content=request.content,
            timeout=self._request_timeout,
            follow_redirects=False,
        ) as raw:
            try:
                if body_to is not None and raw.is_success:
                    async for chunk in raw.aiter_bytes():
                        await anyio.to_thread.run_sync(body_to.write, chunk)
                    return call.on_response(to_response(raw, b""), time.perf_counter() - started)
                await raw.aread()
            except self._library.decoding_error as exc:
                # An answer came, but its body cannot be decoded (a gzip body that is not gzip):
                # the status is known, the body is not.
                return call.on_undecodable(
                    to_response(raw, b""), str(exc), time.perf_counter() - started
                )
        return call.on_response(to_response(raw), time.perf_counter() - started)

    async def send(
        self,
        op: Operation[T],
        /,
        *,
        on_retry: Callable[[int | None], None] | None = None,
        body_to: Callable[[], BodySink] | None = None,
        max_retries: int | None = None,
    ) -> T:
        """Send one operation (built by :mod:`audiencelab.operations`) and return its parsed value.

        Retries, redirects and errors are those of every method: ``client.audiences.create(...)``
        is ``client.send(operations.create_audience(...))`` after the live value checks.
        ``max_retries`` overrides the client's for this operation; ``on_retry`` is told the status
        of each retry (None for a transport error); ``body_to`` streams a successful body into a
        fresh sink per attempt (downloads, export pages) instead of keeping it in memory.
        """
        call = self._call(op, on_retry, max_retries)
        while True:
            started = time.perf_counter()
            cause: Exception | None = None
            writer = body_to() if body_to is not None else None
            try:
                step = await self._attempt(call, writer, started)
            except self._library.transport_error as exc:
                # Kept as the cause, without its request (whose headers hold the key) and
                # without its traceback (whose frames hold the headers sent).
                cause = without_request(exc, self._library)
                step = call.on_transport_error(
                    self._library.classify(exc), time.perf_counter() - started
                )
            except (self._library.invalid_url, UnicodeEncodeError) as exc:
                # Refused by the library before anything was sent; not chained (a
                # UnicodeEncodeError's ``object`` is the whole header value).
                step = call.on_transport_error(unsendable(exc), time.perf_counter() - started)
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
