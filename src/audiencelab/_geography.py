"""US geography: which state a ZIP code is in, and which cities a state has.

Two sources, both pure look-ups:

* the state of a ZIP code from its first three digits (the USPS prefix assignment), compressed to
  ranges below: cheap, always there. Prefixes of military mail (AA, AE, AP) and of no state are
  absent: nothing is checked for them. A few ZIP codes are delivered across a state line; they
  are listed with both states, so that they are never refused;
* the *gazetteer*: every ZIP code with its city and the city names USPS accepts for it, from the
  ``zipcodes`` package (MIT; refreshed monthly from USPS data), read only when a check involves
  a city. A city is first looked up by its usual spellings in the package's own (compiled) index,
  which costs only the data set's decompression; the whole gazetteer (every name USPS accepts,
  for suggestions and for confirming a refusal) is built only when that is not enough.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from audiencelab._logging import log

__all__ = [
    "Gazetteer",
    "Place",
    "city_key",
    "gazetteer",
    "installed",
    "place_of_zip",
    "quick_states_of_city",
    "states_of_zip",
]

# (first prefix, last prefix, state), in order. Sources: USPS ZIP code prefix assignments
# (Publication 65 / the National Five-Digit ZIP Code and Post Office Directory).
_RANGES: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NY"), (6, 7, "PR"), (8, 8, "VI"), (9, 9, "PR"),
    (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"), (39, 49, "ME"), (50, 54, "VT"),
    (55, 55, "MA"), (56, 59, "VT"), (60, 69, "CT"), (70, 89, "NJ"),
    (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"), (200, 200, "DC"), (201, 201, "VA"),
    (202, 205, "DC"), (206, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"), (270, 289, "NC"),
    (290, 299, "SC"), (300, 319, "GA"), (320, 339, "FL"), (341, 349, "FL"), (350, 369, "AL"),
    (370, 385, "TN"), (386, 397, "MS"), (398, 399, "GA"), (400, 427, "KY"), (430, 459, "OH"),
    (460, 479, "IN"), (480, 499, "MI"), (500, 528, "IA"), (530, 549, "WI"), (550, 567, "MN"),
    (569, 569, "DC"), (570, 577, "SD"), (580, 588, "ND"), (590, 599, "MT"), (600, 629, "IL"),
    (630, 658, "MO"), (660, 679, "KS"), (680, 693, "NE"), (700, 714, "LA"), (716, 729, "AR"),
    (730, 732, "OK"), (733, 733, "TX"), (734, 749, "OK"), (750, 799, "TX"), (800, 816, "CO"),
    (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"), (850, 865, "AZ"), (870, 884, "NM"),
    (885, 885, "TX"), (889, 898, "NV"), (900, 961, "CA"), (967, 968, "HI"), (969, 969, "GU"),
    (970, 979, "OR"), (980, 994, "WA"), (995, 999, "AK"),
)  # fmt: skip

# Prefixes shared by more than one state or territory (American Samoa's 96799 is in Hawaii's
# 967; Guam's 969 also serves the Northern Mariana Islands).
_SHARED: Mapping[int, frozenset[str]] = {
    967: frozenset({"HI", "AS"}),
    969: frozenset({"GU", "MP"}),
}

# ZIP codes delivered on both sides of a state line.
_STRADDLING: Mapping[str, frozenset[str]] = {
    "20135": frozenset({"VA", "WV"}),  # Bluemont
    "42223": frozenset({"KY", "TN"}),  # Fort Campbell
    "59221": frozenset({"MT", "ND"}),  # Fairview
    "71749": frozenset({"AR", "LA"}),  # Junction City
    "73949": frozenset({"OK", "TX"}),  # Texhoma
    "84536": frozenset({"UT", "AZ"}),  # Monument Valley
    "89439": frozenset({"NV", "CA"}),  # Verdi
    "97635": frozenset({"OR", "CA"}),  # New Pine Creek
}

_BY_PREFIX: dict[int, frozenset[str]] = {
    prefix: frozenset({state}) for low, high, state in _RANGES for prefix in range(low, high + 1)
}
_BY_PREFIX.update(_SHARED)


def states_of_zip(zip_code: str) -> frozenset[str]:
    """The states a 5-digit ZIP code can be in; empty when the prefix names no state."""
    if zip_code in _STRADDLING:
        return _STRADDLING[zip_code]
    if len(zip_code) != 5 or not zip_code.isdigit():
        return frozenset()
    return _BY_PREFIX.get(int(zip_code[:3]), frozenset())


# -- the gazetteer -----------------------------------------------------------------------------

# Abbreviations USPS writes out ("St. Louis" is "Saint Louis").
_WORDS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "pt": "point"}
_PUNCTUATION = re.compile(r"[.,'’\-]+")
#: A city with at least this many ZIP codes is a large one: a value one or two edits from its
#: name is much more likely a typo of it than a place of its own.
LARGE_CITY_ZIPS = 5
_NOT_STATES = frozenset({"AA", "AE", "AP"})  # military mail


def city_key(name: str) -> str:
    """A city name compared as USPS would: case, accents, punctuation and ``St.``/``Saint`` do not
    matter (``San José`` is ``San Jose``)."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c)
    )
    words = _PUNCTUATION.sub(" ", plain).split()
    return " ".join(_WORDS.get(w, w) for w in words)


