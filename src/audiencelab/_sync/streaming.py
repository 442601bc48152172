# Generated from audiencelab/_async/streaming.py by scripts/unasync.py: do not edit.
# Edit the async source, then run `python scripts/unasync.py`.
"""A successful answer handed over unread (``with_streaming_response``): the body is read by the
caller, in chunks, while the connection stays open for the block's duration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, Generic, TypeVar

from audiencelab._response import ResponseInfo
from audiencelab._sansio import Response

__all__ = ["StreamedResponse"]

T = TypeVar("T")


class StreamedResponse(Generic[T]):
    """``status_code``, ``headers``, ``request_id``, ``retries_taken``, ``elapsed`` (until the
    head arrived), the body as ``iter_bytes()`` or ``read()``, and ``parse()`` (reads it all,
    then makes the method's usual value)."""

    def __init__(self, raw: Any, info: ResponseInfo, parse: Callable[[Response], T]) -> None:
        self._raw = raw
        self._info = info
        self._parse = parse

    @property
    def info(self) -> ResponseInfo:
        return self._info

    @property
    def status_code(self) -> int:
        return self._info.status_code

    @property
    def headers(self) -> Any:
        return self._info.headers

    @property
    def request_id(self) -> str | None:
        return self._info.request_id

    @property
    def retries_taken(self) -> int:
        return self._info.retries_taken

    @property
    def elapsed(self) -> timedelta:
        return self._info.elapsed

    @property
    def url(self) -> str:
        return self._info.url

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body in chunks as they arrive (decoded if the server compressed it)."""
        yield from self._raw.iter_bytes(chunk_size)

    def read(self) -> bytes:
        """The whole body."""
        data: bytes = self._raw.read()
        return data

    def parse(self) -> T:
        """The method's usual value (a records page...), from the whole body."""
        content = self.read()
        return self._parse(Response(self.status_code, self.headers, content))

    def __repr__(self) -> str:
        return f"<StreamedResponse [{self.status_code}] {self.url}>"
