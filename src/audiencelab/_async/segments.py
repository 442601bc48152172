"""``client.segments``: read and export Studio segments (``GET /segments/{id}``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from audiencelab import _operations as ops
from audiencelab._arrow import DEFAULT_CONCURRENCY, AsyncArrowPages, AsyncRecordBatches
from audiencelab._async.paging import AsyncPager, page_items
from audiencelab._export import ExportOptions, ExportSummary, export_async, export_job
from audiencelab._models import Record, SegmentPage

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from audiencelab._async.client import AsyncAudienceLab

__all__ = ["AsyncSegments"]


class AsyncSegments:
    """``client.segments``: read and export Studio segments (``GET /segments/{id}``)."""

    def __init__(self, client: AsyncAudienceLab) -> None:
        self._client = client

    async def get(self, segment_id: str, *, page: int = 1, page_size: int = 100) -> SegmentPage:
        """One page of a Studio segment's records, with ``segment_name`` and ``has_more``."""
        return await self._client.send(ops.segment_records(segment_id, page, page_size))

    def records(self, segment_id: str, *, page_size: int = 1000) -> AsyncPager[SegmentPage, Record]:
        """Every record of a Studio segment, across all pages."""
        ops.paging_params(1, page_size)
        return AsyncPager(
            self._client, lambda n: ops.segment_records(segment_id, n, page_size), page_items
        )

    async def export(
        self, segment_id: str, path: str | os.PathLike[str], **options: Unpack[ExportOptions]
    ) -> ExportSummary:
        """Write every record of a Studio segment to a file, as ``audiences.export`` does (the
        options are those of :class:`ExportOptions`)."""
        job = export_job(ops.segment_pages(segment_id), path, options)
        return await export_async(self._client, job)

    def record_batches(
        self, segment_id: str, *, page_size: int = 1000, concurrency: int = DEFAULT_CONCURRENCY
    ) -> AsyncRecordBatches:
        """Every record of a Studio segment as Arrow record batches, one per page, as
        ``audiences.record_batches`` gives them (extra ``arrow``)."""
        return AsyncArrowPages(
            self._client,
            ops.segment_pages(segment_id),
            page_size=page_size,
            concurrency=concurrency,
        ).batches()