@dataclass(frozen=True)
class Place:
    """One ZIP code: its state and the keys of the city names USPS accepts for it."""

    state: str
    city: str  # the preferred name, as USPS spells it
    cities: frozenset[str]


@dataclass(frozen=True)
class Gazetteer:
    """US cities and ZIP codes: city key -> states, spelling and size; ZIP code -> place."""

    states: Mapping[str, frozenset[str]]
    ranked: Mapping[str, tuple[str, ...]]  # city key -> its states, most ZIP codes first
    spelling: Mapping[str, str]
    zip_count: Mapping[str, int]
    places: Mapping[str, Place]
    source: str

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, object]], source: str) -> Gazetteer:
        states: dict[str, dict[str, int]] = {}  # city key -> state -> ZIP codes
        spelling: dict[str, str] = {}
        count: dict[str, int] = {}
        places: dict[str, Place] = {}
        keys: dict[str, str] = {}  # name -> key: 42,000 ZIP codes share 26,000 names
        for row in rows:
            state, city, code = row.get("state"), row.get("city"), row.get("zip_code")
            if not (isinstance(state, str) and isinstance(city, str) and isinstance(code, str)):
                continue
            if state in _NOT_STATES:
                continue
            also = row.get("acceptable_cities")
            names = [city, *also] if isinstance(also, list) and also else [city]
            found: list[str] = []
            for name in names:
                if not isinstance(name, str):
                    continue
                key = keys.get(name)
                if key is None:
                    key = keys[name] = city_key(name)
                if key:
                    found.append(key)
                    in_state = states.setdefault(key, {})
                    in_state[state] = in_state.get(state, 0) + 1
                    spelling.setdefault(key, name)
            if found:
                count[found[0]] = count.get(found[0], 0) + 1
            places[code] = Place(state, city, frozenset(found))
        frozen = {k: frozenset(v) for k, v in states.items()}
        ranked = {k: tuple(sorted(v, key=lambda s: (-v[s], s))) for k, v in states.items()}
        return cls(frozen, ranked, spelling, count, places, source)

    def states_of_city(self, name: str) -> frozenset[str] | None:
        """The states that have a city of this name, or None if USPS knows no such city."""
        return self.states.get(city_key(name))

    def is_large(self, key: str) -> bool:
        return self.zip_count.get(key, 0) >= LARGE_CITY_ZIPS

    def closest_city(self, name: str, states: frozenset[str] = frozenset()) -> str | None:
        """The city key closest to ``name`` (a likely typo), among the cities of ``states`` if
        any are given; None when no city is close."""
        from audiencelab._vocabularies import closeness_limit, edit_distance

        key = city_key(name)
        best: str | None = None
        best_distance = 0
        for candidate, where in self.states.items():
            limit = closeness_limit(candidate)
            if abs(len(candidate) - len(key)) > limit or (states and not where & states):
                continue
            distance = edit_distance(key, candidate, limit)
            if distance <= limit and (
                best is None
                or distance < best_distance
                or (
                    distance == best_distance
                    and self.zip_count.get(candidate, 0) > self.zip_count.get(best, 0)
                )
            ):
                best, best_distance = candidate, distance
        return best


@functools.cache
def gazetteer() -> Gazetteer | None:
    """The gazetteer, loaded once; None (and a debug log) when ``zipcodes`` is not installed."""
    try:
        import zipcodes
    except ImportError as exc:
        log(logging.DEBUG, "gazetteer_unavailable", "cities and ZIP codes not checked: %s", exc)
        return None
    version = getattr(zipcodes, "__version__", "?")
    return Gazetteer.of(
        zipcodes.list_all(),  # type: ignore[no-untyped-call]
        f"the USPS ZIP code data of zipcodes {version}",
    )


def _zipcodes() -> Any:
    try:
        import zipcodes
    except ImportError:
        return None
    return zipcodes


def _spellings(name: str) -> list[str]:
    """How USPS likely writes a city typed as ``name``: as typed, and in title case with the
    abbreviations written out (``st. louis`` -> ``Saint Louis``)."""
    typed = " ".join(name.split())
    titled = " ".join(w.capitalize() for w in city_key(name).split())
    return list(dict.fromkeys(s for s in (typed, titled) if s))


def installed() -> bool:
    """Whether the ``zipcodes`` package is there (without it, cities are not checked)."""
    return _zipcodes() is not None


def quick_states_of_city(name: str) -> frozenset[str] | None:
    """The states of a city found under its usual spelling as a ZIP code's main city, or None
    (not found that way: ask the whole gazetteer). Cheap: no index is built."""
    package = _zipcodes()
    if package is None:
        return None
    for spelling in _spellings(name):
        rows = package.filter_by(city=spelling)
        states = frozenset(
            r["state"]
            for r in rows
            if isinstance(r.get("state"), str) and r["state"] not in _NOT_STATES
        )
        if states:
            return states
    return None


def place_of_zip(zip_code: str) -> Place | None:
    """The city and state of a ZIP code, from the package's own index (None if unknown)."""
    package = _zipcodes()
    if package is None or len(zip_code) != 5 or not zip_code.isdigit():
        return None
    for row in package.matching(zip_code):
        state, city = row.get("state"), row.get("city")
        if isinstance(state, str) and isinstance(city, str) and state not in _NOT_STATES:
            also = row.get("acceptable_cities") or []
            names = [city, *(a for a in also if isinstance(a, str))]
            return Place(state, city, frozenset(k for n in names if (k := city_key(n))))
    return None
