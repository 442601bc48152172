"""``with_raw_response``: a resource method wrapped to answer an :class:`APIResponse` (the last
request it sent: status, headers, request ID, retries) whose ``parse()`` is its usual value."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from audiencelab._response import APIResponse, capturing

__all__ = ["raw_response"]

P = ParamSpec("P")
T = TypeVar("T")


def raw_response(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[APIResponse[T]]]:
    """``method``, answering the raw response of the last request it made."""

    @functools.wraps(method)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> APIResponse[T]:
        with capturing() as seen:
            value = await method(*args, **kwargs)
        return APIResponse.of(value, seen, method.__qualname__)

    return wrapped
