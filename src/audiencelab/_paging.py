"""Auto-paging iterators and polling, sync and async, over the same pure pieces.

A pager knows how to build the request for page ``n`` (an :class:`Operation`); when to stop is
decided by :meth:`Page.next_page`. A poller decides how long to wait between status checks.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio

from audiencelab._exceptions import InputProblem, InputValidationError
from audiencelab._models import Page
from audiencelab._sansio import Operation
from audiencelab._validate import check_seconds

if TYPE_CHECKING:
    from audiencelab._client import AsyncAudienceLab, AudienceLab

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
PageT = TypeVar("PageT", bound=Page)  # type: ignore[type-arg]


class SyncPager(Generic[PageT, ItemT]):
    """Iterate every item across pages; ``.pages()`` yields whole pages instead."""

    def __init__(
        self,
        client: AudienceLab,
        page_op: Callable[[int], Operation[PageT]],
        items: Callable[[PageT], list[ItemT]],
        first_page: int = 1,
    ) -> None:
        self._client = client
        self._page_op = page_op
        self._items = items
        self._first_page = first_page

    def pages(self) -> Iterator[PageT]:
        number: int | None = self._first_page
        while number is not None:
            page = self._client._execute(self._page_op(number))
            yield page
            number = page.next_page()

    def __iter__(self) -> Iterator[ItemT]:
        for page in self.pages():
            yield from self._items(page)


class AsyncPager(Generic[PageT, ItemT]):
    """``async for`` every item across pages; ``.pages()`` yields whole pages instead."""

    def __init__(
        self,
        client: AsyncAudienceLab,
        page_op: Callable[[int], Operation[PageT]],
        items: Callable[[PageT], list[ItemT]],
        first_page: int = 1,
    ) -> None:
        self._client = client
        self._page_op = page_op
        self._items = items
        self._first_page = first_page

    async def pages(self) -> AsyncIterator[PageT]:
        number: int | None = self._first_page
        while number is not None:
            page = await self._client._execute(self._page_op(number))
            yield page
            number = page.next_page()

    async def __aiter__(self) -> AsyncIterator[ItemT]:
        async for page in self.pages():
            for item in self._items(page):
                yield item


@dataclass
class Poller:
    """Waits between status checks: growing from ``initial`` by ``factor`` up to ``maximum``,
    never past the deadline. ``next_delay()`` is None once the time is up."""

    timeout: float
    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 15.0
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)
    _delay: float = field(init=False)

    def __post_init__(self) -> None:
        problems: list[InputProblem] = []
        check_seconds(self.timeout, problems, "timeout")
        check_seconds(self.initial, problems, "poll_interval", minimum=1e-3)
        if problems:
            raise InputValidationError(problems)
        self.started = self.clock()
        self._delay = self.initial

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def next_delay(self) -> float | None:
        left = self.timeout - self.elapsed
        if left <= 0:
            return None
        delay = min(self._delay, left)
        self._delay = min(self._delay * self.factor, self.maximum)
        return delay


def poll_sync(
    check: Callable[[], ResultT | None], poller: Poller, on_timeout: Callable[[], Exception]
) -> ResultT:
    """Call ``check`` until it returns something, sleeping as the poller says."""
    while True:
        result = check()
        if result is not None:
            return result
        delay = poller.next_delay()
        if delay is None:
            raise on_timeout()
        time.sleep(delay)


async def poll_async(
    check: Callable[[], Awaitable[ResultT | None]],
    poller: Poller,
    on_timeout: Callable[[], Exception],
) -> ResultT:
    """The async twin of :func:`poll_sync`."""
    while True:
        result = await check()
        if result is not None:
            return result
        delay = poller.next_delay()
        if delay is None:
            raise on_timeout()
        await anyio.sleep(delay)
