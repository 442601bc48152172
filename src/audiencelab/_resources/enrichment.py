"""``client.enrichment``: enrich one contact, or many in bulk jobs, and fetch the results."""

from __future__ import annotations

import logging
import os
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, Literal, overload

from audiencelab import _operations as ops
from audiencelab._download import Download, DownloadSummary, download_op
from audiencelab._exceptions import (
    AudienceLabError,
    NotFoundError,
    WaitTimeoutError,
)
from audiencelab._models import (
    EnrichmentJob,
    EnrichmentJobCreated,
    EnrichResult,
    Page,
)
from audiencelab._paging import AsyncPager, Poller, SyncPager, poll_async, poll_sync
from audiencelab._resources._base import AsyncResource, SyncResource, page_items

logger = logging.getLogger("audiencelab")

JobRef = str | EnrichmentJob | EnrichmentJobCreated
Operator = Literal["AND", "OR"]
DEFAULT_JOB_WAIT = 1800.0
DEFAULT_RECORDS_PER_JOB = 10_000


def _not_found(job_id: str) -> NotFoundError:
    return NotFoundError(
        f"no enrichment job {job_id} among this key's jobs (GET /enrichments)",
        status_code=404,
        method="GET",
        url="/enrichments",
    )


def _job_timeout(job_id: str, poller: Poller) -> WaitTimeoutError:
    return WaitTimeoutError(
        f"enrichment job {job_id} was not finished after {poller.elapsed:.0f} s; "
        "call wait() again later, or check client.enrichment.jobs()"
    )


def _downloadable(job: EnrichmentJob) -> str:
    if not job.done:
        raise AudienceLabError(
            f"enrichment job {job.id} is {job.status}: wait for it first (client.enrichment.wait)"
        )
    if not job.csv_url:
        raise AudienceLabError(
            f"enrichment job {job.id} ({job.status}) has no result file (csv_url)"
        )
    return job.csv_url


def _split_bodies(
    name: str,
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None,
    operator: str,
    records_per_job: int,
) -> list[dict[str, Any]]:
    """All job bodies, every record checked (with its index in ``records``) before anything is sent."""
    whole = ops.job_body(name, records, columns, operator)
    chunks = ops.split_records(whole["records"], records_per_job)
    bodies = [
        {
            **whole,
            "name": name if len(chunks) == 1 else f"{name} (part {i} of {len(chunks)})",
            "records": chunk,
        }
        for i, chunk in enumerate(chunks, start=1)
    ]
    for body in bodies:
        ops.create_enrichment_job(body)  # the size limit, for every part, still before sending
    return bodies


class Enrichment(SyncResource):
    def enrich(
        self,
        filter: Mapping[str, str],
        fields: Sequence[str] | None = None,
        is_or_match: bool = False,
        request_id: str | None = None,
    ) -> EnrichResult:
        """Enrich one contact (``POST /enrich``) from match keys such as ``email``."""
        return self._client._execute(ops.enrich_contact(filter, fields, is_or_match, request_id))

    def create_job(
        self,
        name: str,
        records: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        operator: Operator = "OR",
    ) -> EnrichmentJobCreated:
        """Start a bulk enrichment job (``POST /enrichments``; answered 202, status IN_QUEUE).

        ``records`` have lowercase keys (``email``, ``first_name``, ``phone``...); ``columns``
        default to the UPPER_SNAKE names of the keys present. Every record is checked before
        anything is sent; an input too big for one request is refused (see :meth:`create_jobs`).
        """
        body = ops.job_body(name, records, columns, operator)
        return self._client._execute(ops.create_enrichment_job(body))

    def create_jobs(
        self,
        name: str,
        records: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        operator: Operator = "OR",
        *,
        records_per_job: int = DEFAULT_RECORDS_PER_JOB,
    ) -> list[EnrichmentJobCreated]:
        """Enrich any number of records as several jobs of at most ``records_per_job`` each.

        Jobs are named ``"<name> (part i of n)"``. Everything is checked before the first job is sent.
        """
        created: list[EnrichmentJobCreated] = []
        for body in _split_bodies(name, records, columns, operator, records_per_job):
            try:
                created.append(self._client._execute(ops.create_enrichment_job(body)))
            except Exception:
                if created:
                    logger.warning(
                        "jobs created before the failure: %s", [c.job_id for c in created]
                    )
                raise
        return created

    @overload
    def jobs(self, *, page_size: int = 100) -> SyncPager[Page[EnrichmentJob], EnrichmentJob]: ...
    @overload
    def jobs(self, *, page: int, page_size: int = 100) -> Page[EnrichmentJob]: ...
    def jobs(
        self, *, page: int | None = None, page_size: int = 100
    ) -> SyncPager[Page[EnrichmentJob], EnrichmentJob] | Page[EnrichmentJob]:
        """Every enrichment job (auto-paging), or one page when ``page`` is given."""
        if page is not None:
            return self._client._execute(ops.list_enrichment_jobs(page, page_size))
        ops.paging_params(1, page_size)
        return SyncPager(self._client, lambda n: ops.list_enrichment_jobs(n, page_size), page_items)

    def get_job(self, job: JobRef) -> EnrichmentJob:
        """The current state of one job (found through ``GET /enrichments``)."""
        job_id = ops.job_id_of(job)
        for item in self.jobs():
            if item.id == job_id:
                return item
        raise _not_found(job_id)

    def wait(
        self, job: JobRef, *, timeout: float = DEFAULT_JOB_WAIT, poll_interval: float = 2.0
    ) -> EnrichmentJob:
        """Poll until the job is COMPLETED, FAILED or NO_DATA (with backoff); returns it."""
        job_id = ops.job_id_of(job)
        poller = Poller(timeout, initial=poll_interval, maximum=30.0)

        def check() -> EnrichmentJob | None:
            current = self.get_job(job_id)
            return current if current.done else None

        return poll_sync(check, poller, lambda: _job_timeout(job_id, poller))

    def download(
        self, job: JobRef, path: str | os.PathLike[str], *, overwrite: bool = False
    ) -> DownloadSummary:
        """Stream a finished job's result CSV (``csv_url``) to ``path``."""
        current = job if isinstance(job, EnrichmentJob) and job.csv_url else self.get_job(job)
        download = Download(path, overwrite)
        self._client._execute(download_op(_downloadable(current)), body_to=download.new_writer)
        return download.summary()


