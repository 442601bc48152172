"""Arrow record batches of an audience's or segment's records (extra ``arrow``: pyarrow).

Pages are fetched as an export fetches them (:class:`PageScheduler`: ``concurrency`` at a time,
strictly in order, halved on a 429) and each becomes one record batch. The schema follows the
export's Parquet rules (:mod:`audiencelab._export.formats`): every column a nullable string, the
column set fixed by the first non-empty page; later pages are aligned to it (a missing column is
null, a column first seen later is left out and logged once, event ``columns_dropped``). Values
the API sends as strings are kept as they are; None is null; lists and dicts are compact JSON.

Memory stays flat: at most a window of raw pages is held ahead of the consumer, as for export.

* :class:`ArrowPages` (sync client): a ``pyarrow.RecordBatchReader``, fed by the export's thread
  pool (:func:`ordered_pages_sync`). Page 1 is fetched when the reader is made (the schema comes
  from it), the rest as the reader is read.
* :class:`AsyncArrowPages` (async client): an async iterator of record batches. It fetches in
  rounds of up to ``concurrency`` pages, all finished before the batches of the round are
  yielded: no task outlives a step of the iterator, so breaking out of ``async for`` (or an
  error in the consumer) never leaves a task group open across a ``yield``.

pyarrow is imported only when one of these is used (``import audiencelab`` does not import it).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

import anyio

from audiencelab._exceptions import AudienceNotReadyError, InputProblem, InputValidationError
from audiencelab._export.formats import columns_of, text_or_null
from audiencelab._export.runner import (
    DEFAULT_CONCURRENCY,
    DEFAULT_EXPORT_RETRIES,
    MAX_CONCURRENCY,
    ordered_pages_sync,
)
from audiencelab._export.scheduler import PageScheduler, ReadinessProbe
from audiencelab._logging import log
from audiencelab._models import Page
from audiencelab._operations import MAX_PAGE_SIZE, PagedSource
from audiencelab._validate import check_positive_int, check_seconds

if TYPE_CHECKING:
    from audiencelab._async.protocol import AsyncSender
    from audiencelab._sync.protocol import Sender

__all__ = [
    "ARROW_INSTALL",
    "DEFAULT_CONCURRENCY",
    "ArrowPages",
    "AsyncArrowPages",
    "AsyncRecordBatches",
    "BatchBuilder",
    "RecordBatches",
    "check_stream_options",
    "require_arrow",
]

ARROW_INSTALL = 'record batches need pyarrow: pip install "audiencelab[arrow]"'

#: What ``record_batches`` returns: a ``pyarrow.RecordBatchReader`` (sync client) ...
RecordBatches = Any
#: ... or an async iterator of ``pyarrow.RecordBatch`` (async client).
AsyncRecordBatches = AsyncIterator[Any]


def require_arrow() -> Any:
    """The ``pyarrow`` module, or an ImportError telling which extra to install."""
    try:
        import pyarrow
    except ImportError:
        raise ImportError(ARROW_INSTALL) from None
    return pyarrow


def check_stream_options(page_size: int, concurrency: int, wait_timeout: float = 0.0) -> None:
    """The options of ``record_batches``, checked before anything is sent."""
    problems: list[InputProblem] = []
    check_positive_int(page_size, problems, "page_size", maximum=MAX_PAGE_SIZE)
    check_positive_int(concurrency, problems, "concurrency", maximum=MAX_CONCURRENCY)
    check_seconds(wait_timeout, problems, "wait_timeout")
    if problems:
        raise InputValidationError(problems)


class BatchBuilder:
    """Pages of rows into record batches of one schema (pure, apart from the log record)."""

    def __init__(self, source: str) -> None:
        self.pa = require_arrow()
        self.source = source
        self.columns: list[str] | None = None
        self._column_set: frozenset[str] = frozenset()
        self.schema: Any = None
        self.dropped: list[str] = []

    def batch(self, number: int, rows: Sequence[Mapping[str, Any]]) -> Any:
        """Page ``number``'s rows as a record batch; None while no column is known yet."""
        pa = self.pa
        if self.columns is None:
            if not rows:
                return None
            self.columns = list(dict.fromkeys(chain.from_iterable(rows)))
            self._column_set = frozenset(self.columns)
            self.schema = pa.schema([pa.field(c, pa.string(), nullable=True) for c in self.columns])
        cells, extras, _exact = columns_of(rows, self.columns, self._column_set)
        new = [c for c in extras if c not in self.dropped]
        if new:
            self.dropped += new
            log(
                logging.WARNING,
                "columns_dropped",
                "Record batches of %s: column(s) %s first appeared on page %d, after the schema "
                "was fixed; their values are left out",
                self.source,
                ", ".join(new),
                number,
            )
        arrays = [pa.array(text_or_null(column), type=pa.string()) for column in cells]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def empty_schema(self) -> Any:
        """The schema of a stream that met no row at all: no column."""
        return self.schema if self.schema is not None else self.pa.schema([])


