# Generated from audiencelab/_async/segments.py by scripts/unasync.py: do not edit.
# Edit the async source, then run `python scripts/unasync.py`.
"""``client.segments``: read and export Studio segments (``GET /segments/{id}``)."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from functools import cached_property
from typing import TYPE_CHECKING

from audiencelab import _operations as ops
from audiencelab._arrow import DEFAULT_CONCURRENCY, RecordBatches
from audiencelab._export import ExportOptions, ExportSummary, export_job
from audiencelab._http import TimeoutTypes
from audiencelab._models import Record, SegmentPage
from audiencelab._options import Headers, Query, RequestOptions
from audiencelab._otel import traced
from audiencelab._sync.arrow import ArrowPages
from audiencelab._sync.export import run_export
from audiencelab._sync.paging import Pager, page_items
from audiencelab._sync.protocol import with_request_options
from audiencelab._sync.raw import raw_response
from audiencelab._sync.streaming import StreamedResponse

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from audiencelab._sync.client import AudienceLab

__all__ = ["Segments", "SegmentsWithRawResponse", "SegmentsWithStreamingResponse"]


class Segments:
    """``client.segments``: read and export Studio segments (``GET /segments/{id}``)."""

    def __init__(self, client: AudienceLab) -> None:
        self._client = client

    @cached_property
    def with_raw_response(self) -> SegmentsWithRawResponse:
        """``get``, answering an :class:`APIResponse`."""
        return SegmentsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> SegmentsWithStreamingResponse:
        """A segment's records page, unread: ``with ....get(id, page=2) as response``."""
        return SegmentsWithStreamingResponse(self._client)

    @traced("segments.get")
    def get(
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
        return self._client.send(ops.segment_records(segment_id, page, page_size), options=options)

    def records(
        self,
        segment_id: str,
        *,
        page_size: int = 1000,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> Pager[SegmentPage, Record]:
        """Every record of a Studio segment, across all pages."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        ops.paging_params(1, page_size)
        return Pager(
            with_request_options(self._client, options),
            lambda n: ops.segment_records(segment_id, n, page_size),
            page_items,
        )

    @traced("segments.export")
    def export(
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
        return run_export(with_request_options(self._client, per_call), job)

    def record_batches(
        self,
        segment_id: str,
        *,
        page_size: int = 1000,
        concurrency: int = DEFAULT_CONCURRENCY,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> RecordBatches:
        """Every record of a Studio segment as Arrow record batches, one per page, as
        ``audiences.record_batches`` gives them (extra ``arrow``)."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        return ArrowPages(
            with_request_options(self._client, options),
            ops.segment_pages(segment_id),
            page_size=page_size,
            concurrency=concurrency,
        ).batches()


class SegmentsWithRawResponse:
    """``client.segments.with_raw_response``: ``get`` answers an :class:`APIResponse`."""

    def __init__(self, segments: Segments) -> None:
        self.get = raw_response(segments.get)


class SegmentsWithStreamingResponse:
    """``client.segments.with_streaming_response``: a records page, unread."""

    def __init__(self, client: AudienceLab) -> None:
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
    ) -> AbstractContextManager[StreamedResponse[SegmentPage]]:
        """``with ....get(id, page=2) as response: for chunk in
        response.iter_bytes()`` (or ``response.parse()`` for the :class:`SegmentPage`)."""
        return self._client.stream(
            ops.segment_records(segment_id, page, page_size),
            options=RequestOptions.of(extra_headers, extra_query, timeout),
            name="segments.get",
        )
