# Generated from audiencelab/_async/segments.py by scripts/unasync.py: do not edit.
# Edit the async source, then run `python scripts/unasync.py`.
"""``client.segments``: read and export Studio segments (``GET /segments/{id}``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from audiencelab import _operations as ops
from audiencelab._arrow import DEFAULT_CONCURRENCY, ArrowPages, RecordBatches
from audiencelab._export import ExportOptions, ExportSummary, export_job, export_sync
from audiencelab._models import Record, SegmentPage
from audiencelab._sync.paging import Pager, page_items

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from audiencelab._sync.client import AudienceLab

__all__ = ["Segments"]


class Segments:
    """``client.segments``: read and export Studio segments (``GET /segments/{id}``)."""

    def __init__(self, client: AudienceLab) -> None:
        self._client = client

    def get(self, segment_id: str, *, page: int = 1, page_size: int = 100) -> SegmentPage:
        """One page of a Studio segment's records, with ``segment_name`` and ``has_more``."""
        return self._client.send(ops.segment_records(segment_id, page, page_size))

    def records(self, segment_id: str, *, page_size: int = 1000) -> Pager[SegmentPage, Record]:
        """Every record of a Studio segment, across all pages."""
        ops.paging_params(1, page_size)
        return Pager(
            self._client, lambda n: ops.segment_records(segment_id, n, page_size), page_items
        )

    def export(
        self, segment_id: str, path: str | os.PathLike[str], **options: Unpack[ExportOptions]
    ) -> ExportSummary:
        """Write every record of a Studio segment to a file, as ``audiences.export`` does (the
        options are those of :class:`ExportOptions`)."""
        job = export_job(ops.segment_pages(segment_id), path, options)
        return export_sync(self._client, job)

    def record_batches(
        self, segment_id: str, *, page_size: int = 1000, concurrency: int = DEFAULT_CONCURRENCY
    ) -> RecordBatches:
        """Every record of a Studio segment as Arrow record batches, one per page, as
        ``audiences.record_batches`` gives them (extra ``arrow``)."""
        return ArrowPages(
            self._client,
            ops.segment_pages(segment_id),
            page_size=page_size,
            concurrency=concurrency,
        ).batches()
