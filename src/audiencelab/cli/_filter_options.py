"""The filter flags of ``audiences create`` and ``audiences preview``, built from the SDK's catalogue
of filters (``operations.FILTERS``), and merging them with ``--filters-file`` into the API's
``filters`` object.

:func:`filter_options` is the one place the flags come from: it adds one Typer option per
catalogue key that has a flag, and ``--filters-file``, to a command, and hands the command one
``filters`` mapping. :func:`flag_table` is the docs' table of the same flags.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer

from audiencelab import operations
from audiencelab.cli._errors import EXIT_USAGE, CliError
from audiencelab.cli._files import load_document, typed_text

__all__ = [
    "VALUES_PANEL",
    "AllowUnfilteredOpt",
    "NoValueChecksOpt",
    "SegmentOpt",
    "StrictValuesOpt",
    "filter_options",
    "filters_from",
    "flag_table",
    "merge_filters",
    "segment_list",
    "typed_in_filters",
    "value_checks",
]

FILTERS_PANEL = "Filters (the flags replace the same keys of --filters-file)"
F = TypeVar("F", bound=Callable[..., Any])
_FILE_PARAMETER = "filters_file"

FiltersFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--filters-file",
        help="JSON or YAML file holding the API's `filters` object (official keys).",
        metavar="PATH",
        dir_okay=False,
        rich_help_panel=FILTERS_PANEL,
    ),
]
SegmentOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--segment",
        help="Segment ID such as b2c_1253 (repeatable); see `audiencelab attributes segments`.",
        metavar="ID",
    ),
]


VALUES_PANEL = "Filter values"

StrictValuesOpt = Annotated[
    bool,
    typer.Option(
        "--strict-values",
        help="Refuse every filter value that is not in the known lists (default: only likely "
        "typos; other unknown values are sent with a warning).",
        rich_help_panel=VALUES_PANEL,
    ),
]
NoValueChecksOpt = Annotated[
    bool,
    typer.Option(
        "--no-value-checks",
        help="Do not check filter values against the known lists.",
        rich_help_panel=VALUES_PANEL,
    ),
]
AllowUnfilteredOpt = Annotated[
    bool,
    typer.Option(
        "--allow-unfiltered",
        help="Allow no filter and no segment: an audience of everyone (refused otherwise).",
        rich_help_panel=VALUES_PANEL,
    ),
]


def value_checks(strict: bool, off: bool) -> Literal["default", "strict", "off"]:
    """The SDK's ``value_checks`` policy from ``--strict-values`` and ``--no-value-checks``."""
    if strict and off:
        raise CliError(
            "--strict-values and --no-value-checks cannot be used together; drop one of them",
            EXIT_USAGE,
        )
    return "strict" if strict else "off" if off else "default"


def _parameter(spec: operations.FilterSpec) -> inspect.Parameter:
    """The Typer option of one catalogue key: repeatable for a list, a number for ages."""
    assert spec.flag is not None
    option = typer.Option(
        spec.flag, help=spec.flag_help, rich_help_panel=FILTERS_PANEL, metavar=spec.metavar
    )
    kind: Any = int | None if spec.kind == "number" else list[str] | None
    return inspect.Parameter(
        "filter_" + spec.path.replace(".", "_"),
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[kind, option],
    )


def filter_options(command: F) -> F:
    """Give ``command`` a flag for every catalogue key that has one, and ``--filters-file``, in
    place of its ``filters`` parameter, which receives the merged ``filters`` object."""
    specs = [spec for spec in operations.FILTERS if spec.flag is not None]
    flags = [_parameter(spec) for spec in specs]
    file_option = inspect.Parameter(
        _FILE_PARAMETER, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=FiltersFileOpt
    )
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name == "filters":
            parameters.extend([*flags, file_option])
        elif parameter.annotation is typer.Context or parameter.name == "ctx":
            parameters.append(parameter)
        else:  # keyword-only, so that options with defaults may come before required ones
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {spec.path: kwargs.pop(flag.name) for spec, flag in zip(specs, flags, strict=True)}
        kwargs["filters"] = filters_from(kwargs.pop(_FILE_PARAMETER), given)
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def filters_from(path: Path | None, flags: Mapping[str, Any]) -> Any:
    """The ``filters`` to send: the file (if any) with the flags (by JSON path) merged in."""
    base = load_document(path, "filters file") if path is not None else None
    return merge_filters(base, flags)


def _set(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for depth, key in enumerate(parts):
        spec = operations.FILTERS_BY_PATH[".".join(parts[: depth + 1])]
        if spec.python != key and spec.python in target and key not in target:
            target[key] = target.pop(spec.python)  # the file used the snake_case spelling
        if depth == len(parts) - 1:
            target[key] = value
            return
        inner = target.get(key)
        inner = dict(inner) if isinstance(inner, Mapping) else {}
        target[key] = inner
        target = inner


def merge_filters(base: Any, flags: Mapping[str, Any]) -> Any:
    """The filters to send: the file's object with every given flag (by the JSON path of its key)
    replacing that key, whichever spelling the file used.

    A file that is not an object is passed on unchanged, for the SDK to refuse.
    """
    given = {path: value for path, value in flags.items() if value not in (None, [], ())}
    if base is None:
        base = {}
    if not isinstance(base, Mapping):
        return base
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for path, value in given.items():
        _set(merged, path, list(value) if isinstance(value, (list, tuple)) else value)
    return merged


def flag_table() -> str:
    """The Markdown table of the filter flags (the README and docs/filters.md hold it; a test
    checks that they are current)."""
    lines = ["| Flag | Filter key | |", "|---|---|---|"]
    for spec in operations.FILTERS:
        if spec.flag is not None:
            metavar = spec.metavar.replace("|", "\\|")
            lines.append(f"| `{spec.flag} {metavar}` | `{spec.path}` | {spec.note} |")
    return "\n".join(lines)


def typed_in_filters(filters: Any) -> Callable[[tuple[str | int, ...]], str | None]:
    """For :class:`~audiencelab.cli._errors.Hints`: what the user typed at ``filters.<loc>``
    when YAML read it as something else."""

    def typed(loc: tuple[str | int, ...]) -> str | None:
        return typed_text(filters, loc[1:]) if loc[:1] == ("filters",) else None

    return typed


def segment_list(values: list[str] | None) -> list[str] | None:
    """``--segment`` values as the SDK's ``segment`` argument (None when none were given)."""
    return list(values) if values else None
