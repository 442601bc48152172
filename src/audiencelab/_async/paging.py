"""Auto-paging iterators and polling loops, over the pure pieces (``Page.next_page``, ``Poller``).

A pager knows how to build the request for page ``n`` (an :class:`Operation`); when to stop is
decided by :meth:`Page.next_page`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio

from audiencelab._models import Page
from audiencelab._polling import Poller
from audiencelab._sansio import Operation

if TYPE_CHECKING:
    from audiencelab._async.protocol import AsyncSender

__all__ = ["AsyncPager", "poll"]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
PageT = TypeVar("PageT", bound=Page)  # type: ignore[type-arg]


class AsyncPager(Generic[PageT, ItemT]):
    """Every item across pages (``async for item in pager``); ``.pages()`` gives whole pages."""

    def __init__(
        self,
        client: AsyncSender,
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
            page = await self._client.send(self._page_op(number))
            yield page
            number = page.next_page()

    async def __aiter__(self) -> AsyncIterator[ItemT]:
        async for page in self.pages():
            for item in self._items(page):
                yield item


async def poll(
    check: Callable[[], Awaitable[ResultT | None]],
    poller: Poller,
    on_timeout: Callable[[], Exception],
) -> ResultT:
    """Call ``check`` until it returns something, sleeping as the poller says."""
    while True:
        result = await check()
        if result is not None:
            return result
        delay = poller.next_delay()
        if delay is None:
            raise on_timeout()
        await anyio.sleep(delay)


def page_items(page: Page[ItemT]) -> list[ItemT]:
    return page.data
