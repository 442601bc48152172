"""Raw responses: what came back with a value (status, headers, request ID, retries), as
openai-python's ``with_raw_response`` gives it. Pure.

``client.audiences.with_raw_response.create(...)`` runs the usual method inside
:func:`capturing`; every request it sends records its final answer (:func:`record`), and the
last one is the method's: an :class:`APIResponse` whose :meth:`~APIResponse.parse` is the value
the method returns. The method itself is unchanged (its checks, retries and errors included):
a status error is still raised as such, and carries the same request ID.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

__all__ = ["APIResponse", "ResponseInfo", "capturing", "record"]

T = TypeVar("T")


@dataclass(frozen=True)
class ResponseInfo:
    """The final answer to one request, after its retries and redirects."""

    status_code: int
    headers: Mapping[str, str] = field(repr=False)
    request_id: str | None
    #: the time of the attempt that got this answer (sending, then reading its body)
    elapsed: timedelta
    #: how many times the request was repeated before this answer (redirects not counted)
    retries_taken: int
    method: str
    url: str
    #: the body as received (empty when it was streamed to a file)
    content: bytes = field(default=b"", repr=False)


_captured: ContextVar[list[ResponseInfo] | None] = ContextVar(
    "audiencelab_captured_responses", default=None
)


@contextmanager
def capturing() -> Iterator[list[ResponseInfo]]:
    """Collect the final answer of each request sent in this context (this thread or task)."""
    seen: list[ResponseInfo] = []
    token = _captured.set(seen)
    try:
        yield seen
    finally:
        _captured.reset(token)


def record(info: Callable[[], ResponseInfo]) -> None:
    """Called by the clients with each final answer; costs a lookup when nobody captures."""
    seen = _captured.get()
    if seen is not None:
        seen.append(info())


class APIResponse(Generic[T]):
    """An answer with the value made from it: ``status_code``, ``headers``, ``request_id``,
    ``elapsed``, ``retries_taken``, ``method``, ``url``, the body (``content``, ``text``,
    ``json()``), and :meth:`parse`, the usual return value of the method."""

    def __init__(self, value: T, info: ResponseInfo) -> None:
        self._value = value
        self._info = info

    @classmethod
    def of(cls, value: T, seen: list[ResponseInfo], method: str) -> APIResponse[T]:
        if not seen:  # a method that answered without a request (a cached list...)
            raise RuntimeError(f"{method} sent no request, so there is no raw response to give")
        return cls(value, seen[-1])

    def parse(self) -> T:
        """The method's usual return value (a model, a page...)."""
        return self._value

    @property
    def info(self) -> ResponseInfo:
        return self._info

    @property
    def status_code(self) -> int:
        return self._info.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """Case-insensitive: ``headers["x-request-id"]``."""
        return self._info.headers

    @property
    def request_id(self) -> str | None:
        """The API's ID of the request (``x-request-id`` or another usual header), for support."""
        return self._info.request_id

    @property
    def elapsed(self) -> timedelta:
        return self._info.elapsed

    @property
    def retries_taken(self) -> int:
        return self._info.retries_taken

    @property
    def method(self) -> str:
        return self._info.method

    @property
    def url(self) -> str:
        return self._info.url

    @property
    def content(self) -> bytes:
        return self._info.content

    @property
    def text(self) -> str:
        return self._info.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self._info.content)

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}] {self.method} {self.url}>"