class AsyncEnrichment(AsyncResource):
    async def enrich(
        self,
        filter: Mapping[str, str],
        fields: Sequence[str] | None = None,
        is_or_match: bool = False,
        request_id: str | None = None,
    ) -> EnrichResult:
        return await self._client._execute(
            ops.enrich_contact(filter, fields, is_or_match, request_id)
        )

    async def create_job(
        self,
        name: str,
        records: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        operator: Operator = "OR",
    ) -> EnrichmentJobCreated:
        body = ops.job_body(name, records, columns, operator)
        return await self._client._execute(ops.create_enrichment_job(body))

    async def create_jobs(
        self,
        name: str,
        records: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        operator: Operator = "OR",
        *,
        records_per_job: int = DEFAULT_RECORDS_PER_JOB,
    ) -> list[EnrichmentJobCreated]:
        created: list[EnrichmentJobCreated] = []
        for body in _split_bodies(name, records, columns, operator, records_per_job):
            try:
                created.append(await self._client._execute(ops.create_enrichment_job(body)))
            except Exception:
                if created:
                    logger.warning(
                        "jobs created before the failure: %s", [c.job_id for c in created]
                    )
                raise
        return created

    @overload
    def jobs(self, *, page_size: int = 100) -> AsyncPager[Page[EnrichmentJob], EnrichmentJob]: ...
    @overload
    def jobs(
        self, *, page: int, page_size: int = 100
    ) -> Coroutine[Any, Any, Page[EnrichmentJob]]: ...
    def jobs(
        self, *, page: int | None = None, page_size: int = 100
    ) -> AsyncPager[Page[EnrichmentJob], EnrichmentJob] | Coroutine[Any, Any, Page[EnrichmentJob]]:
        if page is not None:
            return self._client._execute(ops.list_enrichment_jobs(page, page_size))
        ops.paging_params(1, page_size)
        return AsyncPager(
            self._client, lambda n: ops.list_enrichment_jobs(n, page_size), page_items
        )

    async def get_job(self, job: JobRef) -> EnrichmentJob:
        job_id = ops.job_id_of(job)
        async for item in self.jobs():
            if item.id == job_id:
                return item
        raise _not_found(job_id)

    async def wait(
        self, job: JobRef, *, timeout: float = DEFAULT_JOB_WAIT, poll_interval: float = 2.0
    ) -> EnrichmentJob:
        job_id = ops.job_id_of(job)
        poller = Poller(timeout, initial=poll_interval, maximum=30.0)

        async def check() -> EnrichmentJob | None:
            current = await self.get_job(job_id)
            return current if current.done else None

        return await poll_async(check, poller, lambda: _job_timeout(job_id, poller))

    async def download(
        self, job: JobRef, path: str | os.PathLike[str], *, overwrite: bool = False
    ) -> DownloadSummary:
        current = job if isinstance(job, EnrichmentJob) and job.csv_url else await self.get_job(job)
        download = Download(path, overwrite)
        await self._client._execute(
            download_op(_downloadable(current)), body_to=download.new_writer
        )
        return download.summary()
