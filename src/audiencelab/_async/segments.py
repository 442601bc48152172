"""``client.segments``: read and export Studio segments (``GET /segments/{id}``)."""

from __future__ import annotations

import os
from contextlib import AbstractAsyncContextManager
from functools import cached_property
from typing import TYPE_CHECKING

from audiencelab import _operations as ops
from audiencelab._arrow import DEFAULT_CONCURRENCY, AsyncRecordBatches
from audiencelab._async.arrow import AsyncArrowPages
from audiencelab._async.export import run_export
from audiencelab._async.paging import AsyncPager, page_items
from audiencelab._async.protocol import with_request_options
from audiencelab._async.raw import raw_response
from audiencelab._async.streaming import AsyncStreamedResponse
from audiencelab._export import ExportOptions, ExportSummary, export_job
from audiencelab._http import TimeoutTypes
from audiencelab._models import Record, SegmentPage
from audiencelab._options import Headers, Query, RequestOptions
from audiencelab._otel import traced

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from audiencelab._async.client import AsyncAudienceLab

__all__ = ["AsyncSegments", "AsyncSegmentsWithRawResponse", "AsyncSegmentsWithStreamingResponse"]


class AsyncSegments:
    """``client.segments``: read and export Studio segments (``GET /segments/{id}``)."""

    def __init__(self, client: AsyncAudienceLab) -> None:
        self._client = client

    @cached_property
    def with_raw_response(self) -> AsyncSegmentsWithRawResponse:
        """``get``, answering an :class:`APIResponse`."""
        return AsyncSegmentsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AsyncSegmentsWithStreamingResponse:
        """A segment's records page, unread: ``async with ....get(id, page=2) as response``."""
        return AsyncSegmentsWithStreamingResponse(self._client)

    @traced("segments.get")
    async def get(
        self,
        segment_id: str,
        *,
        page: int = 1,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> SegmentPage:
        """One page of a Studio segment's records, with ``segment_name`` and ``has_more``."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        return await self._client.send(
            ops.segment_records(segment_id, page, page_size), options=options
        )

    def records(
        self,
        segment_id: str,
        *,
        page_size: int = 1000,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncPager[SegmentPage, Record]:
        """Every record of a Studio segment, across all pages."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        ops.paging_params(1, page_size)
        return AsyncPager(
            with_request_options(self._client, options),
            lambda n: ops.segment_records(segment_id, n, page_size),
            page_items,
        )

    @traced("segments.export")
    async def export(
        self,
        segment_id: str,
        path: str | os.PathLike[str],
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
        **options: Unpack[ExportOptions],
    ) -> ExportSummary:
        """Write every record of a Studio segment to a file, as ``audiences.export`` does (the
        options are those of :class:`ExportOptions`)."""
        per_call = RequestOptions.of(extra_headers, extra_query, timeout)
        job = export_job(ops.segment_pages(segment_id), path, options)
        return await run_export(with_request_options(self._client, per_call), job)

    def record_batches(
        self,
        segment_id: str,
        *,
        page_size: int = 1000,
        concurrency: int = DEFAULT_CONCURRENCY,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncRecordBatches:
        """Every record of a Studio segment as Arrow record batches, one per page, as
        ``audiences.record_batches`` gives them (extra ``arrow``)."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        return AsyncArrowPages(
            with_request_options(self._client, options),
            ops.segment_pages(segment_id),
            page_size=page_size,
            concurrency=concurrency,
        ).batches()


class AsyncSegmentsWithRawResponse:
    """``client.segments.with_raw_response``: ``get`` answers an :class:`APIResponse`."""

    def __init__(self, segments: AsyncSegments) -> None:
        self.get = raw_response(segments.get)


class AsyncSegmentsWithStreamingResponse:
    """``client.segments.with_streaming_response``: a records page, unread."""

    def __init__(self, client: AsyncAudienceLab) -> None:
        self._client = client

    def get(
        self,
        segment_id: str,
        *,
        page: int = 1,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AbstractAsyncContextManager[AsyncStreamedResponse[SegmentPage]]:
        """``async with ....get(id, page=2) as response: async for chunk in
        response.iter_bytes()`` (or ``await response.parse()`` for the :class:`SegmentPage`)."""
        return self._client.stream(
            ops.segment_records(segment_id, page, page_size),
            options=RequestOptions.of(extra_headers, extra_query, timeout),
            name="segments.get",
        )
