"""``client.enrichment``: enrich one contact, or many in bulk jobs, and fetch the results."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, overload

from audiencelab import _operations as ops
from audiencelab._async.paging import AsyncPager, page_items, poll
from audiencelab._async.protocol import with_request_options
from audiencelab._async.raw import raw_response
from audiencelab._async.streaming import AsyncStreamedResponse
from audiencelab._download import Download, DownloadSummary, download_op
from audiencelab._http import TimeoutTypes
from audiencelab._logging import log
from audiencelab._models import EnrichmentJob, EnrichmentJobCreated, EnrichResult, Page
from audiencelab._options import Headers, Query, RequestOptions
from audiencelab._otel import traced
from audiencelab._polling import Poller

if TYPE_CHECKING:
    from audiencelab._async.client import AsyncAudienceLab

__all__ = [
    "AsyncEnrichment",
    "AsyncEnrichmentWithRawResponse",
    "AsyncEnrichmentWithStreamingResponse",
]

JobRef = str | EnrichmentJob | EnrichmentJobCreated
Operator = Literal["AND", "OR"]
DEFAULT_JOB_WAIT = 1800.0
DEFAULT_RECORDS_PER_JOB = 10_000


class AsyncEnrichment:
    """``client.enrichment``: enrich one contact, or many in bulk jobs, and fetch the results."""

    def __init__(self, client: AsyncAudienceLab) -> None:
        self._client = client

    @cached_property
    def with_raw_response(self) -> AsyncEnrichmentWithRawResponse:
        """The methods that make one request, answering an :class:`APIResponse`."""
        return AsyncEnrichmentWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AsyncEnrichmentWithStreamingResponse:
        """A job's result file, unread: ``async with ....download(job) as response``."""
        return AsyncEnrichmentWithStreamingResponse(self, self._client)

    @traced("enrichment.enrich")
    async def enrich(
        self,
        filter: Mapping[str, str],
        fields: Sequence[str] | None = None,
        is_or_match: bool = False,
        request_id: str | None = None,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> EnrichResult:
        """Enrich one contact (``POST /enrich``) from match keys such as ``email``."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        return await self._client.send(
            ops.enrich_contact(filter, fields, is_or_match, request_id), options=options
        )

    @traced("enrichment.create_job")
    async def create_job(
        self,
        name: str,
        records: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        operator: Operator = "OR",
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> EnrichmentJobCreated:
        """Start a bulk enrichment job (``POST /enrichments``; answered 202, status IN_QUEUE).

        ``records`` have lowercase keys (``email``, ``first_name``, ``phone``...); ``columns``
        default to the UPPER_SNAKE names of the keys present. Every record is checked before
        anything is sent; an input too big for one request is refused (see :meth:`create_jobs`).
        """
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        body = ops.job_body(name, records, columns, operator)
        return await self._client.send(ops.create_enrichment_job(body), options=options)

    @traced("enrichment.create_jobs")
    async def create_jobs(
        self,
        name: str,
        records: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        operator: Operator = "OR",
        *,
        records_per_job: int = DEFAULT_RECORDS_PER_JOB,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> list[EnrichmentJobCreated]:
        """Enrich any number of records as several jobs of at most ``records_per_job`` each.

        Jobs are named ``"<name> (part i of n)"``. Everything is checked before the first job
        is sent. If a job fails after others were created, the IDs of those are logged (event
        ``partial_jobs``) before the error is raised.
        """
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        created: list[EnrichmentJobCreated] = []
        for body in ops.job_bodies(name, records, columns, operator, records_per_job):
            try:
                created.append(
                    await self._client.send(ops.create_enrichment_job(body), options=options)
                )
            except Exception:
                if created:
                    log(
                        logging.WARNING,
                        "partial_jobs",
                        "jobs created before the failure: %s",
                        [c.job_id for c in created],
                    )
                raise
        return created

    @overload
    def jobs(
        self,
        *,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncPager[Page[EnrichmentJob], EnrichmentJob]: ...
    @overload
    def jobs(
        self,
        *,
        page: int,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> Coroutine[Any, Any, Page[EnrichmentJob]]: ...
    def jobs(
        self,
        *,
        page: int | None = None,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncPager[Page[EnrichmentJob], EnrichmentJob] | Coroutine[Any, Any, Page[EnrichmentJob]]:
        """Every enrichment job (auto-paging), or one page when ``page`` is given."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        if page is not None:
            return self._client.send(ops.list_enrichment_jobs(page, page_size), options=options)
        ops.paging_params(1, page_size)
        return AsyncPager(
            with_request_options(self._client, options),
            lambda n: ops.list_enrichment_jobs(n, page_size),
            page_items,
        )

    @traced("enrichment.get_job")
    async def get_job(
        self,
        job: JobRef,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> EnrichmentJob:
        """The current state of one job (found through ``GET /enrichments``)."""
        job_id = ops.job_id_of(job)
        pages = self.jobs(extra_headers=extra_headers, extra_query=extra_query, timeout=timeout)
        async for item in pages:
            if item.id == job_id:
                return item
        raise ops.job_not_found(job_id)

    @traced("enrichment.wait")
    async def wait(
        self,
        job: JobRef,
        *,
        timeout: float = DEFAULT_JOB_WAIT,
        poll_interval: float = 2.0,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
    ) -> EnrichmentJob:
        """Poll until the job has finished (with backoff) and return it: ``COMPLETED``, or
        ``NO_DATA`` when none of its records matched anyone. A ``FAILED`` job raises
        :class:`EnrichmentJobFailedError`; ``timeout`` seconds raise :class:`WaitTimeoutError`
        (the wait's; each request's is the client's)."""
        job_id = ops.job_id_of(job)
        RequestOptions.of(extra_headers, extra_query)  # checked now, not at the first poll
        poller = Poller(timeout, initial=poll_interval, maximum=30.0)

        async def check() -> EnrichmentJob | None:
            current = await self.get_job(
                job_id, extra_headers=extra_headers, extra_query=extra_query
            )
            return ops.finished(current)

        return await poll(check, poller, lambda: ops.job_wait_timeout(job_id, poller.elapsed))

    @traced("enrichment.download")
    async def download(
        self,
        job: JobRef,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> DownloadSummary:
        """Stream a finished job's result CSV (``csv_url``) to ``path``. ``extra_headers`` go
        only to the API's own origin (a result file elsewhere gets none, as it gets no key);
        ``extra_query`` only to the API (a signed result URL is left as it is)."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        current = job if isinstance(job, EnrichmentJob) and job.csv_url else await self.get_job(job)
        download = Download(path, overwrite)
        await self._client.send(
            download_op(ops.downloadable(current)), options=options, body_to=download.new_writer
        )
        return download.summary()


class AsyncEnrichmentWithRawResponse:
    """``client.enrichment.with_raw_response``: each method answers an :class:`APIResponse` of
    its request; ``.parse()`` is what the plain method returns."""

    def __init__(self, enrichment: AsyncEnrichment) -> None:
        self.enrich = raw_response(enrichment.enrich)
        self.create_job = raw_response(enrichment.create_job)


class AsyncEnrichmentWithStreamingResponse:
    """``client.enrichment.with_streaming_response``: a job's result file, unread."""

    def __init__(self, enrichment: AsyncEnrichment, client: AsyncAudienceLab) -> None:
        self._enrichment = enrichment
        self._client = client

    @asynccontextmanager
    async def download(
        self,
        job: JobRef,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncIterator[AsyncStreamedResponse[None]]:
        """``async with ....download(job) as response: async for chunk in
        response.iter_bytes()``: the result file as it arrives (a ``.csv.gz`` stays gzip)."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        current = (
            job
            if isinstance(job, EnrichmentJob) and job.csv_url
            else await self._enrichment.get_job(job)
        )
        op = download_op(ops.downloadable(current))
        async with self._client.stream(op, options=options, name="enrichment.download") as raw:
            yield raw
