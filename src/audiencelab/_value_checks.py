"""Checking the *values* of filters before they cost credits: pure, given the vocabularies.

The API accepts any value and quietly builds an audience of nobody (or of the wrong people) from a
misspelled one. Three policies:

* ``"default"``: a value that differs from a known one only in case or spacing is sent in the
  known spelling; a value close to a known one (a likely typo) is refused with it as the
  suggestion; a value close to nothing is sent, with a :class:`FilterValueWarning` (the live list
  may be newer than ours);
* ``"strict"``: every unknown value is refused;
* ``"off"``: no value checks.

Geography that cannot match (a ZIP code in another state than every state given) is refused
unless the checks are off.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from audiencelab._exceptions import FilterValueWarning, InputProblem, Loc
from audiencelab._geography import states_of_zip
from audiencelab._logging import log
from audiencelab._vocabularies import LIVE, Vocabulary

__all__ = [
    "VALUE_CHECKS",
    "ValueChecks",
    "ValueReport",
    "check_values",
    "geography_problems",
    "live_attributes",
    "warn_user",
]

ValueChecks = Literal["default", "strict", "off"]
VALUE_CHECKS: tuple[ValueChecks, ...] = ("default", "strict", "off")


@dataclass
class ValueReport:
    """What the checks made of a body: the body to send, what to refuse, what to warn about."""

    body: dict[str, Any]
    problems: list[InputProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _values_at(body: Mapping[str, Any], path: str) -> tuple[Loc, list[Any]] | None:
    """The list at ``path`` (``businessProfile.industry`` is under ``filters``; ``segment`` is
    at the top), or None."""
    parts = path.split(".")
    loc: Loc = tuple(parts) if parts[0] == "segment" else ("filters", *parts)
    node: Any = body
    for part in loc:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return (loc, node) if isinstance(node, list) else None


def live_attributes(body: Mapping[str, Any]) -> list[str]:
    """The attributes whose live lists the values of ``body`` need (``industries``...)."""
    return [name for path, name in LIVE.items() if _values_at(body, path)]


def check_values(
    body: Mapping[str, Any], vocabularies: Mapping[str, Vocabulary], policy: ValueChecks
) -> ValueReport:
    """Check (and canonicalise) the values of ``body`` that a vocabulary of ``vocabularies``
    (filter path -> vocabulary) covers. ``body`` is not changed: the report has a copy."""
    report = ValueReport(_copy(body))
    if policy == "off":
        return report
    for path, vocabulary in vocabularies.items():
        found = _values_at(report.body, path)
        if found is None:
            continue
        loc, values = found
        for i, value in enumerate(values):
            if not isinstance(value, str):
                continue
            _check_one(report, (*loc, i), values, i, value, vocabulary, policy)
    return report


def _check_one(
    report: ValueReport,
    loc: Loc,
    values: list[Any],
    index: int,
    value: str,
    vocabulary: Vocabulary,
    policy: ValueChecks,
) -> None:
    match = vocabulary.match(value)
    if match.kind == "exact":
        return
    if match.kind == "canonical":
        assert match.value is not None
        values[index] = match.value
        log(
            logging.DEBUG,
            "value_canonicalized",
            "%s: sending %r as %r",
            _path(loc),
            value,
            match.value,
        )
        return
    if match.kind == "close":
        report.problems.append(InputProblem.at(loc, f"unknown value {value!r}", match.value))
        return
    if policy == "strict":
        report.problems.append(
            InputProblem.at(
                loc,
                f"unknown value {value!r}: not among the {len(vocabulary.values):,} values of "
                f"{vocabulary.source} (value_checks='strict')",
            )
        )
        return
    report.warnings.append(
        f"{_path(loc)}: {value!r} is not among the {len(vocabulary.values):,} values of "
        f"{vocabulary.source}; it is sent as it is (the list may be newer than this check), "
        "but it may match nobody"
    )


def geography_problems(body: Mapping[str, Any], policy: ValueChecks) -> list[InputProblem]:
    """ZIP codes in another state than every state given: such an audience matches nobody."""
    if policy == "off":
        return []
    filters = body.get("filters")
    if not isinstance(filters, Mapping):
        return []
    states = {s for key in ("state", "personalState") for s in filters.get(key) or ()}
    zips = filters.get("zip") or ()
    if not states or not zips:
        return []
    problems = []
    for i, zip_code in enumerate(zips):
        where = states_of_zip(str(zip_code))
        if where and not where & states:
            problems.append(
                InputProblem.at(
                    ("filters", "zip", i),
                    f"ZIP code {zip_code} is in {'/'.join(sorted(where))}, not in any state given "
                    f"({', '.join(sorted(states))}): together they would match nobody",
                )
            )
    return problems


def warn_user(messages: Sequence[str]) -> None:
    """Issue each message as a :class:`FilterValueWarning` pointing at the caller's code."""
    for message in messages:
        warnings.warn(FilterValueWarning(message), stacklevel=_caller_level())


def _caller_level() -> int:
    """The stack level of the first frame outside this package (for ``warnings.warn``)."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("audiencelab."):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _path(loc: Loc) -> str:
    return InputProblem.at(loc, "").path


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
