"""The asynchronous client: a thin I/O shell around the sans-I/O core (``audiencelab._sansio``).

It moves bytes and sleeps; building requests, reading answers and deciding retries is the core's.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import httpx2

from audiencelab import _otel as otel
from audiencelab._answers import request_id_of
from audiencelab._async.streaming import AsyncStreamedResponse
from audiencelab._base_client import BaseClient
from audiencelab._config import DEFAULT_MAX_RETRIES, mask_api_key
from audiencelab._download import BodySink
from audiencelab._http import TimeoutTypes, to_response, unsendable, without_request
from audiencelab._options import RequestOptions
from audiencelab._response import record
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
R = TypeVar("R")

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

    async def _open(self, call: Call[Any], timeout: Any) -> Any:
        """Send the call's request; the answer's head has arrived, its body is not read yet."""
        request = call.request()
        built = self._http.build_request(
            request.method,
            request.url,
            headers=request.send_headers(),
            content=request.content,
            timeout=timeout,
        )
        # Redirects are never followed by httpx2, whatever client the caller brought: the core
        # decides, so that the key cannot follow one to another origin.
        raw = await self._http.send(built, stream=True, follow_redirects=False)
        # Sent: the key leaves the request object, which the answer (and so any frame or
        # streamed response holding it) keeps.
        built.headers.pop("X-Api-Key", None)
        return raw

    async def _attempt(
        self, call: Call[T], body_to: BodySink | None, started: float, timeout: Any
    ) -> Step[T]:
        raw = await self._open(call, timeout)
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
        finally:
            await raw.aclose()
        return call.on_response(to_response(raw), time.perf_counter() - started)

    async def _stream_attempt(self, call: Call[T], started: float, timeout: Any) -> Step[Any]:
        raw = await self._open(call, timeout)
        if raw.is_success:
            call.on_stream(to_response(raw, b""), time.perf_counter() - started)
            return Done(raw)  # left open: the caller reads it
        try:
            await raw.aread()
        except self._library.decoding_error as exc:
            return call.on_undecodable(
                to_response(raw, b""), str(exc), time.perf_counter() - started
            )
        finally:
            await raw.aclose()
        return call.on_response(to_response(raw), time.perf_counter() - started)

    async def _run(
        self, call: Call[Any], attempt: Callable[[float], Awaitable[Step[R]]], name: str
    ) -> R:
        """Attempts until the core says done or failed; one operation span, one per attempt."""
        with otel.operation(name or f"{call.op.method} {call.op.route}") as trace:
            while True:
                started = time.perf_counter()
                cause: Exception | None = None
                step: Step[Any]
                answered, retries = call.answer, call.retries_done
                span = trace.attempt(
                    call.prepared.method,
                    call.prepared.url,
                    api_origin=call.prepared.api_key is not None,
                    route=call.op.route,
                    resend_count=call.retries_done + call.redirects,
                )
                try:
                    step = await attempt(started)
                except self._library.transport_error as exc:
                    # Kept as the cause, without its request (whose headers hold the key) and
                    # without its traceback (whose frames hold the headers sent).
                    cause = without_request(exc, self._library)
                    span.failed(type(exc).__name__)
                    step = call.on_transport_error(
                        self._library.classify(exc), time.perf_counter() - started
                    )
                except (self._library.invalid_url, UnicodeEncodeError) as exc:
                    # Refused by the library before anything was sent; not chained (a
                    # UnicodeEncodeError's ``object`` is the whole header value).
                    span.failed(type(exc).__name__)
                    step = call.on_transport_error(unsendable(exc), time.perf_counter() - started)
                finally:
                    if call.answer is not answered and call.answer is not None:
                        request_id = request_id_of(call.answer.headers)
                        span.answered(call.answer.status_code, request_id, call.answer.http_version)
                        trace.answered(request_id)
                    span.end()
                if isinstance(step, Sleep):
                    if call.retries_done > retries and call.last_decision is not None:
                        trace.retrying(
                            call.last_decision.reason, step.seconds, call.last_retry_status
                        )
                    await anyio.sleep(step.seconds)
                elif isinstance(step, Fail):
                    raise step.error from cause
                else:
                    assert isinstance(step, Done)
                    record(call.response_info)
                    value: R = step.value
                    return value

    async def send(
        self,
        op: Operation[T],
        /,
        *,
        options: RequestOptions | None = None,
        on_retry: Callable[[int | None], None] | None = None,
        body_to: Callable[[], BodySink] | None = None,
        max_retries: int | None = None,
        timeout: TimeoutTypes = None,
    ) -> T:
        """Send one operation (built by :mod:`audiencelab.operations`) and return its parsed value.

        Retries, redirects and errors are those of every method: ``client.audiences.create(...)``
        is ``client.send(operations.create_audience(...))`` after the live value checks.
        ``options`` are the per-call ones (:class:`RequestOptions`: ``extra_headers``,
        ``extra_query``, ``timeout``, ``max_retries``); ``max_retries`` and ``timeout`` given
        here win over them. ``on_retry`` is told the status of each retry (None for a transport
        error); ``body_to`` streams a successful body into a fresh sink per attempt (downloads,
        export pages) instead of keeping it in memory.
        """
        call = self._call(op, options, on_retry, max_retries)
        request_timeout = self._timeout_for(options, timeout)

        async def attempt(started: float) -> Step[T]:
            writer = body_to() if body_to is not None else None
            try:
                step = await self._attempt(call, writer, started, request_timeout)
            except BaseException:
                if writer is not None:
                    writer.discard()
                raise
            if writer is not None:
                writer.finish(success=isinstance(step, Done))
            return step

        return await self._run(call, attempt, "")

    @asynccontextmanager
    async def stream(
        self, op: Operation[T], /, *, options: RequestOptions | None = None, name: str = ""
    ) -> AsyncIterator[AsyncStreamedResponse[T]]:
        """Send ``op`` (retried as :meth:`send` does) and give its successful answer unread:
        ``async with client.stream(op) as response: async for chunk in response.iter_bytes()``.
        Errors are raised as by :meth:`send`, before the block runs."""
        call = self._call(op, options, None, None)
        request_timeout = self._timeout_for(options, None)

        async def attempt(started: float) -> Step[Any]:
            return await self._stream_attempt(call, started, request_timeout)

        raw: Any = await self._run(call, attempt, name)
        try:
            yield AsyncStreamedResponse(raw, call.response_info(), op.parse)
        finally:
            await raw.aclose()

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
