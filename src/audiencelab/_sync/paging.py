# Generated from audiencelab/_async/paging.py by scripts/unasync.py: do not edit.
# Edit the async source, then run `python scripts/unasync.py`.
"""Auto-paging iterators and polling loops, over the pure pieces (``Page.next_page``, ``Poller``).

A pager knows how to build the request for page ``n`` (an :class:`Operation`); when to stop is
decided by :meth:`Page.next_page`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from audiencelab._models import Page
from audiencelab._polling import Poller
from audiencelab._sansio import Operation

if TYPE_CHECKING:
    from audiencelab._sync.protocol import Sender

__all__ = ["Pager", "poll"]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
PageT = TypeVar("PageT", bound=Page)  # type: ignore[type-arg]


class Pager(Generic[PageT, ItemT]):
    """Every item across pages (``for item in pager``); ``.pages()`` gives whole pages."""

    def __init__(
        self,
        client: Sender,
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
            page = self._client.send(self._page_op(number))
            yield page
            number = page.next_page()

    def __iter__(self) -> Iterator[ItemT]:
        for page in self.pages():
            yield from self._items(page)


def poll(
    check: Callable[[], ResultT | None],
    poller: Poller,
    on_timeout: Callable[[], Exception],
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


def page_items(page: Page[ItemT]) -> list[ItemT]:
    return page.data
