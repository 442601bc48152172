"""Arrow record batches of an audience's or segment's records (extra ``arrow``: pyarrow).

Pages are fetched as an export fetches them (:class:`PageScheduler`: ``concurrency`` at a time,
strictly in order, halved on a 429) and each becomes one record batch. The schema follows the
export's Parquet rules (:mod:`audiencelab._export.formats`): every column a nullable string, the
column set fixed by the first non-empty page; later pages are aligned to it (a missing column is
null, a column first seen later is left out and logged once, event ``columns_dropped``). Values
the API sends as strings are kept as they are; None is null; lists and dicts are compact JSON.

Memory stays flat: at most a round of up to ``concurrency`` pages is held ahead of the consumer.

The runner is written once, ``AsyncArrowPages`` in ``_async/arrow.py``, and generated into
``_sync/arrow.py`` (``ArrowPages``: threads where the async one has tasks). It fetches in rounds
of up to ``concurrency`` pages, each page made into its batch as soon as it is its turn, all of
the round finished before its batches are yielded: no task or thread outlives a step of the
iterator, so breaking out of ``async for`` (or dropping a reader midway) never leaves fetches
running across a ``yield``. What differs is only what the client hands out
(:func:`record_batches_async`, :func:`record_batches_sync`): the async client an async iterator,
the sync client a ``pyarrow.RecordBatchReader``, for which page 1 is fetched when the reader is
made (the schema comes from it), the rest as the reader is read.

pyarrow is imported only when one of these is used (``import audiencelab`` does not import it).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

from audiencelab._exceptions import InputProblem, InputValidationError
from audiencelab._export.formats import columns_of, text_or_null
from audiencelab._export.runner import DEFAULT_CONCURRENCY
from audiencelab._export.scheduler import PageScheduler, ReadinessProbe
from audiencelab._logging import log
from audiencelab._models import Page
from audiencelab._operations import MAX_PAGE_SIZE, PagedSource
from audiencelab._synchronization import MAX_CONCURRENCY
from audiencelab._validate import check_positive_int, check_seconds

__all__ = [
    "ARROW_INSTALL",
    "DEFAULT_CONCURRENCY",
    "AsyncRecordBatches",
    "BatchBuilder",
    "PagesOfBatches",
    "RecordBatches",
    "check_stream_options",
    "record_batches_async",
    "record_batches_sync",
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


class PagesOfBatches:
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


def record_batches_async(builder: BatchBuilder, batches: AsyncIterator[Any]) -> AsyncRecordBatches:
    """What the async client hands out: the batches, as an async iterator."""
    del builder
    return batches


def record_batches_sync(builder: BatchBuilder, batches: Iterator[Any]) -> RecordBatches:
    """What the sync client hands out: a ``RecordBatchReader``, made with the first batch (the
    schema comes from it; waiting, if asked, for an audience still being built)."""
    first = next(batches, None)
    pa = builder.pa
    if first is None:
        return pa.RecordBatchReader.from_batches(builder.empty_schema(), iter(()))
    return pa.RecordBatchReader.from_batches(builder.schema, chain((first,), batches))
