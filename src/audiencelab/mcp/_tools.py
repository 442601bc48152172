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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from audiencelab import AudienceLab, FilterValueWarning, InputProblem, InputValidationError
from audiencelab.mcp._errors import ErrorHints, RefusedAfterRead
from audiencelab.mcp._policy import Effect, Policy

__all__ = [
    "DEFAULT_COLUMNS",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "Columns",
    "Id",
    "Name",
    "Page",
    "PageSize",
    "PeoplePageSize",
    "ToolContext",
    "ToolSpec",
    "argument_names",
    "check_column_names",
    "closest",
    "coverage_of",
    "page_info",
    "select_columns",
    "value_warnings",
]

Row = dict[str, Any]

#: Longer IDs and names are refused as input (naming the argument) before anything is sent: no
#: real one is near, and echoing one would flood the answer.
MAX_ID_LENGTH = 200
MAX_NAME_LENGTH = 250
Id = Annotated[str, Field(max_length=MAX_ID_LENGTH)]
Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH)]
#: The columns of people shown when a call names none: who, where, what job, how to reach them.
DEFAULT_COLUMNS = (
    "FIRST_NAME",
    "LAST_NAME",
    "AGE",
    "PERSONAL_CITY",
    "PERSONAL_STATE",
    "JOB_TITLE",
    "COMPANY_NAME",
    "COMPANY_INDUSTRY",
    "BUSINESS_EMAIL",
    "PERSONAL_EMAILS",
    "MOBILE_PHONE",
)
ALL_COLUMNS = "*"

Page = Annotated[int, Field(ge=1, description="Page number, 1-based.")]
PageSize = Annotated[int, Field(ge=1, le=100, description="Items per page.")]
#: Pages of people are smaller: 50 people of the default columns stay well under the size limit
#: of one answer (the rows are sent twice: as data, and as JSON text for clients that read text).
PeoplePageSize = Annotated[int, Field(ge=1, le=50, description="People per page.")]
Columns = Annotated[
    list[str] | None,
    Field(
        max_length=100,
        description=(
            'UPPER_SNAKE columns of each person, e.g. ["FIRST_NAME", "JOB_TITLE"]; ["*"] for all. '
            "Default: name, age, city, state, job, company, industry, emails, mobile phone."
        ),
    ),
]


@dataclass(frozen=True)
class ToolContext:
    """What the tools work with: the SDK client, the export folder, which API it talks to, and
    the server's policy for tools that change things."""

    client: AudienceLab
    export_dir: Path
    sandbox: bool = False
    policy: Policy = field(default_factory=Policy)


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
    #: What it does to the world, for the policy (which effects ask the user first).
    effect: Effect = "read"

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()

    def hints(self, arguments: Sequence[str] | None = None) -> ErrorHints:
        """What its errors say: ``arguments`` are those of its input schema (by default, its
        function's parameters)."""
        names = tuple(arguments) if arguments is not None else argument_names(self.fn)
        return ErrorHints(self.name, names, self.not_found, self.timeout)


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
    """Before anything is sent: column names are UPPER_SNAKE (or ``*``, alone)."""
    if list(columns or ()) == [ALL_COLUMNS]:
        return
    problems = [
        InputProblem.at(
            ("columns", i), "columns are UPPER_SNAKE names", _upper_snake(name[:100]) or None
        )
        for i, name in enumerate(columns or ())
        if name != _upper_snake(name) or not name
    ]
    if problems:
        raise InputValidationError(problems)


def select_columns(rows: list[Row], columns: Sequence[str] | None) -> tuple[list[str], list[Row]]:
    """The rows with only ``columns`` (all when None or ``["*"]``), and the column names.

    A column that none of the rows has is refused with the closest real one (when there are rows
    to tell); the default columns are kept where the rows have them.
    """
    present: dict[str, None] = {}
    for row in rows:
        present.update(dict.fromkeys(row))
    if not columns or list(columns) == [ALL_COLUMNS]:
        return list(present), rows
    if tuple(columns) == DEFAULT_COLUMNS and rows:
        columns = [name for name in DEFAULT_COLUMNS if name in present]
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


def coverage_of(coverage: dict[str, float], columns: Sequence[str]) -> dict[str, float]:
    """The share of people with a value in each of ``columns`` (all when they are all), rounded
    to two decimals."""
    names = list(coverage) if not columns else [n for n in columns if n in coverage]
    return {name: round(coverage[name], 2) for name in names}


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
