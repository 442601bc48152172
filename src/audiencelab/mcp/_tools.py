"""What every tool shares: the context it runs in, how it is declared, the argument types with
their descriptions, and column selection."""

from __future__ import annotations

import contextlib
import difflib
import inspect
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from audiencelab import AudienceLab, FilterValueWarning, InputProblem, InputValidationError
from audiencelab.mcp._errors import ErrorHints, RefusedAfterRead

__all__ = [
    "Columns",
    "Page",
    "PageSize",
    "ToolContext",
    "ToolSpec",
    "argument_names",
    "check_column_names",
    "closest",
    "page_info",
    "select_columns",
    "value_warnings",
]

Row = dict[str, Any]

Page = Annotated[int, Field(ge=1, description="Page number, 1-based.")]
PageSize = Annotated[
    int, Field(ge=1, le=100, description="Items per page, 1-100 (small pages keep answers short).")
]
Columns = Annotated[
    list[str] | None,
    Field(
        description=(
            "Only these columns of each person (UPPER_SNAKE names, e.g. FIRST_NAME, "
            "PERSONAL_CITY, JOB_TITLE, BUSINESS_EMAIL); every column when omitted."
        )
    ),
]


@dataclass(frozen=True)
class ToolContext:
    """What the tools work with: the SDK client, the export folder, and which API it talks to."""

    client: AudienceLab
    export_dir: Path
    sandbox: bool = False


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its function and how it behaves (the MCP annotations are derived from this).

    Functions are sync on purpose: the SDK client is synchronous, and the MCP server runs sync
    tools on worker threads, so that a slow call never blocks the others. They raise freely: the
    server turns every exception into a tool error (see ``AudienceLabMCP.call_tool``).
    """

    name: str
    fn: Callable[..., Any]
    description: str
    read_only: bool
    destructive: bool = False
    idempotent: bool = False
    not_found: str = ""
    timeout: str = ""
    #: The SDK's pure checks of the arguments (``audiencelab.operations``), run on their own when
    #: a call is refused for another reason, so that every problem is reported at once.
    check: Callable[..., object] | None = None

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()

    def hints(self) -> ErrorHints:
        return ErrorHints(self.name, argument_names(self.fn), self.not_found, self.timeout)


def argument_names(fn: Callable[..., Any]) -> tuple[str, ...]:
    return tuple(inspect.signature(fn).parameters)


def _norm(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "").replace(" ", "")


def closest(word: str, choices: Sequence[str], cutoff: float = 0.75) -> str | None:
    """The choice closest to ``word``, ignoring case, ``_`` and ``-``."""
    by_norm = {_norm(choice): choice for choice in choices}
    if _norm(word) in by_norm:
        return by_norm[_norm(word)]
    match = difflib.get_close_matches(_norm(word), list(by_norm), n=1, cutoff=cutoff)
    return by_norm[match[0]] if match else None


def _upper_snake(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip()).upper()


def check_column_names(columns: Sequence[str] | None) -> None:
    """Before anything is sent: column names are UPPER_SNAKE."""
    problems = [
        InputProblem.at(("columns", i), "columns are UPPER_SNAKE names", _upper_snake(name) or None)
        for i, name in enumerate(columns or ())
        if name != _upper_snake(name) or not name
    ]
    if problems:
        raise InputValidationError(problems)


def select_columns(rows: list[Row], columns: Sequence[str] | None) -> tuple[list[str], list[Row]]:
    """The rows with only ``columns`` (all when None), and the column names.

    A column that none of the rows has is refused with the closest real one (when there are rows
    to tell).
    """
    present: dict[str, None] = {}
    for row in rows:
        present.update(dict.fromkeys(row))
    if not columns:
        return list(present), rows
    wanted = list(dict.fromkeys(columns))
    if rows:
        problems = [
            InputProblem.at(
                ("columns", i), "no such column in these records", closest(name, list(present))
            )
            for i, name in enumerate(columns)
            if name not in present
        ]
        if problems:
            raise RefusedAfterRead(problems)
    return wanted, [{name: row.get(name) for name in wanted} for row in rows]


_WARNINGS = threading.Lock()  # warnings.catch_warnings changes process-wide state


@contextlib.contextmanager
def value_warnings() -> Iterator[list[str]]:
    r"""The SDK's :class:`FilterValueWarning`\ s issued in the block (values sent although they
    are not in the known lists), for the model to read instead of stderr."""
    found: list[str] = []
    with _WARNINGS, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FilterValueWarning)
        yield found
    found.extend(str(w.message) for w in caught if issubclass(w.category, FilterValueWarning))


def page_info(page: Any, number: int, size: int, count: int) -> dict[str, Any]:
    """The paging fields of a result, from an SDK page."""
    has_more = page.next_page() is not None and count > 0
    return {
        "page": number,
        "page_size": size,
        "total_records": page.total_records,
        "total_pages": page.total_pages,
        "has_more": has_more,
    }
