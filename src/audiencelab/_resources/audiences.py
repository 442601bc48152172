"""``client.audiences``: create audiences from filters, read their people, export them."""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from typing import Any, overload

from audiencelab import _operations as ops
from audiencelab._exceptions import AudienceNotReadyError, WaitTimeoutError
from audiencelab._export import ExportSummary
from audiencelab._exporting import DEFAULT_CONCURRENCY, ExportProgress, export_async, export_sync
from audiencelab._models import (
    AttributeValues,
    Audience,
    AudienceCreated,
    AudienceDeleted,
    AudiencePreview,
    AudienceReady,
    CustomAudienceCreated,
    Page,
    Record,
    RecordsPage,
)
from audiencelab._paging import AsyncPager, Poller, SyncPager, poll_async, poll_sync
from audiencelab._resources._base import AsyncResource, SyncResource, export_job, page_items

DEFAULT_WAIT = 600.0


def _ready_check(
    audience_id: str, poller: Poller
) -> tuple[Callable[[RecordsPage], AudienceReady], Callable[[], Exception]]:
    def ready(page: RecordsPage) -> AudienceReady:
        return AudienceReady(
            audience_id=audience_id, total_records=page.total_records, waited_seconds=poller.elapsed
        )

    def timed_out() -> Exception:
        return WaitTimeoutError(
            f"audience {audience_id} still had no data after {poller.elapsed:.0f} s: it may still "
            "be building (large audiences take longer), or it may have matched nobody."
        )

    return ready, timed_out


class Audiences(SyncResource):
    def create(
        self,
        name: str,
        filters: ops.FiltersInput,
        segment: ops.SegmentInput = None,
        days_back: int | None = None,
    ) -> AudienceCreated:
        """Create an audience (``POST /audiences``); its records are built asynchronously.

        ``filters`` is an :class:`AudienceFilters` or a dict with the official keys. Unknown keys,
        bad ages, unprefixed segment IDs and the like raise :class:`FilterValidationError` before
        anything is sent. Never silently repeated: see the retry table in the README.
        """
        return self._client._execute(ops.create_audience(name, filters, segment, days_back))

    @overload
    def list(self, *, page_size: int = 100) -> SyncPager[Page[Audience], Audience]: ...
    @overload
    def list(self, *, page: int, page_size: int = 100) -> Page[Audience]: ...
    def list(
        self, *, page: int | None = None, page_size: int = 100
    ) -> SyncPager[Page[Audience], Audience] | Page[Audience]:
        """Every audience of this key (auto-paging), or one page when ``page`` is given."""
        if page is not None:
            return self._client._execute(ops.list_audiences(page, page_size))
        ops.paging_params(1, page_size)  # refuse a bad page_size now, not at the first item
        return SyncPager(self._client, lambda n: ops.list_audiences(n, page_size), page_items)

    def get(self, audience_id: str, *, page: int = 1, page_size: int = 100) -> RecordsPage:
        """One page of an audience's records (``GET /audiences/{id}``).

        Raises :class:`AudienceNotReadyError` while the audience is being built.
        """
        return self._client._execute(ops.audience_records(audience_id, page, page_size))

    def records(self, audience_id: str, *, page_size: int = 1000) -> SyncPager[RecordsPage, Record]:
        """Every record of an audience, as dicts of UPPER_SNAKE columns, across all pages."""
        ops.paging_params(1, page_size)
        return SyncPager(
            self._client, lambda n: ops.audience_records(audience_id, n, page_size), page_items
        )

    def delete(self, audience_id: str) -> AudienceDeleted:
        """Delete an audience (``DELETE /audiences/{id}``)."""
        return self._client._execute(ops.delete_audience(audience_id))

    def create_custom(self, topic: str, description: str) -> CustomAudienceCreated:
        """Ask for a custom audience on a topic (``POST /audiences/custom``): answers processing."""
        return self._client._execute(ops.create_custom_audience(topic, description))

    def preview(
        self,
        filters: ops.FiltersInput,
        segment: ops.SegmentInput = None,
        days_back: int = 7,
        limit: int | None = None,
        *,
        score: bool | None = None,
        include_dnc: bool | None = None,
    ) -> AudiencePreview:
        """Count and sample an audience before creating it (``POST /audiences/preview``).

        Checked like :meth:`create`; ``days_back`` is required by the API (1-10), ``limit`` 0-500.
        """
        op = ops.preview_audience(filters, segment, days_back, limit, score, include_dnc)
        return self._client._execute(op)

    def attributes(self, name: str) -> AttributeValues:
        """Allowed values of a filter: segments, industries, departments, seniority, sic, gender."""
        return self._client._execute(ops.audience_attributes(name))

    def wait_until_ready(
        self, audience_id: str, *, timeout: float = DEFAULT_WAIT, poll_interval: float = 1.0
    ) -> AudienceReady:
        """Wait while the audience is being built (the API answers ``{"status": "no data"}``).

        Raises :class:`WaitTimeoutError` after ``timeout`` seconds.
        """
        poller = Poller(timeout, initial=poll_interval)
        ready, timed_out = _ready_check(audience_id, poller)
        op = ops.audience_records(audience_id, 1, 1)

        def check() -> AudienceReady | None:
            try:
                return ready(self._client._execute(op))
            except AudienceNotReadyError:
                return None

        return poll_sync(check, poller, timed_out)

    def export(
        self,
        audience_id: str,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        page_size: int = 1000,
        concurrency: int = DEFAULT_CONCURRENCY,
        resume: bool = False,
        overwrite: bool = False,
        neutralize_formulas: bool = True,
        max_retries: int | None = None,
        wait_timeout: float = DEFAULT_WAIT,
        on_progress: Callable[[ExportProgress], None] | None = None,
    ) -> ExportSummary:
        """Write every record of an audience to CSV, JSON Lines or Parquet (by the file suffix).

        Pages are fetched ``concurrency`` at a time and written in order; memory stays flat. An
        interrupted export continues with ``resume=True``. Waits up to ``wait_timeout`` seconds
        for an audience that is still being built. CSV cells that could run as spreadsheet
        formulas are prefixed with ``'`` unless ``neutralize_formulas=False``. Each page read is
        retried up to ``max_retries`` times (default 8: an export is a long batch job).
        """
        job = export_job(
            ops.audience_pages(audience_id),
            path=path,
            format=format,
            page_size=page_size,
            concurrency=concurrency,
            resume=resume,
            overwrite=overwrite,
            neutralize_formulas=neutralize_formulas,
            max_retries=max_retries,
            on_progress=on_progress,
            wait_timeout=wait_timeout,
        )
        if wait_timeout > 0:  # after opening the file: a bad path fails now, not after the wait
            with job.closing_on_error():
                self.wait_until_ready(audience_id, timeout=wait_timeout)
        return export_sync(self._client, job)


