"""What every operation shares: paging parameters, raising the problems found, reading bodies."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pydantic_core

from audiencelab._exceptions import CallMethod, InputProblem, InputValidationError, NotFoundError
from audiencelab._models import Page
from audiencelab._sansio import Operation, Response
from audiencelab._validate import check_positive_int

T = TypeVar("T")

MAX_PAGE_SIZE = 1000


def raise_if(
    problems: list[InputProblem], cls: type[InputValidationError] = InputValidationError
) -> None:
    """Raise ``cls`` listing every problem, if there is any."""
    if problems:
        raise cls(problems)


def check_paging(page: int, page_size: int, problems: list[InputProblem]) -> None:
    check_positive_int(page, problems, "page")
    check_positive_int(page_size, problems, "page_size", maximum=MAX_PAGE_SIZE)


def paging_params(page: int, page_size: int) -> list[tuple[str, str]]:
    problems: list[InputProblem] = []
    check_paging(page, page_size, problems)
    raise_if(problems)
    return [("page", str(page)), ("page_size", str(page_size))]


def not_found_among(what: str, item_id: str, list_path: str, list_method: str) -> NotFoundError:
    """No such item among every item of the key's list (the API has no lookup by ID for it)."""
    return NotFoundError(
        f"no {what} {item_id} among this key's {what}s",
        status_code=404,
        method="GET",
        url=list_path,
        remedy=CallMethod(list_method, purpose="to list them"),
    )


def json_object(response: Response) -> dict[str, Any]:
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object, got {type(body).__name__}")
    return body


def model(cls: Callable[..., T]) -> Callable[[Response], T]:
    """A parser building ``cls`` from a JSON object body."""

    def parse(response: Response) -> T:
        return cls(**json_object(response))

    return parse


def parse_json(content: bytes) -> Any:
    """JSON from a (large) body, a page of records: orjson when it is installed (the ``sandbox``
    extra brings it; it reads a page of 1,000 people in about 0.8 of pydantic-core's time, see
    docs/benchmarks.md), else pydantic-core's parser; both share the repeated column names.
    What orjson refuses (``NaN``, a BOM...) goes to pydantic-core, which reads it or says why
    not, as before. One difference is known and kept: orjson reads an integer beyond 64 bits as
    a float, pydantic-core as an int; the API's records hold strings (reference §8)."""
    loads = _orjson_loads()
    if loads is not None:
        try:
            return loads(content)
        except ValueError:  # orjson.JSONDecodeError
            pass
    return pydantic_core.from_json(content, cache_strings="keys")


@functools.cache
def _orjson_loads() -> Callable[[bytes], Any] | None:
    """``orjson.loads`` if orjson is installed (looked for once, on the first page read)."""
    try:
        import orjson
    except ImportError:
        return None
    loads: Callable[[bytes], Any] = orjson.loads
    return loads


def raw(op: Operation[Any]) -> Operation[bytes]:
    """The same request as ``op``, answered with the raw body (for exports)."""
    return Operation(op.method, op.path, params=op.params, parse=lambda r: r.content)


@dataclass(frozen=True)
class PagedSource:
    """Something an export pages through: its identity (checked on resume), how to request page
    ``n`` of size ``page_size`` as raw bytes, and how to read such a page.

    ``wait_timed_out`` is given for sources that may not be ready yet (a new audience): reading
    a page then raises :class:`AudienceNotReadyError`, and this makes the error to raise when
    waiting for it took too long (it is given the seconds waited).
    """

    source: str
    page_op: Callable[[int, int], Operation[bytes]]
    read_page: Callable[[bytes], Page[Any]]
    wait_timed_out: Callable[[float], Exception] | None = None
    #: the columns its records are known to have: the header of an export without rows
    columns: Sequence[str] = ()
