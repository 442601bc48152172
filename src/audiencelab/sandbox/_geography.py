"""Where the synthetic people live: states, cities, ZIP codes, and how many adults each place holds.

A *place* (:data:`Loc`) is a city with its state, ZIP codes and telephone area codes. The location
filters (``city``, ``state``/``personalState``, ``zip``) become a list of places weighted by their
number of adults; the generator draws each person's place from that list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    "Places",
    "places",
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


def _prefixes(loc: Loc) -> set[str]:
    return {z[:3] for z in loc[2]}


def _state_prefixes(state: str) -> list[str]:
    return [f"{p:03d}" for lo, hi in _STATE[state][2] for p in range(lo, hi + 1)]


#: The three-digit ZIP prefixes of each state that no listed city uses: unlisted towns live there,
#: so that a listed city's ZIP prefixes are its own.
_USED_PREFIXES: dict[str, set[str]] = {
    st: set().union(*(_prefixes(loc) for loc, _ in cities))
    for st, cities in _CITIES_BY_STATE.items()
}
_FREE_PREFIXES: dict[str, list[str]] = {
    st: [p for p in _state_prefixes(st) if p not in used] or _state_prefixes(st)
    for st, used in _USED_PREFIXES.items()
}
#: Endings of the names given to the town of a ZIP prefix no listed city uses (chosen: common in
#: US place names).
_TOWN_ENDINGS = ("ville", "ton", "field", "wood", " Springs", " Falls", " Heights", " Park")


def _town_loc(name: str, state: str) -> Loc:
    """An unlisted town: in one ZIP prefix of ``state`` that no listed city uses."""
    free = _FREE_PREFIXES[state]
    prefix = int(free[stable_int("town", name.casefold(), state) % len(free)])
    zips = tuple(f"{prefix * 100 + k:05d}" for k in range(1, TOWN_ZIPS + 1))
    return (name, state, zips, _STATE[state][3])


def _zip_loc(zip_code: str, state: str) -> Loc:
    """The place of a ZIP code: its listed city, else the listed city of its prefix, else a town
    named after the prefix."""
    loc = _LOC_BY_ZIP.get(zip_code)
    if loc is None:
        same = [cl for cl, _ in _CITIES_BY_STATE[state] if zip_code[:3] in _prefixes(cl)]
        if same:
            loc = same[0]
        else:
            k = stable_int("zip-town", state, zip_code[:3])
            name = _data.LAST_NAMES[k % len(_data.LAST_NAMES)]
            loc = (name + _TOWN_ENDINGS[(k >> 16) % len(_TOWN_ENDINGS)], state, (), ())
    return (loc[0], state, (zip_code,), _STATE[state][3])


def _where(loc: Loc) -> str:
    return f"{loc[1]}, ZIP codes {'/'.join(sorted(p + 'xx' for p in _prefixes(loc)))}"


@dataclass(frozen=True)
class Places:
    """The places that match the location filters, each with its number of matching adults, and
    the values asked for that fit none of the other location filters (a city in another state, a
    ZIP code of another city, ...)."""

    weighted: list[tuple[Loc, float]]
    conflicts: list[str] = field(default_factory=list)


def places(c: Criteria) -> Places:
    """Where people matching the location filters live.

    A listed city implies its state and ZIP prefixes: ``city`` Chicago with a Massachusetts ZIP
    code, or with ``state`` MA, is a contradiction. A town the sandbox does not list takes the
    state and ZIP codes the other filters ask for.
    """
    states = set(c.states) if c.states is not None else None
    asked = "/".join(sorted(states)) if states is not None else ""
    conflicts: dict[str, None] = {}  # ordered set

    def conflict(path: str, value: str, why: str) -> None:
        conflicts.setdefault(f"filters.{path}: {value!r} {why}")

    cities: list[tuple[str, list[Loc] | None]] = []  # (name, its listed places or None if unlisted)
    for city in c.cities or ():
        known = [loc for loc, _ in _CITIES_BY_NAME.get(city.casefold(), ())]
        if known and states is not None and not any(loc[1] in states for loc in known):
            conflict("city", city, f"is in {'/'.join(loc[1] for loc in known)}, not in {asked}")
            continue
        cities.append((city, [loc for loc in known if states is None or loc[1] in states] or None))
    if c.cities is not None and not cities:
        return Places([], list(conflicts))

    out: list[tuple[Loc, float]] = []
    if c.zips is not None:
        used: set[str] = set()
        for z in c.zips:
            st = _state_of_zip(z)
            if st is None:
                conflict("zip", z, "is not a ZIP code of any US state")
                continue
            if states is not None and st not in states:
                conflict("zip", z, f"is in {st}, not in {asked}")
                continue
            if c.cities is None:
                out.append((_zip_loc(z, st), float(ZIP_ADULTS)))
                continue
            matches: list[str] = []
            for city, listed in cities:
                if len(matches) >= MAX_CITIES_PER_ZIP:
                    break
                if listed is None:
                    matches.append(city)  # an unlisted town: wherever the ZIP code is
                    continue
                here = [loc for loc in listed if loc[1] == st and z[:3] in _prefixes(loc)]
                if here:
                    matches.append(here[0][0])
                    used.add(city)
            if not matches:
                conflict("zip", z, f"({st}) is in none of the cities asked for")
            for city in matches:
                out.append(((city, st, (z,), _STATE[st][3]), ZIP_ADULTS / len(matches)))
        for city, listed in cities:
            if listed is not None and city not in used:
                where = " or ".join(_where(loc) for loc in listed)
                conflict("city", city, f"({where}) has none of the ZIP codes asked for")
        return Places(out, list(conflicts))
    if c.cities is not None:
        for city, listed in cities:
            if listed is not None:
                weighted = _CITIES_BY_NAME[city.casefold()]
                out.extend((loc, pop * ADULT_SHARE) for loc, pop in weighted if loc in listed)
                continue
            # A town the sandbox does not list: in the requested states, or in one state.
            in_states = (
                sorted(states)
                if states is not None
                else [STATE_CODES[stable_int("town-state", city.casefold()) % len(STATE_CODES)]]
            )
            for st in in_states:
                out.append((_town_loc(city, st), UNLISTED_TOWN_ADULTS / len(in_states)))
        return Places(out, list(conflicts))
    for st in sorted(states) if states is not None else STATE_CODES:
        out.extend(_state_locations(st))
    return Places(out, list(conflicts))
