"""Checking the *values* of filters before they cost credits: pure, given the vocabularies.

The API accepts any value and quietly builds an audience of nobody (or of the wrong people) from a
misspelled one. Three policies:

* ``"default"``: a value that differs from a known one only in case or spacing is sent in the
  known spelling; a value close to a known one of a complete list (a likely typo) is refused with
  it as the suggestion; any other unknown value is sent, with a :class:`FilterValueWarning` (the
  live list may be newer than ours, an open list has other labels);
* ``"strict"``: every unknown value is refused;
* ``"off"``: no value checks.

Geography that cannot match is refused unless the checks are off: a ZIP code in another state
than every state given, a city in none of the states given, a ZIP code in another state than every
city given. A misspelled large city is refused with its spelling; a city USPS does not know, or a
ZIP code in another city than those given, is warned about.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from audiencelab._exceptions import FilterValueWarning, InputProblem, Loc
from audiencelab._geography import (
    Gazetteer,
    city_key,
    gazetteer,
    installed,
    place_of_zip,
    quick_states_of_city,
    states_of_zip,
)
from audiencelab._logging import log
from audiencelab._vocabularies import Vocabulary

__all__ = [
    "VALUE_CHECKS",
    "ValueChecks",
    "ValueReport",
    "check_geography",
    "check_values",
    "warn_user",
]

ValueChecks = Literal["default", "strict", "off"]
VALUE_CHECKS: tuple[ValueChecks, ...] = ("default", "strict", "off")
_SHOWN = 6  # labels named in a message about an open list


@dataclass
class ValueReport:
    """What the checks made of a body: the body to send, what to refuse, what to warn about."""

    body: dict[str, Any]
    problems: list[InputProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def values_at(body: Mapping[str, Any], path: str) -> tuple[Loc, list[Any]] | None:
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


def check_values(
    body: Mapping[str, Any], vocabularies: Mapping[str, Vocabulary], policy: ValueChecks
) -> ValueReport:
    """Check (and canonicalise) the values of ``body`` that a vocabulary of ``vocabularies``
    (filter path -> vocabulary) covers. ``body`` is not changed: the report has a copy."""
    report = ValueReport(_copy(body))
    if policy == "off":
        return report
    for path, vocabulary in vocabularies.items():
        found = values_at(report.body, path)
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
    if not vocabulary.closed:
        _open_list(report, loc, value, vocabulary, policy, match.value)
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


def _open_list(
    report: ValueReport,
    loc: Loc,
    value: str,
    vocabulary: Vocabulary,
    policy: ValueChecks,
    close: str | None,
) -> None:
    """A value outside a list known to be incomplete: it may be one of the labels not known
    here, so only strict refuses it; the default says so (never silence)."""
    if vocabulary.values:
        shown = ", ".join(repr(v) for v in vocabulary.values[:_SHOWN])
        known = f"not among the labels known here ({shown}; the list is incomplete)"
    else:
        known = "not checked: no list of this filter's labels is published"
    guess = f"; did you mean {close!r}?" if close is not None else ""
    if policy == "strict":
        report.problems.append(
            InputProblem.at(
                loc,
                f"unknown value {value!r}: {known} (value_checks='strict' sends only known labels)",
                close,
            )
        )
        return
    report.warnings.append(
        f"{_path(loc)}: {value!r} is {known}{guess}; it is sent as it is, but a label the API "
        "does not know matches nobody: use the dashboard's exact spelling"
    )


# -- geography ---------------------------------------------------------------------------------


def _states(filters: Mapping[str, Any]) -> set[str]:
    return {
        s
        for key in ("state", "personalState")
        for s in filters.get(key) or ()
        if isinstance(s, str)
    }


def _listed(states: Iterable[str], limit: int = 8) -> str:
    ordered = list(states) if isinstance(states, tuple) else sorted(states)
    more = f" and {len(ordered) - limit} more" if len(ordered) > limit else ""
    return ", ".join(ordered[:limit]) + more


def check_geography(filters: Mapping[str, Any], policy: ValueChecks, report: ValueReport) -> None:
    """Locations that cannot match together (refused) or may match nobody (warned about).

    ``filters`` holds official keys, states as codes. The gazetteer is loaded only when a city is
    given."""
    if policy == "off":
        return
    states = _states(filters)
    zips = [(i, z) for i, z in enumerate(filters.get("zip") or ()) if isinstance(z, str)]
    for i, zip_code in zips:
        where = states_of_zip(zip_code)
        if states and where and not where & states:
            report.problems.append(
                InputProblem.at(
                    ("filters", "zip", i),
                    f"ZIP code {zip_code} is in {'/'.join(sorted(where))}, not in any state given "
                    f"({', '.join(sorted(states))}): together they would match nobody",
                )
            )
    cities = [(i, c) for i, c in enumerate(filters.get("city") or ()) if isinstance(c, str)]
    if not cities:
        return
    if not installed():
        report.warnings.append(
            "filters.city: not checked against US cities: the zipcodes package is not installed"
        )
        return
    city_states = _check_cities(cities, frozenset(states), policy, report)
    if city_states is not None:
        _check_zips_in_cities(zips, cities, city_states, states, report)


def _full() -> Gazetteer:
    places = gazetteer()
    assert places is not None  # installed() said so
    return places


def _check_cities(
    cities: list[tuple[int, str]],
    states: frozenset[str],
    policy: ValueChecks,
    report: ValueReport,
) -> frozenset[str] | None:
    """Each city against the states given; the states of all the cities given, or None when one
    is unknown (then ZIP codes cannot be checked against the cities). A city found quickly under
    its usual spelling in a state given needs no more; anything else (an unknown city, a city in
    none of the states given) is decided by the whole gazetteer."""
    union: set[str] = set()
    all_known = True
    for i, city in cities:
        loc = ("filters", "city", i)
        where = quick_states_of_city(city)
        if where is not None and (not states or where & states):
            union |= where
            continue
        places = _full()
        where = places.states_of_city(city)
        if where is not None:
            union |= where
            if states and not where & states:
                report.problems.append(
                    InputProblem.at(
                        loc,
                        f"{city!r} is a city of {_listed(places.ranked[city_key(city)])}, not of "
                        "any state given "
                        f"({_listed(states)}): together they would match nobody",
                    )
                )
            continue
        all_known = False
        guess = places.closest_city(city, states)
        spelled = places.spelling[guess] if guess is not None else None
        within = f" in {_listed(states)}" if states else ""
        if guess is not None and (policy == "strict" or places.is_large(guess)):
            report.problems.append(InputProblem.at(loc, f"unknown city {city!r}{within}", spelled))
        elif policy == "strict":
            report.problems.append(
                InputProblem.at(
                    loc,
                    f"unknown city {city!r}: not a US city{within} of {places.source} "
                    "(value_checks='strict')",
                )
            )
        else:
            hint = f"; did you mean {spelled!r}?" if spelled is not None else ""
            report.warnings.append(
                f"{_path(loc)}: {city!r} is not a US city{within} that USPS knows{hint}; it is "
                "sent as it is, but it may match nobody"
            )
    return frozenset(union) if all_known else None


def _check_zips_in_cities(
    zips: list[tuple[int, str]],
    cities: list[tuple[int, str]],
    city_states: frozenset[str],
    states: set[str],
    report: ValueReport,
) -> None:
    keys = {city_key(c) for _, c in cities}
    named = ", ".join(c for _, c in cities)
    confirmed = False
    for i, zip_code in zips:
        place = place_of_zip(zip_code)
        if place is None:
            continue
        loc = ("filters", "zip", i)
        if place.state not in city_states and not confirmed:
            # The quick look-up knows main city names only: confirm with every accepted name.
            full = _full()
            city_states = city_states.union(*(full.states_of_city(c) or () for _, c in cities))
            confirmed = True
        if place.state not in city_states:
            if not states or place.state in states:  # else already refused for the state
                report.problems.append(
                    InputProblem.at(
                        loc,
                        f"ZIP code {zip_code} is in {place.city}, {place.state}, and no city given "
                        f"is in {place.state} ({named}): together they would match nobody",
                    )
                )
        elif not place.cities & keys:
            report.warnings.append(
                f"{_path(loc)}: ZIP code {zip_code} is in {place.city}, {place.state}, not in any "
                f"city given ({named}); it may match nobody"
            )


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