class _Pages:
    """What both flavours share: the scheduler, and what each page says about the next ones."""

    def __init__(
        self, pages: PagedSource, page_size: int, concurrency: int, wait_timeout: float
    ) -> None:
        check_stream_options(page_size, concurrency, wait_timeout)
        self.pages = pages
        self.page_size = page_size
        self.scheduler = PageScheduler(1, concurrency)
        # The first page is the readiness probe of an audience still being built, as in exports.
        self.probe = ReadinessProbe(self.scheduler, wait_timeout, pages.wait_timed_out)
        self.builder = BatchBuilder(pages.source)

    def page_op(self, number: int) -> Any:
        return self.pages.page_op(number, self.page_size)

    def note_retry(self, status: int | None) -> None:
        if status == 429:
            self.scheduler.throttled()

    def to_batch(self, number: int, payload: bytes) -> Any:
        """Read page ``number`` (as an export does), tell the scheduler, and build its batch."""
        page: Page[Any] = self.pages.read_page(payload)
        del payload
        if number == 1:
            self.scheduler.set_last(page.total_pages)
        if page.next_page() is None:
            self.scheduler.end_at(number if page.data else number - 1)
        return self.builder.batch(number, page.data) if page.data else None


class ArrowPages(_Pages):
    """Record batches for the sync client: :meth:`batches` makes a ``RecordBatchReader``."""

    def __init__(
        self,
        client: Sender,
        pages: PagedSource,
        *,
        page_size: int,
        concurrency: int,
        wait_timeout: float = 0.0,
    ) -> None:
        super().__init__(pages, page_size, concurrency, wait_timeout)
        self.client = client

    def _batches(self) -> Iterator[Any]:
        pages = ordered_pages_sync(
            self.client,
            self.scheduler,
            self.page_op,
            max_retries=DEFAULT_EXPORT_RETRIES,
            note_retry=self.note_retry,
        )
        with contextlib.closing(pages):  # the pool stops even when the reader is dropped midway
            for number, chunks in pages:
                try:
                    batch = self.to_batch(number, b"".join(chunks))
                except AudienceNotReadyError as not_ready:
                    time.sleep(self.probe.not_ready(number, not_ready))
                    continue
                del chunks
                if batch is not None:
                    yield batch

    def batches(self) -> RecordBatches:
        """Read up to the first batch (waiting, if asked, for an audience still being built),
        and return the reader."""
        batches = self._batches()
        first = next(batches, None)
        pa = self.builder.pa
        if first is None:
            return pa.RecordBatchReader.from_batches(self.builder.empty_schema(), iter(()))
        return pa.RecordBatchReader.from_batches(self.builder.schema, chain((first,), batches))


class AsyncArrowPages(_Pages):
    """Record batches for the async client: :meth:`batches` is an async iterator."""

    def __init__(
        self,
        client: AsyncSender,
        pages: PagedSource,
        *,
        page_size: int,
        concurrency: int,
        wait_timeout: float = 0.0,
    ) -> None:
        super().__init__(pages, page_size, concurrency, wait_timeout)
        self.client = client

    async def _round(self) -> None:
        """Fetch the pages the scheduler allows now, all of them, before returning."""
        scheduler = self.scheduler
        errors: list[BaseException] = []

        async def fetch(number: int) -> None:
            try:
                payload = await self.client.send(
                    self.page_op(number),
                    on_retry=self.note_retry,
                    max_retries=DEFAULT_EXPORT_RETRIES,
                )
            except Exception as exc:
                errors.append(exc)
                tasks.cancel_scope.cancel()
                return
            scheduler.finished(number, [payload])

        async with anyio.create_task_group() as tasks:
            for number in scheduler.startable():
                tasks.start_soon(fetch, number)
        if errors:
            raise errors[0]

    async def batches(self) -> AsyncRecordBatches:
        """Every batch, in page order (pages fetched ``concurrency`` at a time)."""
        scheduler = self.scheduler
        while not scheduler.complete:
            await self._round()
            written = False
            for number, chunks in scheduler.writable():
                written = True
                try:
                    batch = await anyio.to_thread.run_sync(self.to_batch, number, b"".join(chunks))
                except AudienceNotReadyError as not_ready:
                    await anyio.sleep(self.probe.not_ready(number, not_ready))
                    break
                del chunks
                if batch is not None:
                    yield batch
            if not written and not scheduler.complete:  # pragma: no cover - a scheduler bug
                raise RuntimeError(f"record batches of {self.pages.source}: no page to fetch")
