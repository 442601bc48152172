"""An export's options and its job (sink + scheduler + how to fetch and read a page), pure of I/O.

The runner that moves the pages is written once, in ``_async/export.py`` (tasks), and generated
into ``_sync/export.py`` (threads). Pages are fetched several at a time but written strictly in
order. Memory stays flat: at most a window of pages is held, as raw response chunks (far smaller
than parsed rows), and a page is parsed only when it is its turn to be written.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from audiencelab._exceptions import (
    AudienceLabError,
    InputProblem,
    InputValidationError,
    PassArgument,
)
from audiencelab._export.formats import infer_format
from audiencelab._export.scheduler import Chunks, PageScheduler, ReadinessProbe
from audiencelab._export.sink import ExportSink, ExportSummary
from audiencelab._logging import log
from audiencelab._models import Page
from audiencelab._operations import MAX_PAGE_SIZE, PagedSource
from audiencelab._sansio import Operation
from audiencelab._synchronization import MAX_CONCURRENCY
from audiencelab._validate import check_positive_int, check_seconds

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_EXPORT_RETRIES",
    "MAX_CONCURRENCY",
    "ExportJob",
    "ExportOptions",
    "ExportProgress",
    "export_job",
]

DEFAULT_CONCURRENCY = 8
DEFAULT_PAGE_SIZE = 1000
# Page reads are safe to repeat, and an export is a long batch job: it keeps going through
# transient faults (5xx, dropped connections, 429s) longer than a single interactive call would.
DEFAULT_EXPORT_RETRIES = 8


@dataclass(frozen=True)
class ExportProgress:
    """Passed to ``on_progress`` after each page is written."""

    rows: int
    pages: int
    total_records: int | None
    total_pages: int | None
    elapsed: float


class ExportOptions(TypedDict, total=False):
    """The options of every export (``audiences.export``, ``segments.export``), all optional.

    ``format``: ``"csv"``, ``"jsonl"`` or ``"parquet"`` (default: from the file suffix).
    ``page_size``: records per request, 1-1000 (default 1000; keep it when resuming).
    ``concurrency``: pages fetched at once, 1-64 (default 8; halved on a 429).
    ``resume``: continue an interrupted export from its checkpoint (default False).
    ``overwrite``: replace an existing file (default False).
    ``neutralize_formulas``: prefix CSV cells that spreadsheets would run with ``'`` (default True).
    ``max_retries``: retries of each page read (default 8).
    ``on_progress``: called with an :class:`ExportProgress` after each page.
    """

    format: str | None
    page_size: int
    concurrency: int
    resume: bool
    overwrite: bool
    neutralize_formulas: bool
    max_retries: int | None
    on_progress: Callable[[ExportProgress], None] | None


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim``, or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


# A long export frees a few MB of page buffers per page; glibc keeps freed blocks in the middle of
# its heap resident, so memory would creep up over thousands of pages. Handing free memory back
# every so often keeps it flat. (Only free memory is released; nothing else is affected.)
_release_free_memory = _malloc_trim()
_RELEASE_EVERY_PAGES = 25


class ExportJob:
    """One export: the sink, the scheduler, how to fetch and read a page, and progress."""

    def __init__(
        self,
        sink: ExportSink,
        page_op: Callable[[int], Operation[bytes]],
        read_page: Callable[[bytes], Page[Any]],
        *,
        concurrency: int,
        max_retries: int = DEFAULT_EXPORT_RETRIES,
        on_progress: Callable[[ExportProgress], None] | None = None,
        wait_timeout: float = 0.0,
        wait_timed_out: Callable[[float], Exception] | None = None,
        columns_if_empty: Sequence[str] = (),
    ) -> None:
        self.max_retries = max_retries
        self.columns_if_empty = columns_if_empty
        self.sink = sink
        self.page_op = page_op
        self.read_page = read_page
        self.on_progress = on_progress
        self.scheduler = PageScheduler(sink.next_page, concurrency)
        self.probe = ReadinessProbe(self.scheduler, wait_timeout, wait_timed_out)
        self.started = time.perf_counter()
        self.first_page = sink.next_page
        self.total_records: int | None = None
        self.total_pages: int | None = None

    def note_retry(self, status: int | None) -> None:
        """Told of every retry of a page read: a 429 makes the export slow down."""
        if status == 429:
            self.scheduler.throttled()

    def write(self, number: int, payload: Chunks) -> None:
        page = self.read_page(b"".join(payload))
        if number == self.first_page:
            self.total_records = page.total_records
            self.total_pages = page.total_pages
            self.scheduler.set_last(page.total_pages)
        if page.data:
            self.sink.write_page(number, page.data)
        if page.next_page() is None:
            self.scheduler.end_at(number if page.data else number - 1)
        del page
        if _release_free_memory is not None and number % _RELEASE_EVERY_PAGES == 0:
            _release_free_memory()
        if self.on_progress is not None:
            self.on_progress(
                ExportProgress(
                    rows=self.sink.rows_written,
                    pages=number,
                    total_records=self.total_records,
                    total_pages=self.total_pages,
                    elapsed=time.perf_counter() - self.started,
                )
            )

    def finish(self) -> ExportSummary:
        summary = self.sink.finish(time.perf_counter() - self.started, self.columns_if_empty)
        if self.total_records is not None and summary.rows != self.total_records:
            log(
                logging.WARNING,
                "row_count_mismatch",
                "exported %d rows but the API announced %d (total_records)",
                summary.rows,
                self.total_records,
            )
        return summary

    def stop(self, error: BaseException) -> None:
        """Close the file after a failure, keeping the checkpoint, and tell how to resume."""
        self.sink.close()
        if (
            isinstance(error, AudienceLabError)
            and error.remedy is None
            and self.sink.checkpoint_path.exists()
        ):
            error.remedy = PassArgument(
                "resume", True, f"to continue from page {self.sink.next_page}"
            )


def export_job(
    pages: PagedSource,
    path: str | os.PathLike[str],
    options: ExportOptions,
    wait_timeout: float = 0.0,
) -> ExportJob:
    """Check the export's arguments, open its file (or its checkpoint) and plan the pages."""
    page_size = options.get("page_size", DEFAULT_PAGE_SIZE)
    concurrency = options.get("concurrency", DEFAULT_CONCURRENCY)
    max_retries = options.get("max_retries")
    problems: list[InputProblem] = []
    check_positive_int(page_size, problems, "page_size", maximum=MAX_PAGE_SIZE)
    check_positive_int(concurrency, problems, "concurrency", maximum=MAX_CONCURRENCY)
    check_seconds(wait_timeout, problems, "wait_timeout")
    if max_retries is not None:
        check_positive_int(max_retries, problems, "max_retries", minimum=0)
    if problems:
        raise InputValidationError(problems)
    sink = ExportSink.open(
        path,
        infer_format(path, options.get("format")),
        source=pages.source,
        page_size=page_size,
        neutralize_formulas=options.get("neutralize_formulas", True),
        resume=options.get("resume", False),
        overwrite=options.get("overwrite", False),
    )
    return ExportJob(
        sink,
        lambda n: pages.page_op(n, page_size),
        pages.read_page,
        concurrency=concurrency,
        max_retries=DEFAULT_EXPORT_RETRIES if max_retries is None else max_retries,
        on_progress=options.get("on_progress"),
        wait_timeout=wait_timeout,
        wait_timed_out=pages.wait_timed_out,
        columns_if_empty=pages.columns,
    )
