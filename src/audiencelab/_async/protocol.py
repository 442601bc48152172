"""What the runners need of a client: send one operation.

Exports, Arrow record batches, ``create_many``, pagers and the live vocabularies are given an
object of this Protocol, never the client class, so that they import nothing from above them
(the clients import the runners, not the other way round). Both clients satisfy it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from audiencelab._download import BodySink
from audiencelab._sansio import Operation

__all__ = ["AsyncSender"]

T = TypeVar("T")


class AsyncSender(Protocol):
    """A client, as the runners see it: where it sends, and how to send one operation."""

    @property
    def base_url(self) -> str: ...

    async def send(
        self,
        op: Operation[T],
        /,
        *,
        on_retry: Callable[[int | None], None] | None = None,
        body_to: Callable[[], BodySink] | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> T: ...
