"""The page scheduler: which pages to fetch now, and which fetched pages can be written, in order.

Pure: the runners (threads or tasks) ask it what to start and hand it what finished. It also holds
the politeness to rate limits: halve the concurrency on a 429, grow it back one step at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

from audiencelab._exceptions import AudienceNotReadyError
from audiencelab._logging import log
from audiencelab._polling import Poller

__all__ = ["Chunks", "PageScheduler", "ReadinessProbe"]

# A fetched page is kept as the chunks it arrived in (~64 KB each) until its turn to be written:
# uniform small blocks are reused by the allocator, where whole ~2.5 MB pages would fragment the
# heap and make a long export's memory creep up.
Chunks = Sequence[bytes]


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
        #: Called when the last page becomes known: the runner starts the fetches it allows at
        #: once, instead of after the first page is written.
        self.on_bounded: Callable[[], None] | None = None

    @property
    def complete(self) -> bool:
        return self.last is not None and self.next_to_write > self.last

    def set_last(self, last: int | None) -> None:
        """The number of the last page, from the API's ``total_pages`` (None: unknown)."""
        if last is not None:
            self.end_at(last)
            self.bounded = True
            if self.on_bounded is not None:
                self.on_bounded()

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

    def again(self, page: int) -> None:
        """``page``, the first one, could not be written yet (the audience is still being
        built): fetch it again. Nothing else is in flight before the first page is written."""
        assert page == self.next_to_write - 1, "only the page just handed out goes back"
        assert not self.in_flight, "nothing else may be in flight"
        self.next_to_write = self.next_to_start = page

    def throttled(self) -> None:
        """A request was answered 429: be polite, halve how many run at once."""
        if self.limit > 1:
            self.limit = max(1, self.limit // 2)
            log(
                logging.INFO,
                "throttled",
                "rate limited: exporting with %d concurrent requests",
                self.limit,
            )
        self._calm = 0


class ReadinessProbe:
    """The first page of a source that may still be building (a new audience) is its readiness
    probe: a ready source costs no extra request, and one still building is asked again, with
    the backoff of a :class:`Poller`, until ``wait_timeout`` seconds have passed."""

    def __init__(
        self,
        scheduler: PageScheduler,
        wait_timeout: float,
        timed_out: Callable[[float], Exception] | None,
    ) -> None:
        self.scheduler = scheduler
        self.first = scheduler.next_to_write
        self.poller = Poller(wait_timeout) if wait_timeout > 0 and timed_out else None
        self.timed_out = timed_out

    def not_ready(self, number: int, error: AudienceNotReadyError) -> float:
        """Page ``number`` said "still being built": how long to wait before it is fetched again
        (the scheduler takes it back). Raises ``error`` when not waiting, or the timeout error."""
        if self.poller is None or self.timed_out is None or number != self.first:
            raise error
        delay = self.poller.next_delay()
        if delay is None:
            raise self.timed_out(self.poller.elapsed) from None
        self.scheduler.again(number)
        return delay
