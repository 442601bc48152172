"""The plan of a create or a preview: every check, once, for every front end. Pure.

A request (name, filters, segment...) and the API's value lists that could be had go in; a
:class:`Plan` comes out: every problem found at once (the structure of the filters, their values
against the bundled and the live lists, geography, an unfiltered audience, ``min_count``), the
exact body to send, the warnings, and which live lists the values needed. The clients'
``create``, ``preview`` and ``create_many``, :mod:`audiencelab.operations`, the CLI's ``--dry-run``
and the MCP tools' ``dry_run`` all run this same plan: a dry run refuses exactly what a send
refuses, and shows exactly the bytes that would be sent.

The structural checks do not hide the others: when the filters cannot be parsed, their values
are still read as far as they can be and checked, so that one answer names an inverted age range
and a misspelled industry together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audiencelab._catalogue import FILTERS, LIVE_ATTRIBUTES, by_path
from audiencelab._exceptions import FilterValidationError, InputProblem, Loc, PassArgument
from audiencelab._filters import AudienceFilters, parse_filters, state_code
from audiencelab._validate import (
    check_bool,
    check_name,
    check_positive_int,
    describe,
    normalize_segments,
    segment_problem,
)
from audiencelab._value_checks import (
    VALUE_CHECKS,
    ValueChecks,
    check_geography,
    check_values,
    values_at,
    warn_user,
)
from audiencelab._vocabularies import BUNDLED, Vocabulary

__all__ = [
    "NO_LISTS",
    "Plan",
    "ValueLists",
    "audience_body",
    "check_policy",
    "needed_lists",
    "plan_create",
    "plan_preview",
]

FiltersInput = AudienceFilters | Mapping[str, Any]
SegmentInput = str | Sequence[str] | None
#: ``days_back`` of a preview: required by the API, 1-10.
PREVIEW_DAYS_BACK_MAX = 10
PREVIEW_DAYS_BACK_DEFAULT = 7
PREVIEW_LIMIT_MAX = 500
_PATH_OF = {attribute: path for path, attribute in LIVE_ATTRIBUTES.items()}


@dataclass(frozen=True)
class ValueLists:
    """The API's own lists of allowed values (``GET /audiences/attributes/{name}``) a plan checks
    against: those that could be had, and why the others could not.

    ``asked`` is False when no client was asked (the bundled lists alone): the plan says which
    values it could therefore not check."""

    found: Mapping[str, Vocabulary] = field(default_factory=dict)
    missing: Mapping[str, str] = field(default_factory=dict)
    asked: bool = True


#: No client: the bundled lists alone.
NO_LISTS = ValueLists(asked=False)


@dataclass(frozen=True)
class Plan:
    """What a create or a preview would do: the body to send, or every problem with it."""

    body: dict[str, Any] | None  #: the exact JSON to send (None when there are problems)
    problems: tuple[InputProblem, ...] = ()
    warnings: tuple[str, ...] = ()
    needed: tuple[str, ...] = ()  #: the live lists the values needed (``industries``...)
    checked: tuple[str, ...] = ()  #: those the values were checked against

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        """Raise :class:`FilterValidationError` with every problem, if there is any."""
        if self.problems:
            raise FilterValidationError(list(self.problems))

    def checked_body(self) -> dict[str, Any]:
        """The body, after raising for the problems and issuing the warnings (as
        :class:`FilterValueWarning` s): what a send does first."""
        self.raise_for_problems()
        warn_user(self.warnings)
        assert self.body is not None
        return self.body


def check_policy(value_checks: object, problems: list[InputProblem]) -> None:
    if value_checks not in VALUE_CHECKS:
        problems.append(
            InputProblem(
                "value_checks",
                f"expected one of {', '.join(map(repr, VALUE_CHECKS))}, got {describe(value_checks)}",
            )
        )


def audience_body(
    problems: list[InputProblem],
    filters: FiltersInput,
    segment: SegmentInput,
    days_back: int | None,
    *,
    days_back_max: int | None = None,
) -> dict[str, Any]:
    """``filters``, ``segment`` and ``days_back`` as sent by create and preview, checked."""
    body: dict[str, Any] = {}
    try:
        body["filters"] = parse_filters(filters).to_wire()
    except FilterValidationError as exc:
        problems.extend(exc.problems)
    segments = normalize_segments(segment, problems)
    if segments is not None:
        body["segment"] = segments
    if days_back is not None:
        check_positive_int(days_back, problems, "days_back", maximum=days_back_max)
        body["days_back"] = days_back
    return body


def needed_lists(
    filters: object, segment: object = None, value_checks: object = "default"
) -> tuple[str, ...]:
    """The live lists the values of a request need (``industries``, ``segments``...), read from
    the raw input as far as it can be (it may have other problems)."""
    if value_checks == "off" or value_checks not in VALUE_CHECKS:
        return ()
    readable = _readable(filters, segment)
    needed = []
    for path, attribute in LIVE_ATTRIBUTES.items():
        found = values_at(readable, path)
        values = found[1] if found is not None else []
        if path == "segment":  # only IDs that are well formed are worth looking up
            values = [v for i, v in enumerate(values) if segment_problem(v, ("segment", i)) is None]
        if any(isinstance(v, str) and v.strip() for v in values):
            needed.append(attribute)
    return tuple(needed)


def _readable(filters: object, segment: object) -> dict[str, Any]:
    """What can be read of raw filters, by their official keys (either spelling accepted): the
    lists of strings at each list key, states as codes. For the value checks when the structure
    has problems; what cannot be read is left out (its problem is already reported)."""
    out: dict[str, Any] = {"filters": {}}
    if isinstance(filters, AudienceFilters):
        filters = filters.to_wire()
    if isinstance(segment, str):
        out["segment"] = [segment]
    elif isinstance(segment, (list, tuple)):
        out["segment"] = list(segment)
    if not isinstance(filters, Mapping):
        return out
    for spec in FILTERS:
        if spec.kind != "list":
            continue
        node: Any = filters
        parts = spec.path.split(".")
        for depth in range(len(parts)):
            row = by_path(".".join(parts[: depth + 1]))
            if not isinstance(node, Mapping):
                node = None
                break
            node = node.get(row.leaf, node.get(row.python))
        if isinstance(node, str):
            node = [node]
        if not isinstance(node, (list, tuple)) or not node:
            continue
        values: list[Any] = list(node)
        if spec.item == "state":
            values = [state_code(v) if isinstance(v, str) else None for v in values]
        elif spec.item == "zip":
            values = [v.strip() if isinstance(v, str) else None for v in values]
        target = out["filters"]
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = values
    return out


def _check_all(
    body: dict[str, Any],
    problems: list[InputProblem],
    filters: object,
    segment: object,
    value_checks: object,
    lists: ValueLists,
) -> Plan:
    """The value, list and geography checks, next to the ``problems`` found so far."""
    warnings: list[str] = []
    needed = needed_lists(filters, segment, value_checks)
    checked: list[str] = []
    if value_checks not in VALUE_CHECKS or value_checks == "off":
        return _plan(body, problems, warnings, needed, checked)
    policy: ValueChecks = value_checks
    vocabularies: dict[str, Vocabulary] = dict(BUNDLED)
    for attribute in needed:
        path = _PATH_OF[attribute]
        found = lists.found.get(attribute)
        if found is not None:
            vocabularies[path] = found
            checked.append(attribute)
        else:
            _unchecked(path, attribute, lists, policy, problems, warnings)
    # Parsed filters are checked (and re-spelled) in the body itself; filters with structural
    # problems are read as far as they can be, and their values checked all the same.
    structural = "filters" not in body
    target = _readable(filters, segment) if structural else body
    report = check_values(target, vocabularies, policy)
    check_geography(report.body.get("filters") or {}, policy, report)
    seen = {p.loc for p in problems}
    problems.extend(p for p in report.problems if p.loc not in seen)
    warnings.extend(report.warnings)
    return _plan(body if structural else report.body, problems, warnings, needed, checked)


def _unchecked(
    path: str,
    attribute: str,
    lists: ValueLists,
    policy: ValueChecks,
    problems: list[InputProblem],
    warnings: list[str],
) -> None:
    where = path if path == "segment" else f"filters.{path}"
    if not lists.asked:
        warnings.append(
            f"{where}: not checked against the API's list of {attribute} (no client to fetch "
            "it: checked against the bundled lists only)"
        )
        return
    why = lists.missing.get(attribute, "it could not be fetched")
    if policy == "strict":
        loc: Loc = tuple(where.split("."))
        problems.append(
            InputProblem.at(
                loc,
                f"cannot be checked: the API's list of {attribute} could not be had ({why}); "
                "value_checks='strict' sends nothing it cannot check: try again, or use "
                "value_checks='default'",
            )
        )
        return
    warnings.append(
        f"{where}: not checked: the API's list of {attribute} could not be had ({why}); the "
        "values are sent as they are"
    )


def _plan(
    body: dict[str, Any],
    problems: list[InputProblem],
    warnings: list[str],
    needed: Iterable[str],
    checked: Iterable[str],
) -> Plan:
    return Plan(
        None if problems else body,
        tuple(problems),
        tuple(dict.fromkeys(warnings)),
        tuple(needed),
        tuple(checked),
    )


def plan_create(
    name: object,
    filters: FiltersInput,
    segment: SegmentInput = None,
    days_back: int | None = None,
    *,
    allow_unfiltered: bool = False,
    value_checks: ValueChecks = "default",
    min_count: int | None = None,
    lists: ValueLists = NO_LISTS,
) -> Plan:
    """The plan of ``POST /audiences``: every argument checked, the exact body built.

    Refused: filters that select nothing in particular (no filter and no segment) unless
    ``allow_unfiltered``; geography that cannot match; values that are likely typos, or unknown
    with ``value_checks="strict"``; a ``min_count`` that is not a whole number >= 0.
    """
    problems: list[InputProblem] = []
    check_name(name, problems)
    check_bool(allow_unfiltered, problems, "allow_unfiltered")
    check_policy(value_checks, problems)
    if min_count is not None:
        check_positive_int(min_count, problems, "min_count", minimum=0)
    body = {"name": name, **audience_body(problems, filters, segment, days_back)}
    if "filters" in body and not body["filters"] and "segment" not in body and not allow_unfiltered:
        problems.append(
            InputProblem(
                "filters",
                "no filter and no segment: this would build an unfiltered audience of everyone",
                remedy=PassArgument("allow_unfiltered", True, "if that is what you want"),
            )
        )
    return _check_all(body, problems, filters, segment, value_checks, lists)


def plan_preview(
    filters: FiltersInput,
    segment: SegmentInput = None,
    days_back: int = PREVIEW_DAYS_BACK_DEFAULT,
    limit: int | None = None,
    score: bool | None = None,
    include_dnc: bool | None = None,
    *,
    value_checks: ValueChecks = "default",
    lists: ValueLists = NO_LISTS,
) -> Plan:
    """The plan of ``POST /audiences/preview``, checked like :func:`plan_create` (an unfiltered
    preview is allowed: it only counts)."""
    problems: list[InputProblem] = []
    check_policy(value_checks, problems)
    body = audience_body(problems, filters, segment, days_back, days_back_max=PREVIEW_DAYS_BACK_MAX)
    if limit is not None:
        check_positive_int(limit, problems, "limit", minimum=0, maximum=PREVIEW_LIMIT_MAX)
        body["limit"] = limit
    for name, flag in (("score", score), ("include_dnc", include_dnc)):
        if flag is not None:
            check_bool(flag, problems, name)
            body[name] = flag
    return _check_all(body, problems, filters, segment, value_checks, lists)
