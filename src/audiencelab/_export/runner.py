"""Running an export: the options, the job (sink + scheduler + how to fetch and read a page), and
the two runners, threads for the sync client and tasks for the async one.

Pages are fetched several at a time but written strictly in order. Memory stays flat: at most a
window of pages is held, as raw response chunks (far smaller than parsed rows), and a page is
parsed only when it is its turn to be written.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import anyio

from audiencelab._download import ChunkBuffer
from audiencelab._exceptions import (
    AudienceLabError,
    AudienceNotReadyError,
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
from audiencelab._validate import check_positive_int, check_seconds

if TYPE_CHECKING:
    from audiencelab._async.protocol import AsyncSender
    from audiencelab._sync.protocol import Sender

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_EXPORT_RETRIES",
    "MAX_CONCURRENCY",
    "ExportJob",
    "ExportOptions",
    "ExportProgress",
    "export_async",
    "export_job",
    "export_sync",
    "ordered_pages_sync",
]

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64
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


def ordered_pages_sync(
    client: Sender,
    scheduler: PageScheduler,
    page_op: Callable[[int], Operation[bytes]],
    *,
    max_retries: int,
    note_retry: Callable[[int | None], None],
    eager: bool = False,
) -> Generator[tuple[int, Chunks], None, None]:
    """Pages fetched by a thread pool as ``scheduler`` says, yielded strictly in order.

    The caller handles each page before asking for the next, and tells ``scheduler`` what the page
    said (``set_last``, ``end_at``): that decides what is fetched next and when this stops. With
    ``eager``, the fetches start as soon as the caller learns the page count, while it is still
    handling the first page (an export writing it); without, when it asks for the next page (an
    Arrow reader, made with its first page, fetches nothing more until it is read). Used by exports
    and by Arrow record batches.
    """
    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=scheduler.max_concurrency, thread_name_prefix="audiencelab-export"
    )
    futures: dict[concurrent.futures.Future[list[bytes]], int] = {}

    def fetch(number: int) -> list[bytes]:
        buffers: list[ChunkBuffer] = []

        def new_buffer() -> ChunkBuffer:
            buffers.append(ChunkBuffer())
            return buffers[-1]

        client.send(
            page_op(number), on_retry=note_retry, max_retries=max_retries, body_to=new_buffer
        )
        return buffers[-1].chunks

    def start_more() -> None:
        for number in scheduler.startable():
            futures[pool.submit(fetch, number)] = number

    if eager:  # the caller handles pages in this thread: it may start fetches itself
        scheduler.on_bounded = start_more
    try:
        while not scheduler.complete:
            start_more()
            done, _ = concurrent.futures.wait(
                futures, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                scheduler.finished(futures.pop(future), future.result())
            for page in scheduler.writable():
                yield page
                # Each page handled moves the window on (the first also tells how many pages
                # there are): keep the fetches flowing while the next pages are written.
                start_more()
        pool.shutdown(wait=True)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # after an error, or if dropped midway


def export_sync(client: Sender, job: ExportJob) -> ExportSummary:
    """Run ``job`` with a thread pool; the calling thread parses and writes, in order."""
    pages = ordered_pages_sync(
        client,
        job.scheduler,
        job.page_op,
        max_retries=job.max_retries,
        note_retry=job.note_retry,
        eager=True,
    )
    try:
        for number, payload in pages:
            try:
                job.write(number, payload)
            except AudienceNotReadyError as not_ready:
                # The first page was the readiness probe: the scheduler takes it back.
                time.sleep(job.probe.not_ready(number, not_ready))
        return job.finish()
    except BaseException as exc:
        pages.close()
        job.stop(exc)  # keeps the checkpoint: export(..., resume=True) continues from here
        raise


async def export_async(client: AsyncSender, job: ExportJob) -> ExportSummary:
    """Run ``job`` with tasks; file writes run in a worker thread to keep the loop responsive."""
    scheduler = job.scheduler
    send, receive = anyio.create_memory_object_stream[tuple[int, Chunks]](math.inf)

    async def fetch(number: int) -> None:
        payload = await client.send(
            job.page_op(number), on_retry=job.note_retry, max_retries=job.max_retries
        )
        await send.send((number, [payload]))

    try:
        async with anyio.create_task_group() as tasks:

            def start_more() -> None:
                for number in scheduler.startable():
                    tasks.start_soon(fetch, number)

            # Pages are written in a worker thread, which tells the event loop.
            scheduler.on_bounded = lambda: anyio.from_thread.run_sync(start_more)
            while not scheduler.complete:
                start_more()
                number, payload = await receive.receive()
                scheduler.finished(number, payload)
                for ready, data in scheduler.writable():
                    try:
                        await anyio.to_thread.run_sync(job.write, ready, data)
                    except AudienceNotReadyError as not_ready:
                        await anyio.sleep(job.probe.not_ready(ready, not_ready))
                        break
                    start_more()  # as in ordered_pages_sync: the window moved on
            tasks.cancel_scope.cancel()  # fetches past a page that ended the export
    except BaseException as exc:
        error = _first_error(exc)
        job.stop(error)
        raise error from None
    finally:
        send.close()
        receive.close()
    return await anyio.to_thread.run_sync(job.finish)


def _first_error(exc: BaseException) -> BaseException:
    """The real error inside a task group's exception group (cancellations aside)."""
    inner = getattr(exc, "exceptions", None)
    if not inner:
        return exc
    for candidate in inner:
        if not isinstance(candidate, anyio.get_cancelled_exc_class()):
            return _first_error(candidate)
    return exc
