"""Where the synthetic people live: states, cities, ZIP codes, and how many adults each place holds.

A *place* (:data:`Loc`) is a city with its state, ZIP codes and telephone area codes. The location
filters (``city``, ``state``/``personalState``, ``zip``) become a list of places weighted by their
number of adults; the generator draws each person's place from that list.
"""

from __future__ import annotations

from audiencelab.sandbox import _data
from audiencelab.sandbox._criteria import Criteria
from audiencelab.sandbox._sampling import stable_int

__all__ = [
    "ADULT_SHARE",
    "STATE_CODES",
    "TOTAL_ADULTS",
    "UNLISTED_TOWN_ADULTS",
    "ZIP_ADULTS",
    "Loc",
    "locations",
]

Loc = tuple[str, str, tuple[str, ...], tuple[str, ...]]  # city, state, ZIP codes, area codes

#: Adults in the national population: the sum of the states' adults in ``_data.STATES`` (rounded
#: Census figures), about 256 million.
TOTAL_ADULTS: int = sum(s[2] for s in _data.STATES) * 1000
#: Adults per resident: 2020 Census, 258.3 million of 331.4 million people were 18 or older (78 %).
#: City populations in ``_data.CITIES`` count residents, so a city's adults are this share of them.
ADULT_SHARE = 0.78
#: Adults in one ZIP code: ~258 million adults over ~41,700 ZIP codes (USPS) is about 6,200;
#: rounded down.
ZIP_ADULTS = 6_000
#: Adults in a town the sandbox does not list (chosen: a small town, so that a town plus a couple
#: of other filters still gives a few hundred people).
UNLISTED_TOWN_ADULTS = 30_000
#: ZIP codes given to a listed city: one per this many thousand residents (chosen so that a large
#: city has many ZIP codes and a small one a few), between the two bounds below.
RESIDENTS_PER_ZIP_K = 25
CITY_MIN_ZIPS = 3
CITY_MAX_ZIPS = 60
#: ZIP codes given to an unlisted town (chosen: a handful, all in one three-digit prefix).
TOWN_ZIPS = 8
#: With both ``zip`` and ``city``, each ZIP code is shared by at most this many of the cities
#: (the first ones listed): without a bound, 1,000 ZIP codes times 1,000 cities made a million
#: places (chosen: more cities than any real ZIP code spans).
MAX_CITIES_PER_ZIP = 16

STATE_CODES: tuple[str, ...] = tuple(sorted(s[0] for s in _data.STATES))

_STATE = {
    code: (name, adults * 1000, ranges, areas) for code, name, adults, ranges, areas in _data.STATES
}


def _city_loc(name: str, state: str, pop_k: int, zip_start: int) -> Loc:
    n = max(
        CITY_MIN_ZIPS,
        min(CITY_MAX_ZIPS, pop_k // RESIDENTS_PER_ZIP_K, 100 - zip_start % 100),
    )
    zips = tuple(f"{zip_start + k:05d}" for k in range(n))
    return (name, state, zips, _STATE[state][3])


_CITY_LOCS: list[tuple[Loc, int]] = [
    (_city_loc(name, st, pop, z), pop * 1000) for name, st, pop, z in _data.CITIES
]
_CITIES_BY_STATE: dict[str, list[tuple[Loc, int]]] = {}
_CITIES_BY_NAME: dict[str, list[tuple[Loc, int]]] = {}
_LOC_BY_ZIP: dict[str, Loc] = {}
for _loc, _pop in _CITY_LOCS:
    _CITIES_BY_STATE.setdefault(_loc[1], []).append((_loc, _pop))
    _CITIES_BY_NAME.setdefault(_loc[0].casefold(), []).append((_loc, _pop))
    for _z in _loc[2]:
        _LOC_BY_ZIP.setdefault(_z, _loc)


def _state_of_zip(zip_code: str) -> str | None:
    prefix = int(zip_code[:3])
    for code, (_name, _adults, ranges, _areas) in _STATE.items():
        if any(lo <= prefix <= hi for lo, hi in ranges):
            return code
    return None


def _state_locations(state: str) -> list[tuple[Loc, float]]:
    """A state's adults spread over the cities the sandbox knows in it."""
    cities = _CITIES_BY_STATE[state]
    total = sum(pop for _loc, pop in cities)
    adults = _STATE[state][1]
    return [(loc, adults * pop / total) for loc, pop in cities]


def _town_loc(name: str, state: str) -> Loc:
    ranges = _STATE[state][2]
    lo, hi = ranges[0]
    prefix = lo + stable_int("town", name.casefold(), state) % (hi - lo + 1)
    zips = tuple(f"{prefix * 100 + k:05d}" for k in range(1, TOWN_ZIPS + 1))
    return (name, state, zips, _STATE[state][3])


def locations(c: Criteria) -> list[tuple[Loc, float]]:
    """The places that match the location filters, each with its number of matching adults."""
    states = set(c.states) if c.states is not None else None
    cities = c.cities
    out: list[tuple[Loc, float]] = []
    if c.zips is not None:
        for z in c.zips:
            st = _state_of_zip(z)
            if st is None or (states is not None and st not in states):
                continue
            if cities is not None:
                matches: list[tuple[str, str]] = []
                for city in cities:
                    if len(matches) >= MAX_CITIES_PER_ZIP:
                        break
                    known = [
                        loc for loc, _ in _CITIES_BY_NAME.get(city.casefold(), ()) if loc[1] == st
                    ]
                    matches.extend((loc[0], st) for loc in known[:1])
                    if not known:
                        matches.append((city, st))
                for city, st2 in matches:
                    out.append(((city, st2, (z,), _STATE[st2][3]), ZIP_ADULTS / len(matches)))
            else:
                loc = _LOC_BY_ZIP.get(z)
                if loc is None:
                    same = [cl for cl, _ in _CITIES_BY_STATE[st] if cl[2][0][:3] == z[:3]]
                    loc = same[0] if same else max(_CITIES_BY_STATE[st], key=lambda x: x[1])[0]
                out.append(((loc[0], st, (z,), loc[3]), float(ZIP_ADULTS)))
        return out
    if cities is not None:
        for city in cities:
            candidates = [
                (loc, pop)
                for loc, pop in _CITIES_BY_NAME.get(city.casefold(), [])
                if states is None or loc[1] in states
            ]
            if candidates:
                out.extend((loc, pop * ADULT_SHARE) for loc, pop in candidates)
            elif not _CITIES_BY_NAME.get(city.casefold()):
                # A town the sandbox does not list: put it in the requested states, or in one state.
                in_states = (
                    sorted(states)
                    if states is not None
                    else [STATE_CODES[stable_int("town-state", city.casefold()) % len(STATE_CODES)]]
                )
                for st in in_states:
                    out.append((_town_loc(city, st), UNLISTED_TOWN_ADULTS / len(in_states)))
        return out
    for st in sorted(states) if states is not None else STATE_CODES:
        out.extend(_state_locations(st))
    return out
