# Generated from audiencelab/_async/audiences.py by scripts/unasync.py: do not edit.
# Edit the async source, then run `python scripts/unasync.py`.
"""``client.audiences``: create audiences from filters, read their people, export them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import cached_property
from typing import TYPE_CHECKING, Any, overload

from audiencelab import _operations as ops
from audiencelab._arrow import DEFAULT_CONCURRENCY, RecordBatches
from audiencelab._create_many import (
    CreateResult,
    create_operations,
    specs_needed_lists,
)
from audiencelab._exceptions import AudienceNotReadyError
from audiencelab._export import ExportOptions, ExportSummary, export_job
from audiencelab._http import TimeoutTypes
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
from audiencelab._options import Headers, Query, RequestOptions
from audiencelab._otel import traced
from audiencelab._polling import Poller
from audiencelab._sync.arrow import ArrowPages
from audiencelab._sync.create_many import run_create_many
from audiencelab._sync.export import run_export
from audiencelab._sync.paging import Pager, page_items, poll
from audiencelab._sync.protocol import with_request_options
from audiencelab._sync.raw import raw_response
from audiencelab._sync.streaming import StreamedResponse
from audiencelab._value_checks import ValueChecks

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from audiencelab._sync.client import AudienceLab

__all__ = ["Audiences", "AudiencesWithRawResponse", "AudiencesWithStreamingResponse"]

DEFAULT_WAIT = 600.0


class Audiences:
    """``client.audiences``: create audiences from filters, read their people, export them."""

    def __init__(self, client: AudienceLab) -> None:
        self._client = client

    @cached_property
    def with_raw_response(self) -> AudiencesWithRawResponse:
        """The methods that make one request, answering an :class:`APIResponse` (status,
        headers, ``request_id``, ``retries_taken``...; ``.parse()`` is the usual value)."""
        return AudiencesWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AudiencesWithStreamingResponse:
        """Records pages unread: ``with ....get(id, page=3) as response``."""
        return AudiencesWithStreamingResponse(self._client)

    @traced("audiences.create")
    def create(
        self,
        name: str,
        filters: ops.FiltersInput,
        segment: ops.SegmentInput = None,
        days_back: int | None = None,
        *,
        value_checks: ValueChecks | None = None,
        allow_unfiltered: bool = False,
        min_count: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AudienceCreated:
        """Create an audience (``POST /audiences``); its records are built in the background.

        ``filters`` is an :class:`AudienceFilters` or a dict with the official keys. Unknown keys,
        bad ages, unprefixed segment IDs, filter values that are likely typos (``value_checks``:
        ``"default"``, ``"strict"`` or ``"off"``; default: the client's), ZIP codes outside
        every state given, and filters that select everyone (unless ``allow_unfiltered``) raise
        :class:`FilterValidationError` before anything is sent. With ``min_count``, the
        audience is previewed first and not created when fewer people match
        (:class:`AudienceTooSmallError`). Never silently repeated: see the retry table in the
        README. ``extra_headers``, ``extra_query`` and ``timeout`` apply to this call's requests.
        """
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        policy = value_checks or self._client.value_checks
        lists = self.value_lists(ops.needed_lists(filters, segment, policy))
        plan = ops.plan_create(
            name,
            filters,
            segment,
            days_back,
            allow_unfiltered=allow_unfiltered,
            value_checks=policy,
            min_count=min_count,
            lists=lists,
        )
        op = ops.create_operation(plan)
        if min_count is not None:
            preview = self._client.send(ops.preview_of(op), options=options)
            ops.enough_people(preview, min_count)
        return self._client.send(op, options=options)

    @traced("audiences.create_many")
    def create_many(
        self,
        specs: Sequence[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        on_result: Callable[[CreateResult], None] | None = None,
        value_checks: ValueChecks | None = None,
        allow_unfiltered: bool = False,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> list[CreateResult]:
        """Create many audiences, ``concurrency`` at a time (1-64); one result per spec, in order.

        A spec is a mapping with ``name``, ``filters`` and optionally ``segment`` and
        ``days_back``. Every spec is checked before anything is sent: one
        :class:`FilterValidationError` names every problem (``specs[2].filters.age: ...``). Each
        :class:`CreateResult` has a ``status``: ``created``, ``failed``, ``unknown`` (sent, no
        usable answer: it may exist and is never repeated) or ``not_sent`` (after the key was
        refused, the rest is not sent). ``on_result`` is called with each result as it is known
        (from the worker thread that made the request, with the sync client), also for those
        left over when the run is interrupted. Values are checked as by :meth:`create`.
        """
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        policy = value_checks or self._client.value_checks
        needed = specs_needed_lists(specs, policy)
        lists = self.value_lists(needed)
        batch = create_operations(
            specs, value_checks=policy, allow_unfiltered=allow_unfiltered, lists=lists
        )
        return run_create_many(
            with_request_options(self._client, options), batch, concurrency, on_result
        )

    @overload
    def list(
        self,
        *,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> Pager[Page[Audience], Audience]: ...
    @overload
    def list(
        self,
        *,
        page: int,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> Page[Audience]: ...
    def list(
        self,
        *,
        page: int | None = None,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> Pager[Page[Audience], Audience] | Page[Audience]:
        """Every audience of this key (``for audience in ...``), or one page when ``page``
        is given (returned at once)."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        if page is not None:
            return self._client.send(ops.list_audiences(page, page_size), options=options)
        ops.paging_params(1, page_size)  # refuse a bad page_size now, not at the first item
        return Pager(
            with_request_options(self._client, options),
            lambda n: ops.list_audiences(n, page_size),
            page_items,
        )

    @traced("audiences.get")
    def get(
        self,
        audience_id: str,
        *,
        page: int = 1,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> RecordsPage:
        """One page of an audience's records (``GET /audiences/{id}``).

        Raises :class:`AudienceNotReadyError` while the audience is being built.
        """
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        return self._client.send(
            ops.audience_records(audience_id, page, page_size), options=options
        )

    def records(
        self,
        audience_id: str,
        *,
        page_size: int = 1000,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> Pager[RecordsPage, Record]:
        """Every record of an audience, as dicts of UPPER_SNAKE columns, across all pages
        (``for row in client.audiences.records(audience_id)``)."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        ops.paging_params(1, page_size)
        return Pager(
            with_request_options(self._client, options),
            lambda n: ops.audience_records(audience_id, n, page_size),
            page_items,
        )

    @traced("audiences.delete")
    def delete(
        self,
        audience_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AudienceDeleted:
        """Delete an audience (``DELETE /audiences/{id}``)."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        return self._client.send(ops.delete_audience(audience_id), options=options)

    @traced("audiences.create_custom")
    def create_custom(
        self,
        topic: str,
        description: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> CustomAudienceCreated:
        """Ask for a custom audience on a topic (``POST /audiences/custom``): answers processing."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        return self._client.send(ops.create_custom_audience(topic, description), options=options)

    @traced("audiences.preview")
    def preview(
        self,
        filters: ops.FiltersInput,
        segment: ops.SegmentInput = None,
        days_back: int = 7,
        limit: int | None = None,
        *,
        score: bool | None = None,
        include_dnc: bool | None = None,
        value_checks: ValueChecks | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AudiencePreview:
        """Count and sample an audience before creating it (``POST /audiences/preview``).

        Checked like :meth:`create`; ``days_back`` is required by the API (1-10), ``limit`` 0-500.
        """
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        policy = value_checks or self._client.value_checks
        lists = self.value_lists(ops.needed_lists(filters, segment, policy))
        plan = ops.plan_preview(
            filters, segment, days_back, limit, score, include_dnc, value_checks=policy, lists=lists
        )
        return self._client.send(ops.preview_operation(plan), options=options)

    @traced("audiences.attributes")
    def attributes(self, name: str) -> AttributeValues:
        """Allowed values of a filter: segments, industries, departments, seniority, sic, gender.

        Fetched once (``GET /audiences/attributes/{name}``), then kept for the client's life and
        for a day in the user's cache directory: they are what filter values are checked against.
        """
        return self._client._vocabulary_store.attribute(name)

    def value_lists(self, names: Iterable[str]) -> ops.ValueLists:
        """The API's lists of allowed values for ``names`` (e.g. ``["industries"]``), as the value
        checks use them: within a few seconds in all, whatever the client's timeout; a list
        that cannot be had is left out with the reason (and not asked for again for a while).

        For :func:`audiencelab.operations.create_audience` (``lists=``), whose
        :func:`~audiencelab.operations.needed_lists` says which lists a request needs.
        """
        return self._client._vocabulary_store.value_lists(names)

    @traced("audiences.wait_until_ready")
    def wait_until_ready(
        self,
        audience_id: str,
        *,
        timeout: float = DEFAULT_WAIT,
        poll_interval: float = 1.0,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
    ) -> AudienceReady:
        """Wait while the audience is being built (the API answers ``{"status": "no data"}``).

        Polls every ``poll_interval`` seconds, growing to 15 s; raises :class:`WaitTimeoutError`
        after ``timeout`` seconds (the wait's; each request's is the client's).
        """
        options = RequestOptions.of(extra_headers, extra_query)
        poller = Poller(timeout, initial=poll_interval)
        op = ops.audience_records(audience_id, 1, 1)

        def check() -> AudienceReady | None:
            try:
                page = self._client.send(op, options=options)
            except AudienceNotReadyError:
                return None
            return ops.audience_ready(audience_id, page, poller.elapsed)

        return poll(check, poller, lambda: ops.audience_wait_timeout(audience_id, poller.elapsed))

    @traced("audiences.export")
    def export(
        self,
        audience_id: str,
        path: str | os.PathLike[str],
        *,
        wait_timeout: float = DEFAULT_WAIT,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
        **options: Unpack[ExportOptions],
    ) -> ExportSummary:
        """Write every record of an audience to CSV, JSON Lines or Parquet (by the file suffix).

        Pages are fetched ``concurrency`` at a time (default 8) and written in order; memory
        stays flat. An interrupted export continues with ``resume=True``. Waits up to
        ``wait_timeout`` seconds for an audience that is still being built. CSV cells that could
        run as spreadsheet formulas are prefixed with ``'`` unless ``neutralize_formulas=False``.
        Each page read is retried up to ``max_retries`` times (default 8: an export is a long
        batch job). The options are those of :class:`ExportOptions`.
        """
        # The file is opened first (a bad path fails now, not after the wait); the first page
        # is the readiness probe, so a ready audience costs no extra request.
        per_call = RequestOptions.of(extra_headers, extra_query, timeout)
        job = export_job(ops.audience_pages(audience_id), path, options, wait_timeout)
        return run_export(with_request_options(self._client, per_call), job)

    def record_batches(
        self,
        audience_id: str,
        *,
        page_size: int = 1000,
        concurrency: int = DEFAULT_CONCURRENCY,
        wait_timeout: float = DEFAULT_WAIT,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> RecordBatches:
        """Every record of an audience as Arrow record batches, one per page (extra ``arrow``).

        The sync client returns a ``pyarrow.RecordBatchReader`` (``reader.read_pandas()``,
        ``polars.from_arrow(reader)``, ``duckdb.from_arrow(reader)``); the async client an async
        iterator of ``pyarrow.RecordBatch``. Pages are fetched ``concurrency`` at a time and kept
        in order, as by :meth:`export`; memory stays flat. Every column is a nullable string;
        the columns are those of the first page (a column first seen later is left out and
        logged). Waits up to ``wait_timeout`` seconds for an audience that is still being built
        (0: raise :class:`AudienceNotReadyError` at once).
        """
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        return ArrowPages(
            with_request_options(self._client, options),
            ops.audience_pages(audience_id),
            page_size=page_size,
            concurrency=concurrency,
            wait_timeout=wait_timeout,
        ).batches()


class AudiencesWithRawResponse:
    """``client.audiences.with_raw_response``: each method answers an :class:`APIResponse` of
    its (last) request; ``.parse()`` is what the plain method returns."""

    def __init__(self, audiences: Audiences) -> None:
        self.create = raw_response(audiences.create)
        self.create_custom = raw_response(audiences.create_custom)
        self.preview = raw_response(audiences.preview)
        self.get = raw_response(audiences.get)
        self.delete = raw_response(audiences.delete)


class AudiencesWithStreamingResponse:
    """``client.audiences.with_streaming_response``: a records page, unread."""

    def __init__(self, client: AudienceLab) -> None:
        self._client = client

    def get(
        self,
        audience_id: str,
        *,
        page: int = 1,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AbstractContextManager[StreamedResponse[RecordsPage]]:
        """``with ....get(id, page=3) as response: for chunk in
        response.iter_bytes()`` (or ``response.parse()`` for the :class:`RecordsPage`)."""
        return self._client.stream(
            ops.audience_records(audience_id, page, page_size),
            options=RequestOptions.of(extra_headers, extra_query, timeout),
            name="audiences.get",
        )
