"""The allowed values of the enumerated filters, and how close a given value is to one of them.

Two kinds of vocabularies:

* **live**: the API lists them itself (``GET /audiences/attributes/{name}``): industries,
  departments, seniority levels, SIC codes and segment IDs. The clients fetch them the first time
  a filter needs them and keep them (:mod:`audiencelab._vocabulary_cache`).
* **bundled**: the labels the dashboard documents and no endpoint lists (reference §3.1.1), kept
  here with their source. Only complete lists are bundled: where the reference shows a few labels
  and an ellipsis (``netWorth``, ``credit_rating``, ``occupation_group``...), nothing is checked.

A value matches a vocabulary exactly, or up to case and spacing (it is then sent in the
vocabulary's spelling), or is *close* to one value (a likely typo: at most one edit for short
values, two for values up to 12 characters, three beyond), or is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from audiencelab._columns import RECORD_COLUMNS

__all__ = [
    "BUNDLED",
    "LIVE",
    "Match",
    "Vocabulary",
    "edit_distance",
]

MatchKind = Literal["exact", "canonical", "close", "unknown"]


def _key(value: str) -> str:
    """Case and spacing do not matter: 'Software  development' is 'software development'."""
    return "".join(value.split()).casefold()


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (insertions, deletions, substitutions and swaps of two
    neighbours), or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def closeness_limit(value: str) -> int:
    """How many edits still make a likely typo of ``value``."""
    n = len(value)
    return 1 if n <= 5 else 2 if n <= 12 else 3


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    value: str | None = None  # the vocabulary's spelling (exact, canonical) or the suggestion


@dataclass(frozen=True)
class Vocabulary:
    """The allowed values of one filter, and where they come from (for messages)."""

    values: tuple[str, ...]
    source: str
    _by_key: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, str] = {}
        for value in self.values:
            by_key.setdefault(_key(value), value)
        object.__setattr__(self, "_by_key", by_key)

    @classmethod
    def of(cls, values: Iterable[str], source: str) -> Vocabulary:
        return cls(tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v)), source)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and _key(value) in self._by_key

    def match(self, value: str) -> Match:
        known = self._by_key.get(_key(value))
        if known is not None:
            return Match("exact" if known == value else "canonical", known)
        best: str | None = None
        best_distance = 0
        key = _key(value)
        for candidate_key, candidate in self._by_key.items():
            limit = closeness_limit(candidate_key)
            distance = edit_distance(key, candidate_key, limit)
            if distance <= limit and (best is None or distance < best_distance):
                best, best_distance = candidate, distance
        return Match("close", best) if best is not None else Match("unknown")


# Sources are said in messages: no section numbers, which a reader of a message cannot follow.
_DASHBOARD = "the dashboard's labels"


def _bundled(values: Iterable[str], source: str = _DASHBOARD) -> Vocabulary:
    return Vocabulary.of(values, source)


_EDUCATION = _bundled(["high school", "bachelor's", "master's", "doctorate"])
# The record columns (reference §8), the other columns seen in live payloads, and the filter-only
# columns the dashboard's "Contact" toggles push (§3.1.1).
_COLUMNS = _bundled(
    [
        "PERSONAL_EMAILS_VALIDATION_STATUS", "DEEP_EMAILS_VALIDATION_STATUS", "VALID_PHONES",
        "SKIPTRACE_WIRELESS_NUMBERS", "SKIPTRACE_B2B_PHONE",
        *RECORD_COLUMNS,
        "PERSONAL_EMAIL", "PERSONAL_EMAIL_VALIDATION_STATUS", "BUSINESS_EMAIL_VALIDATION_STATUS",
        "PERSONAL_EMAIL_LAST_SEEN_BY_ESP_DATE", "BUSINESS_EMAIL_LAST_SEEN_BY_ESP_DATE",
        "ALL_MOBILES", "ALL_LANDLINES", "MOBILE_DNC", "LANDLINE_DNC", "AGE", "STATE", "ZIP",
        "SKIPTRACE_MATCH_BY", "SKIPTRACE_B2B_WIRELESS", "SKIPTRACE_B2B_LANDLINE",
    ],
    "the record columns and the dashboard's contact toggles",
)  # fmt: skip

#: Filter path (official JSON names) -> its bundled vocabulary.
BUNDLED: Mapping[str, Vocabulary] = {
    "businessProfile.employeeCount": _bundled(
        [
            "1 to 10", "11 to 25", "26 to 50", "51 to 100", "101 to 250", "251 to 500",
            "501 to 1000", "1001 to 5000", "5001 to 10000", "10000+",
        ]
    ),
    # "Miliion" is the dashboard's own spelling of that one label, and what its backend expects.
    "businessProfile.companyRevenue": _bundled(
        [
            "Under 1 Million", "1 Million to 5 Million", "5 Million to 10 Million",
            "10 Million to 25 Million", "25 Million to 50 Miliion", "50 Million to 100 Million",
            "100 Million to 250 Million", "250 Million to 500 Million",
            "500 Million to 1 Billion", "1 Billion and Over",
        ]
    ),
    "profile.incomeRange": _bundled(
        [
            "less than $20,000", "$20,000 to $44,999", "$45,000 to $59,999",
            "$60,000 to $74,999", "$75,000 to $99,999", "$100,000 to $149,999",
            "$150,000 to $199,999", "$200,000 to $249,999", "$250,000+",
        ]
    ),
    "profile.homeowner": _bundled(["probable homeowner 90-100", "homeowner", "renter"]),
    "profile.married": _bundled(["yes", "no"]),
    "profile.children": _bundled(["has children", "no children"]),
    "attributes.education": _EDUCATION,
    "attributes.excludeEducation": _EDUCATION,
    "attributes.credit_card_user": _bundled(["yes"]),
    "attributes.investment": _bundled(["investor"]),
    "attributes.cra_code": _bundled(
        ["low income", "moderate income", "middle income", "high income"]
    ),
    "attributes.smoker": _bundled(["yes"]),
    "attributes.marital_status": _bundled(
        ["inferred married", "inferred single", "married", "single"]
    ),
    # Sending both yes and no means no filter (§3.1.1), so both are values.
    "attributes.single_parent": _bundled(["yes", "no"]),
    "attributes.generations_in_household": _bundled(["1", "2", "3"]),
    "attributes.dwelling_type": _bundled(["multi-family", "single-family"]),
    "notNulls": _COLUMNS,
    "nullOnly": _COLUMNS,
}  # fmt: skip

#: Filter path -> the attribute whose values ``GET /audiences/attributes/{name}`` lists.
LIVE: Mapping[str, str] = {
    "businessProfile.industry": "industries",
    "businessProfile.department": "departments",
    "businessProfile.seniority": "seniority",
    "businessProfile.sic": "sic",
    "segment": "segments",
}
