"""The filter flags shared by ``audiences create`` and ``audiences preview``, and merging them
with ``--filters-file`` into the API's ``filters`` object."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from audiencelab.cli._errors import EXIT_USAGE, CliError
from audiencelab.cli._files import load_document, merge_filters, typed_text

__all__ = [
    "VALUES_PANEL",
    "AllowUnfilteredOpt",
    "CityOpt",
    "CompanyOpt",
    "EducationOpt",
    "ExcludeEducationOpt",
    "ExcludeJobTitleOpt",
    "FiltersFileOpt",
    "GenderOpt",
    "IndustryOpt",
    "JobTitleOpt",
    "MaxAgeOpt",
    "MinAgeOpt",
    "NoValueChecksOpt",
    "SegmentOpt",
    "SeniorityOpt",
    "StateOpt",
    "StrictValuesOpt",
    "ZipOpt",
    "filters_from",
    "segment_list",
    "typed_in_filters",
    "value_checks",
]

FILTERS_PANEL = "Filters (the flags replace the same keys of --filters-file)"

CityOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--city", help="City (repeatable).", rich_help_panel=FILTERS_PANEL, metavar="CITY"
    ),
]
StateOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--state",
        help="State code or name, e.g. NY or 'New York' (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="STATE",
    ),
]
ZipOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--zip", help="5-digit ZIP code (repeatable).", rich_help_panel=FILTERS_PANEL, metavar="ZIP"
    ),
]
MinAgeOpt = Annotated[
    int | None,
    typer.Option(
        "--min-age", help="Youngest age, 0-120.", rich_help_panel=FILTERS_PANEL, metavar="AGE"
    ),
]
MaxAgeOpt = Annotated[
    int | None,
    typer.Option(
        "--max-age", help="Oldest age, 0-120.", rich_help_panel=FILTERS_PANEL, metavar="AGE"
    ),
]
GenderOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--gender",
        help="M, F or U (male/female/unknown work too).",
        rich_help_panel=FILTERS_PANEL,
        metavar="M|F|U",
    ),
]
IndustryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--industry",
        help="Industry (repeatable); see `audiencelab attributes industries`.",
        rich_help_panel=FILTERS_PANEL,
        metavar="INDUSTRY",
    ),
]
SeniorityOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--seniority",
        help="Seniority (repeatable); see `audiencelab attributes seniority`.",
        rich_help_panel=FILTERS_PANEL,
        metavar="LEVEL",
    ),
]
JobTitleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--job-title",
        help="Job title (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="TITLE",
    ),
]
ExcludeJobTitleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-job-title",
        help="Job title to leave out (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="TITLE",
    ),
]
CompanyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--company",
        help="Company name (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="NAME",
    ),
]
EducationOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--education",
        help='Education, e.g. "bachelor\'s" (repeatable).',
        rich_help_panel=FILTERS_PANEL,
        metavar="LEVEL",
    ),
]
ExcludeEducationOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-education",
        help="Education to leave out (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="LEVEL",
    ),
]
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


def filters_from(path: Path | None, **flags: Any) -> Any:
    """The ``filters`` to send: the file (if any) with the flags merged in."""
    base = load_document(path, "filters file") if path is not None else None
    return merge_filters(base, flags)


def typed_in_filters(filters: Any) -> Callable[[tuple[str | int, ...]], str | None]:
    """For :class:`~audiencelab.cli._errors.Hints`: what the user typed at ``filters.<loc>``
    when YAML read it as something else."""

    def typed(loc: tuple[str | int, ...]) -> str | None:
        return typed_text(filters, loc[1:]) if loc[:1] == ("filters",) else None

    return typed


def segment_list(values: list[str] | None) -> list[str] | None:
    """``--segment`` values as the SDK's ``segment`` argument (None when none were given)."""
    return list(values) if values else None
