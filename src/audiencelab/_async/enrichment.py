"""``client.enrichment``: enrich one contact, or many in bulk jobs, and fetch the results."""

from __future__ import annotations

import logging
import os
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from audiencelab import _operations as ops
from audiencelab._async.paging import AsyncPager, page_items, poll
from audiencelab._download import Download, DownloadSummary, download_op
from audiencelab._logging import log
from audiencelab._models import EnrichmentJob, EnrichmentJobCreated, EnrichResult, Page
from audiencelab._polling import Poller

if TYPE_CHECKING:
    from audiencelab._async.client import AsyncAudienceLab

__all__ = ["AsyncEnrichment"]

JobRef = str | EnrichmentJob | EnrichmentJobCreated
Operator = Literal["AND", "OR"]
DEFAULT_JOB_WAIT = 1800.0
DEFAULT_RECORDS_PER_JOB = 10_000


class AsyncEnrichment:
    """``client.enrichment``: enrich one contact, or many in bulk jobs, and fetch the results."""

    def __init__(self, client: AsyncAudienceLab) -> None:
        self._client = client

    async def enrich(
        self,
        filter: Mapping[str, str],
        fields: Sequence[str] | None = None,
        is_or_match: bool = False,
        request_id: str | None = None,
    ) -> EnrichResult:
        """Enrich one contact (``POST /enrich``) from match keys such as ``email``."""
        return await self._client.send(ops.enrich_contact(filter, fields, is_or_match, request_id))

    async def create_job(
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
        return await self._client.send(ops.create_enrichment_job(body))

    async def create_jobs(
        self,
        name: str,
        records: Sequence[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        operator: Operator = "OR",
        *,
        records_per_job: int = DEFAULT_RECORDS_PER_JOB,
    ) -> list[EnrichmentJobCreated]:
        """Enrich any number of records as several jobs of at most ``records_per_job`` each.

        Jobs are named ``"<name> (part i of n)"``. Everything is checked before the first job
        is sent. If a job fails after others were created, the IDs of those are logged (event
        ``partial_jobs``) before the error is raised.
        """
        created: list[EnrichmentJobCreated] = []
        for body in ops.job_bodies(name, records, columns, operator, records_per_job):
            try:
                created.append(await self._client.send(ops.create_enrichment_job(body)))
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
    def jobs(self, *, page_size: int = 100) -> AsyncPager[Page[EnrichmentJob], EnrichmentJob]: ...
    @overload
    def jobs(
        self, *, page: int, page_size: int = 100
    ) -> Coroutine[Any, Any, Page[EnrichmentJob]]: ...
    def jobs(
        self, *, page: int | None = None, page_size: int = 100
    ) -> AsyncPager[Page[EnrichmentJob], EnrichmentJob] | Coroutine[Any, Any, Page[EnrichmentJob]]:
        """Every enrichment job (auto-paging), or one page when ``page`` is given."""
        if page is not None:
            return self._client.send(ops.list_enrichment_jobs(page, page_size))
        ops.paging_params(1, page_size)
        return AsyncPager(
            self._client, lambda n: ops.list_enrichment_jobs(n, page_size), page_items
        )

    async def get_job(self, job: JobRef) -> EnrichmentJob:
        """The current state of one job (found through ``GET /enrichments``)."""
        job_id = ops.job_id_of(job)
        async for item in self.jobs():
            if item.id == job_id:
                return item
        raise ops.job_not_found(job_id)

    async def wait(
        self, job: JobRef, *, timeout: float = DEFAULT_JOB_WAIT, poll_interval: float = 2.0
    ) -> EnrichmentJob:
        """Poll until the job has finished (with backoff) and return it: ``COMPLETED``, or
        ``NO_DATA`` when none of its records matched anyone. A ``FAILED`` job raises
        :class:`EnrichmentJobFailedError`; ``timeout`` seconds raise :class:`WaitTimeoutError`."""
        job_id = ops.job_id_of(job)
        poller = Poller(timeout, initial=poll_interval, maximum=30.0)

        async def check() -> EnrichmentJob | None:
            return ops.finished(await self.get_job(job_id))

        return await poll(check, poller, lambda: ops.job_wait_timeout(job_id, poller.elapsed))

    async def download(
        self, job: JobRef, path: str | os.PathLike[str], *, overwrite: bool = False
    ) -> DownloadSummary:
        """Stream a finished job's result CSV (``csv_url``) to ``path``."""
        current = job if isinstance(job, EnrichmentJob) and job.csv_url else await self.get_job(job)
        download = Download(path, overwrite)
        await self._client.send(download_op(ops.downloadable(current)), body_to=download.new_writer)
        return download.summary()
