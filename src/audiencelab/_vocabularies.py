"""The allowed values of the enumerated filters, and how close a given value is to one of them.

Where they come from is the catalogue's to say (:mod:`audiencelab._catalogue`):

* **live**: the API lists them itself (``GET /audiences/attributes/{name}``): industries,
  departments, seniority levels, SIC codes and segment IDs. The clients fetch them the first time
  a filter needs them and keep them (:mod:`audiencelab._vocabulary_cache`).
* **bundled**: the labels the dashboard documents and no endpoint lists. A list is *closed* when
  it is complete, and *open* when only a few labels are known (``netWorth``, ``credit_rating``...)
  or none: then a value outside it is only warned about, as it may be one of the others.

A value matches a vocabulary exactly, or up to case and spacing (it is then sent in the
vocabulary's spelling), or is *close* to one value (a likely typo: at most one edit for short
values, two for values up to 12 characters, three beyond), or is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from audiencelab._catalogue import FILTERS, LIVE_ATTRIBUTES, FilterSpec

__all__ = [
    "BUNDLED",
    "BUNDLED_LISTS",
    "LIVE",
    "Match",
    "Vocabulary",
    "bundled_list",
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
    #: Whether ``values`` is the whole list (False: other values exist; only warned about).
    closed: bool = True
    _by_key: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, str] = {}
        for value in self.values:
            by_key.setdefault(_key(value), value)
        object.__setattr__(self, "_by_key", by_key)

    @classmethod
    def of(cls, values: Iterable[str], source: str, *, closed: bool = True) -> Vocabulary:
        kept = tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v))
        return cls(kept, source, closed)

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


_DASHBOARD = "the dashboard's labels"

#: Filter path (official JSON names) -> its bundled vocabulary (closed or not), from the catalogue.
BUNDLED: Mapping[str, Vocabulary] = {
    spec.path: Vocabulary.of(
        spec.labels,
        "the record columns" if spec.item == "column" else _DASHBOARD,
        closed=spec.closed,
    )
    for spec in FILTERS
    if spec.values == "bundled"
}

#: Filter path -> the attribute whose values ``GET /audiences/attributes/{name}`` lists.
LIVE: Mapping[str, str] = LIVE_ATTRIBUTES


def _name_key(name: str) -> str:
    """How a list's name may be written: ``income_range``, ``income-range``, ``incomeRange`` and
    ``profile.incomeRange`` are one name."""
    return "".join(c for c in name.casefold() if c.isalnum())


def _list_names() -> dict[str, FilterSpec]:
    names: dict[str, FilterSpec] = {}
    for spec in FILTERS:
        if spec.values == "bundled":
            # The snake_case name, unless an earlier list has it (attributes.net_worth, after
            # profile.netWorth): then its path.
            names[spec.python if spec.python not in names else spec.path] = spec
    return names


#: The bundled lists by name (``education``, ``income_range``, ``employee_count``...), in the
#: catalogue's order: what ``audiencelab attributes NAME`` and MCP's ``list_attribute_values``
#: list besides the API's own lists.
BUNDLED_LISTS: Mapping[str, FilterSpec] = _list_names()
_BY_KEY: dict[str, FilterSpec] = {}
for _name, _spec in BUNDLED_LISTS.items():
    for _form in (_name, _spec.path, _spec.python, _spec.leaf):
        _BY_KEY.setdefault(_name_key(_form), _spec)


def bundled_list(name: str) -> FilterSpec | None:
    """The filter whose bundled list ``name`` is (its snake_case name, its JSON name or its
    path, in any case, with ``-`` or ``_``), or None."""
    return _BY_KEY.get(_name_key(name)) if isinstance(name, str) else None
