"""A successful answer handed over unread (``with_streaming_response``): the body is read by the
caller, in chunks, while the connection stays open for the block's duration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any, Generic, TypeVar

from audiencelab._response import ResponseInfo
from audiencelab._sansio import Response

__all__ = ["AsyncStreamedResponse"]

T = TypeVar("T")


class AsyncStreamedResponse(Generic[T]):
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

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (decoded if the server compressed it)."""
        async for chunk in self._raw.aiter_bytes(chunk_size):
            yield chunk

    async def read(self) -> bytes:
        """The whole body."""
        data: bytes = await self._raw.aread()
        return data

    async def parse(self) -> T:
        """The method's usual value (a records page...), from the whole body."""
        content = await self.read()
        return self._parse(Response(self.status_code, self.headers, content))

    def __repr__(self) -> str:
        return f"<AsyncStreamedResponse [{self.status_code}] {self.url}>"
