"""Concurrent, ordered, resumable export of paged records.

Pages are fetched several at a time but written strictly in order. Memory stays flat: at most a
window of pages is held, as raw response chunks (far smaller than parsed rows), and a page is parsed
only when it is its turn to be written. The order, the window and the politeness to rate limits
(halve the concurrency on a 429, grow it back one step at a time) are decided by the pure
:class:`PageScheduler`; the sync runner uses threads, the async one tasks.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import logging
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from audiencelab._download import ChunkBuffer
from audiencelab._export import ExportSink, ExportSummary
from audiencelab._models import Page
from audiencelab._sansio import Operation

if TYPE_CHECKING:
    from audiencelab._client import AsyncAudienceLab, AudienceLab

logger = logging.getLogger("audiencelab")

DEFAULT_CONCURRENCY = 8
# A fetched page is kept as the chunks it arrived in (~64 KB each) until its turn to be written:
# uniform small blocks are reused by the allocator, where whole ~2.5 MB pages would fragment the
# heap and make a long export's memory creep up.
Chunks = Sequence[bytes]
# Page reads are safe to repeat, and an export is a long batch job: it keeps going through
# transient faults (5xx, dropped connections, 429s) longer than a single interactive call would.
DEFAULT_EXPORT_RETRIES = 8


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


@dataclass(frozen=True)
class ExportProgress:
    """Passed to ``on_progress`` after each page is written."""

    rows: int
    pages: int
    total_records: int | None
    total_pages: int | None
    elapsed: float


class PageScheduler:
    """Which pages to fetch now, and which fetched pages can be written, in order.

    Until the first page tells how many pages there are, pages go one at a time; if the API never
    says (no ``total_pages``), the whole export walks one page at a time until a page says stop.
    """

    def __init__(self, first: int, concurrency: int) -> None:
        self.next_to_start = first
        self.next_to_write = first
        self.last: int | None = None
        self.bounded = False  # True once the last page number is known
        self.max_concurrency = concurrency
        self.limit = concurrency
        # Pages held ahead of the writer (fetched or in flight), at most: raw pages are ~2.5 MB at
        # page_size 1000, so this bounds memory whatever the audience size.
        self.window = concurrency + 2
        self.in_flight: set[int] = set()
        self.fetched: dict[int, Chunks] = {}
        self._calm = 0

    @property
    def complete(self) -> bool:
        return self.last is not None and self.next_to_write > self.last

    def set_last(self, last: int | None) -> None:
        """The number of the last page, from the API's ``total_pages`` (None: unknown)."""
        if last is not None:
            self.end_at(last)
            self.bounded = True

    def end_at(self, page: int) -> None:
        """No page after ``page`` exists (an empty or final page was seen)."""
        self.last = page if self.last is None else min(self.last, page)

    def startable(self) -> list[int]:
        if self.complete:
            return []
        if self.bounded and self.last is not None:
            horizon = min(self.last, self.next_to_write + self.window - 1)
        else:
            horizon = self.next_to_write  # walking: one page at a time
        pages: list[int] = []
        while self.next_to_start <= horizon and len(self.in_flight) < self.limit:
            pages.append(self.next_to_start)
            self.in_flight.add(self.next_to_start)
            self.next_to_start += 1
        return pages

    def finished(self, page: int, payload: Chunks) -> None:
        self.in_flight.discard(page)
        if self.last is None or page <= self.last:
            self.fetched[page] = payload
        self._calm += 1
        if self._calm >= self.limit and self.limit < self.max_concurrency:
            self.limit += 1
            self._calm = 0

    def writable(self) -> Iterator[tuple[int, Chunks]]:
        while self.next_to_write in self.fetched and not self.complete:
            page = self.next_to_write
            payload = self.fetched.pop(page)
            self.next_to_write += 1
            yield page, payload

    def throttled(self) -> None:
        """A request was answered 429: be polite, halve how many run at once."""
        if self.limit > 1:
            self.limit = max(1, self.limit // 2)
            logger.info("rate limited: exporting with %d concurrent requests", self.limit)
        self._calm = 0


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
    ) -> None:
        self.max_retries = max_retries
        self.sink = sink
        self.page_op = page_op
        self.read_page = read_page
        self.on_progress = on_progress
        self.scheduler = PageScheduler(sink.next_page, concurrency)
        self.started = time.perf_counter()
        self.first_page = sink.next_page
        self.total_records: int | None = None
        self.total_pages: int | None = None

    @contextlib.contextmanager
    def closing_on_error(self) -> Iterator[None]:
        """Close the file (keeping any checkpoint) if the block fails before the export runs."""
        try:
            yield
        except BaseException:
            self.sink.close()
            raise

    def note_retry(self, status: int | None) -> None:
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
        summary = self.sink.finish(time.perf_counter() - self.started)
        if self.total_records is not None and summary.rows != self.total_records:
            logger.warning(
                "exported %d rows but the API announced %d (total_records)",
                summary.rows,
                self.total_records,
            )
        return summary


def export_sync(client: AudienceLab, job: ExportJob) -> ExportSummary:
    """Run ``job`` with a thread pool; the calling thread parses and writes, in order."""
    scheduler = job.scheduler
    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=scheduler.max_concurrency, thread_name_prefix="audiencelab-export"
    )
    futures: dict[concurrent.futures.Future[list[bytes]], int] = {}

    def fetch(number: int) -> list[bytes]:
        buffers: list[ChunkBuffer] = []

        def new_buffer() -> ChunkBuffer:
            buffers.append(ChunkBuffer())
            return buffers[-1]

        op = job.page_op(number)
        client._execute(
            op, on_retry=job.note_retry, max_retries=job.max_retries, body_to=new_buffer
        )
        return buffers[-1].chunks

    try:
        while not scheduler.complete:
            for number in scheduler.startable():
                futures[pool.submit(fetch, number)] = number
            done, _ = concurrent.futures.wait(
                futures, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                scheduler.finished(futures.pop(future), future.result())
            for number, payload in scheduler.writable():
                job.write(number, payload)
        pool.shutdown(wait=True)
        return job.finish()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        job.sink.close()  # keeps the checkpoint: export(..., resume=True) continues from here
        raise


async def export_async(client: AsyncAudienceLab, job: ExportJob) -> ExportSummary:
    """Run ``job`` with tasks; file writes run in a worker thread to keep the loop responsive."""
    scheduler = job.scheduler
    send, receive = anyio.create_memory_object_stream[tuple[int, Chunks]](math.inf)

    async def fetch(number: int) -> None:
        payload = await client._execute(
            job.page_op(number), on_retry=job.note_retry, max_retries=job.max_retries
        )
        await send.send((number, [payload]))

    try:
        async with anyio.create_task_group() as tasks:
            while not scheduler.complete:
                for number in scheduler.startable():
                    tasks.start_soon(fetch, number)
                number, payload = await receive.receive()
                scheduler.finished(number, payload)
                for ready, data in scheduler.writable():
                    await anyio.to_thread.run_sync(job.write, ready, data)
            tasks.cancel_scope.cancel()  # fetches past a page that ended the export
    except BaseException as exc:
        job.sink.close()
        raise _first_error(exc) from None
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
