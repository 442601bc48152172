"""``client.segments``: read and export Studio segments (``GET /segments/{id}``)."""

from __future__ import annotations

import os
from collections.abc import Callable

from audiencelab import _operations as ops
from audiencelab._export import ExportSummary
from audiencelab._exporting import DEFAULT_CONCURRENCY, ExportProgress, export_async, export_sync
from audiencelab._models import Record, SegmentPage
from audiencelab._paging import AsyncPager, SyncPager
from audiencelab._resources._base import AsyncResource, SyncResource, export_job, page_items


class Segments(SyncResource):
    def get(self, segment_id: str, *, page: int = 1, page_size: int = 100) -> SegmentPage:
        """One page of a Studio segment's records, with ``segment_name`` and ``has_more``."""
        return self._client._execute(ops.segment_records(segment_id, page, page_size))

    def records(self, segment_id: str, *, page_size: int = 1000) -> SyncPager[SegmentPage, Record]:
        """Every record of a Studio segment, across all pages."""
        ops.paging_params(1, page_size)
        return SyncPager(
            self._client, lambda n: ops.segment_records(segment_id, n, page_size), page_items
        )

    def export(
        self,
        segment_id: str,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        page_size: int = 1000,
        concurrency: int = DEFAULT_CONCURRENCY,
        resume: bool = False,
        overwrite: bool = False,
        neutralize_formulas: bool = True,
        max_retries: int | None = None,
        on_progress: Callable[[ExportProgress], None] | None = None,
    ) -> ExportSummary:
        """Write every record of a Studio segment to a file. See :meth:`Audiences.export`."""
        job = export_job(
            ops.segment_pages(segment_id),
            path=path,
            format=format,
            page_size=page_size,
            concurrency=concurrency,
            resume=resume,
            overwrite=overwrite,
            neutralize_formulas=neutralize_formulas,
            max_retries=max_retries,
            on_progress=on_progress,
        )
        return export_sync(self._client, job)


class AsyncSegments(AsyncResource):
    async def get(self, segment_id: str, *, page: int = 1, page_size: int = 100) -> SegmentPage:
        return await self._client._execute(ops.segment_records(segment_id, page, page_size))

    def records(self, segment_id: str, *, page_size: int = 1000) -> AsyncPager[SegmentPage, Record]:
        ops.paging_params(1, page_size)
        return AsyncPager(
            self._client, lambda n: ops.segment_records(segment_id, n, page_size), page_items
        )

    async def export(
        self,
        segment_id: str,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        page_size: int = 1000,
        concurrency: int = DEFAULT_CONCURRENCY,
        resume: bool = False,
        overwrite: bool = False,
        neutralize_formulas: bool = True,
        max_retries: int | None = None,
        on_progress: Callable[[ExportProgress], None] | None = None,
    ) -> ExportSummary:
        job = export_job(
            ops.segment_pages(segment_id),
            path=path,
            format=format,
            page_size=page_size,
            concurrency=concurrency,
            resume=resume,
            overwrite=overwrite,
            neutralize_formulas=neutralize_formulas,
            max_retries=max_retries,
            on_progress=on_progress,
        )
        return await export_async(self._client, job)
