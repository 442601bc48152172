# Generated from audiencelab/_async/protocol.py by scripts/unasync.py: do not edit.
# Edit the async source, then run `python scripts/unasync.py`.
"""What the runners need of a client: send one operation.

Exports, Arrow record batches, ``create_many``, pagers and the live vocabularies are given an
object of this Protocol, never the client class, so that they import nothing from above them
(the clients import the runners, not the other way round). Both clients satisfy it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from audiencelab._download import BodySink
from audiencelab._http import TimeoutTypes
from audiencelab._options import RequestOptions
from audiencelab._sansio import Operation

__all__ = ["Sender", "SenderWithOptions", "with_request_options"]

T = TypeVar("T")


class Sender(Protocol):
    """A client, as the runners see it: where it sends, and how to send one operation."""

    @property
    def base_url(self) -> str: ...

    def send(
        self,
        op: Operation[T],
        /,
        *,
        options: RequestOptions | None = None,
        on_retry: Callable[[int | None], None] | None = None,
        body_to: Callable[[], BodySink] | None = None,
        max_retries: int | None = None,
        timeout: TimeoutTypes = None,
    ) -> T: ...


class SenderWithOptions:
    """A client as the runners see it, with one call's options (``extra_headers``...) applied to
    each request the runner sends: how ``export(..., extra_headers=...)`` reaches every page."""

    def __init__(self, client: Sender, options: RequestOptions) -> None:
        self._client = client
        self._options = options

    @property
    def base_url(self) -> str:
        return self._client.base_url

    def send(
        self,
        op: Operation[T],
        /,
        *,
        options: RequestOptions | None = None,
        on_retry: Callable[[int | None], None] | None = None,
        body_to: Callable[[], BodySink] | None = None,
        max_retries: int | None = None,
        timeout: TimeoutTypes = None,
    ) -> T:
        return self._client.send(
            op,
            options=self._options.merged(options),
            on_retry=on_retry,
            body_to=body_to,
            max_retries=max_retries,
            timeout=timeout,
        )


def with_request_options(client: Sender, options: RequestOptions | None) -> Sender:
    """``client``, with ``options`` applied to each of its requests (itself when None)."""
    return client if options is None else SenderWithOptions(client, options)