class AsyncAudiences(AsyncResource):
    async def create(
        self,
        name: str,
        filters: ops.FiltersInput,
        segment: ops.SegmentInput = None,
        days_back: int | None = None,
    ) -> AudienceCreated:
        """Create an audience (``POST /audiences``). See :meth:`Audiences.create`."""
        return await self._client._execute(ops.create_audience(name, filters, segment, days_back))

    @overload
    def list(self, *, page_size: int = 100) -> AsyncPager[Page[Audience], Audience]: ...
    @overload
    def list(self, *, page: int, page_size: int = 100) -> Coroutine[Any, Any, Page[Audience]]: ...
    def list(
        self, *, page: int | None = None, page_size: int = 100
    ) -> AsyncPager[Page[Audience], Audience] | Coroutine[Any, Any, Page[Audience]]:
        """Every audience (``async for a in client.audiences.list()``), or one page (awaited)."""
        if page is not None:
            return self._client._execute(ops.list_audiences(page, page_size))
        ops.paging_params(1, page_size)
        return AsyncPager(self._client, lambda n: ops.list_audiences(n, page_size), page_items)

    async def get(self, audience_id: str, *, page: int = 1, page_size: int = 100) -> RecordsPage:
        """One page of an audience's records. See :meth:`Audiences.get`."""
        return await self._client._execute(ops.audience_records(audience_id, page, page_size))

    def records(
        self, audience_id: str, *, page_size: int = 1000
    ) -> AsyncPager[RecordsPage, Record]:
        """Every record of an audience: ``async for row in client.audiences.records(id)``."""
        ops.paging_params(1, page_size)
        return AsyncPager(
            self._client, lambda n: ops.audience_records(audience_id, n, page_size), page_items
        )

    async def delete(self, audience_id: str) -> AudienceDeleted:
        return await self._client._execute(ops.delete_audience(audience_id))

    async def create_custom(self, topic: str, description: str) -> CustomAudienceCreated:
        return await self._client._execute(ops.create_custom_audience(topic, description))

    async def preview(
        self,
        filters: ops.FiltersInput,
        segment: ops.SegmentInput = None,
        days_back: int = 7,
        limit: int | None = None,
        *,
        score: bool | None = None,
        include_dnc: bool | None = None,
    ) -> AudiencePreview:
        op = ops.preview_audience(filters, segment, days_back, limit, score, include_dnc)
        return await self._client._execute(op)

    async def attributes(self, name: str) -> AttributeValues:
        return await self._client._execute(ops.audience_attributes(name))

    async def wait_until_ready(
        self, audience_id: str, *, timeout: float = DEFAULT_WAIT, poll_interval: float = 1.0
    ) -> AudienceReady:
        """See :meth:`Audiences.wait_until_ready`."""
        poller = Poller(timeout, initial=poll_interval)
        ready, timed_out = _ready_check(audience_id, poller)
        op = ops.audience_records(audience_id, 1, 1)

        async def check() -> AudienceReady | None:
            try:
                return ready(await self._client._execute(op))
            except AudienceNotReadyError:
                return None

        return await poll_async(check, poller, timed_out)

    async def export(
        self,
        audience_id: str,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        page_size: int = 1000,
        concurrency: int = DEFAULT_CONCURRENCY,
        resume: bool = False,
        overwrite: bool = False,
        neutralize_formulas: bool = True,
        max_retries: int | None = None,
        wait_timeout: float = DEFAULT_WAIT,
        on_progress: Callable[[ExportProgress], None] | None = None,
    ) -> ExportSummary:
        """See :meth:`Audiences.export`."""
        job = export_job(
            ops.audience_pages(audience_id),
            path=path,
            format=format,
            page_size=page_size,
            concurrency=concurrency,
            resume=resume,
            overwrite=overwrite,
            neutralize_formulas=neutralize_formulas,
            max_retries=max_retries,
            on_progress=on_progress,
            wait_timeout=wait_timeout,
        )
        if wait_timeout > 0:
            with job.closing_on_error():
                await self.wait_until_ready(audience_id, timeout=wait_timeout)
        return await export_async(self._client, job)
