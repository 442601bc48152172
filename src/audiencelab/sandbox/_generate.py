"""Synthetic people that satisfy a :class:`Criteria`: pure, deterministic, generated on demand.

A :class:`Plan` turns criteria into lookup tables (who can appear, with which weights) and an
estimate of how many adults in a national population of ~256 million match. Row *i* of a plan is a
function of (plan seed, *i*) only: its random bytes come from SHAKE-256 over (seed, block of 256
rows), so any page costs time and memory for that page alone, and the same index always gives the
same person, whatever the page size.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

from audiencelab.sandbox import _data
from audiencelab.sandbox._columns import (
    ALWAYS_PRESENT,
    GROUP_PARENTS,
    GROUP_PROBABILITY,
    NOT_NULL_GROUPS,
    NULL_ONLY_GROUPS,
    RECORD_COLUMNS,
)
from audiencelab.sandbox._filters import AGE_MAX, AGE_MIN, Criteria

__all__ = [
    "TOTAL_ADULTS",
    "Plan",
    "age_range",
    "field_coverage",
    "plan_for",
    "stable_int",
]

T = TypeVar("T")

ROW_BYTES = 80
BLOCK_ROWS = 256
TOTAL_ADULTS: int = sum(s[2] for s in _data.STATES) * 1000

PERSONAL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
SAFE_SUFFIXES = (".example", ".test", ".invalid", "example.com", "example.net", "example.org")
TEST_NETS = ("192.0.2", "198.51.100", "203.0.113", "192.0.2")


def stable_int(*parts: object, bits: int = 64) -> int:
    """A process-independent hash (Python's ``hash`` of a str changes between runs)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[: bits // 8], "big")


def age_range(age: int) -> str:
    if age < 25:
        return "18-24"
    if age < 35:
        return "25-34"
    if age < 45:
        return "35-44"
    if age < 55:
        return "45-54"
    if age < 65:
        return "55-64"
    return "65 and older"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _slots(items: Sequence[T], weights: Sequence[float], size: int) -> list[T]:
    """A lookup table of ``size`` entries where each item fills a share proportional to its weight
    (largest remainder), so a uniform random index picks items with the right probability."""
    total = float(sum(weights))
    if not items or total <= 0:
        raise ValueError("no items to choose from")
    raw = [w * size / total for w in weights]
    counts = [int(r) for r in raw]
    remainder = size - sum(counts)
    order = sorted(range(len(items)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[:remainder]:
        counts[i] += 1
    table: list[T] = []
    for item, n in zip(items, counts, strict=True):
        table.extend([item] * n)
    return table


def _with_absent(
    items: Sequence[T], weights: Sequence[float], present: float, absent: T, size: int = 256
) -> list[T]:
    n_absent = round(size * (1.0 - present))
    if n_absent >= size:
        return [absent] * size
    return [absent] * n_absent + _slots(items, weights, size - n_absent)


# ---------------------------------------------------------------------------------------------
# Geography

Loc = tuple[str, str, tuple[str, ...], tuple[str, ...]]  # city, state, ZIP codes, area codes

_STATE = {
    code: (name, adults * 1000, ranges, areas) for code, name, adults, ranges, areas in _data.STATES
}


def _city_loc(name: str, state: str, pop_k: int, zip_start: int) -> Loc:
    n = max(3, min(60, pop_k // 25, 100 - zip_start % 100))
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
_ADULT_SHARE = 0.78  # adults per resident
_ZIP_ADULTS = 6_000  # adults in one ZIP code
_UNKNOWN_CITY_ADULTS = 30_000  # a town the sandbox does not list


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
    zips = tuple(f"{prefix * 100 + k:05d}" for k in range(1, 9))
    return (name, state, zips, _STATE[state][3])


def _locations(c: Criteria) -> list[tuple[Loc, float]]:
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
                    known = [
                        loc for loc, _ in _CITIES_BY_NAME.get(city.casefold(), ()) if loc[1] == st
                    ]
                    matches.extend((loc[0], st) for loc in known[:1])
                    if not known:
                        matches.append((city, st))
                for city, st2 in matches:
                    out.append(((city, st2, (z,), _STATE[st2][3]), _ZIP_ADULTS / len(matches)))
            else:
                loc = _LOC_BY_ZIP.get(z)
                if loc is None:
                    same = [cl for cl, _ in _CITIES_BY_STATE[st] if cl[2][0][:3] == z[:3]]
                    loc = same[0] if same else max(_CITIES_BY_STATE[st], key=lambda x: x[1])[0]
                out.append(((loc[0], st, (z,), loc[3]), float(_ZIP_ADULTS)))
        return out
    if cities is not None:
        for city in cities:
            candidates = [
                (loc, pop)
                for loc, pop in _CITIES_BY_NAME.get(city.casefold(), [])
                if states is None or loc[1] in states
            ]
            if candidates:
                out.extend((loc, pop * _ADULT_SHARE) for loc, pop in candidates)
            elif not _CITIES_BY_NAME.get(city.casefold()):
                # A town the sandbox does not list: put it in the requested states, or in one state.
                in_states = (
                    sorted(states)
                    if states is not None
                    else [sorted(_STATE)[stable_int("town-state", city.casefold()) % len(_STATE)]]
                )
                for st in in_states:
                    out.append((_town_loc(city, st), _UNKNOWN_CITY_ADULTS / len(in_states)))
        return out
    for st in sorted(states) if states is not None else sorted(_STATE):
        out.extend(_state_locations(st))
    return out


# ---------------------------------------------------------------------------------------------
# Jobs and companies

_SENIORITY_W = dict(zip(_data.SENIORITY_LEVELS, _data.SENIORITY_WEIGHTS, strict=True))
_DEPARTMENT_W = dict(zip(_data.DEPARTMENTS, _data.DEPARTMENT_WEIGHTS, strict=True))
_INDUSTRY = {name: (sic, naics) for name, sic, naics in _data.INDUSTRIES}

Job = tuple[str, str, str, tuple[str, ...], str]  # title, department, seniority, skills, title JSON


def _dept_titles(dept: str, seniority: str) -> list[str]:
    c_level, staff = _data.DEPARTMENT_TITLES[dept]
    if seniority == "CXO":
        return [c_level]
    if seniority == "VP":
        return [f"VP of {dept}"]
    if seniority == "Director":
        return [f"Director of {dept}"]
    if seniority == "Manager":
        return [f"{dept} Manager"]
    return list(staff)


def _infer_seniority(title: str) -> str:
    t = title.casefold()
    if re.search(r"\b(chief|ceo|cto|cfo|coo|cmo|cio|founder|owner|president)\b", t):
        return "CXO"
    if re.search(r"\b(vp|vice president)\b", t):
        return "VP"
    if "director" in t or "head of" in t:
        return "Director"
    if "manager" in t or "lead" in t:
        return "Manager"
    return "Staff"


def _skill_sets(dept: str, rng: random.Random) -> tuple[str, ...]:
    skills = _data.SKILLS[dept]
    out = []
    for _ in range(8):
        k = min(len(skills), rng.randint(2, 4))
        out.append(", ".join(rng.sample(skills, k)))
    return tuple(out)


def _excluded(title: str, exclusions: Sequence[str]) -> bool:
    t = " ".join(title.split()).casefold()
    return any(x in t for x in exclusions)


def _jobs(c: Criteria, rng: random.Random) -> tuple[list[tuple[Job, float]], float]:
    """Possible jobs with weights, and the share of employed people who hold one of them."""
    depts = list(c.departments) if c.departments is not None else list(_data.DEPARTMENTS)
    sens = list(c.seniorities) if c.seniorities is not None else list(_data.SENIORITY_LEVELS)
    if not depts or not sens:
        return [], 0.0
    dept_w = [float(_DEPARTMENT_W[d]) for d in depts]
    share = sum(dept_w) / sum(_data.DEPARTMENT_WEIGHTS)
    share *= sum(_SENIORITY_W[s] for s in sens) / sum(_data.SENIORITY_WEIGHTS)
    skills = {d: _skill_sets(d, rng) for d in _data.DEPARTMENTS}
    jobs: list[tuple[Job, float]] = []
    if c.job_titles is not None:
        titles = [t for t in c.job_titles if not _excluded(t, c.exclude_job_titles)]
        for title in titles:
            dept = rng.choices(depts, dept_w)[0]
            inferred = _infer_seniority(title)
            sen = inferred if inferred in sens else rng.choice(sens)
            jobs.append(((title, dept, sen, skills[dept], json.dumps(title)), 1.0))
        return jobs, share * min(1.0, 0.003 * len(titles))
    total = 0.0
    kept = 0.0
    for dept, dw in zip(depts, dept_w, strict=True):
        for sen in sens:
            titles = _dept_titles(dept, sen)
            w = dw * _SENIORITY_W[sen] / len(titles)
            for title in titles:
                total += w
                if not _excluded(title, c.exclude_job_titles):
                    kept += w
                    jobs.append(((title, dept, sen, skills[dept], json.dumps(title)), w))
    return jobs, share * (kept / total if total else 0.0)


Company = tuple[str, ...]
# name, name JSON, address, description, domain, employee count, LinkedIn URL, phone, revenue,
# SIC, NAICS, city, state, zip, industry, email domain, website
_N_COMPANIES = 1024


def _email_domain(domain: str) -> str:
    if domain.endswith(SAFE_SUFFIXES):
        return domain
    return domain.replace(".", "-") + ".example.com"


def _companies(c: Criteria, rng: random.Random, national: list[Loc]) -> tuple[list[Company], float]:
    names = c.company_names
    domains = c.company_domains
    industries = list(c.industries) if c.industries is not None else list(_INDUSTRY)
    counts = (
        list(c.employee_counts) if c.employee_counts is not None else list(_data.EMPLOYEE_COUNTS)
    )
    count_w = [float(_data.EMPLOYEE_COUNT_WEIGHTS[_data.EMPLOYEE_COUNTS.index(x)]) for x in counts]
    revenues = list(c.revenues) if c.revenues is not None else None
    if not industries or not counts or revenues == [] or c.sics == () or c.naics == ():
        return [], 0.0
    if names == () or domains == () or c.company_keywords == ():
        return [], 0.0
    share = len(industries) / len(_INDUSTRY)
    share *= sum(count_w) / sum(_data.EMPLOYEE_COUNT_WEIGHTS)
    if revenues is not None:
        share *= len(revenues) / len(_data.COMPANY_REVENUES)
    if names is not None or domains is not None:
        n = max(len(names or ()), len(domains or ()))
        share *= min(1.0, 150.0 * n / (TOTAL_ADULTS * 0.62))  # ~150 employees per named company
    else:
        n = _N_COMPANIES
    if c.company_keywords is not None:
        share *= min(1.0, 0.02 * len(c.company_keywords))
    if c.sics is not None:
        share *= min(1.0, len(c.sics) / 300)
    if c.naics is not None:
        share *= min(1.0, len(c.naics) / 800)
    out: list[Company] = []
    for k in range(n):
        industry = rng.choice(industries)
        sic, naics = _INDUSTRY[industry]
        if c.sics is not None:
            sic = rng.choice(c.sics)
        if c.naics is not None:
            naics = rng.choice(c.naics)
        base = f"{rng.choice(_data.COMPANY_PREFIXES)} {rng.choice(_data.COMPANY_CORES)}"
        suffix = rng.choice(_data.COMPANY_SUFFIXES)
        name = names[k % len(names)] if names else f"{base} {suffix}".strip()
        domain = (
            domains[k % len(domains)]
            if domains
            else f"{_slug(name if names else base)}.example.com"
        )
        if c.company_keywords is not None:
            focus = f"focused on {c.company_keywords[k % len(c.company_keywords)]}"
        else:
            focus = f"serving {rng.choice(_data.COMPANY_FOCUS)}"
        description = f"{name} is a {industry.lower()} company {focus}."
        ci = rng.choices(range(len(counts)), count_w)[0]
        count = counts[ci]
        if revenues is not None:
            revenue = rng.choice(revenues)
        else:
            ri = _data.EMPLOYEE_COUNTS.index(count) + rng.randint(-1, 1)
            revenue = _data.COMPANY_REVENUES[max(0, min(len(_data.COMPANY_REVENUES) - 1, ri))]
        city, st, zips, areas = rng.choice(national)
        phone = f"+1{rng.choice(areas)}55501{rng.randrange(100):02d}"
        address = f"{rng.randint(1, 9999)} {rng.choice(_data.STREETS)}"
        if rng.random() < 0.4:
            address += f" Suite {rng.randint(1, 30) * 10}"
        out.append(
            (
                name, json.dumps(name), address, description, domain, count,
                f"https://www.linkedin.com/company/{_slug(name) or 'company'}", phone, revenue,
                sic, naics, city, st, rng.choice(zips), industry, _email_domain(domain),
                f"https://{domain}",
            )
        )  # fmt: skip
    return out, share


# ---------------------------------------------------------------------------------------------
# Static per-person tables

Name = tuple[str, str]  # name, email-safe lowercase slug

_FIRST_M: list[Name] = _slots(
    [(n, _slug(n)) for n in _data.FIRST_NAMES_M], [1.0] * len(_data.FIRST_NAMES_M), 256
)
_FIRST_F: list[Name] = _slots(
    [(n, _slug(n)) for n in _data.FIRST_NAMES_F], [1.0] * len(_data.FIRST_NAMES_F), 256
)
_FIRST_U: list[Name] = [n for pair in zip(_FIRST_M[::2], _FIRST_F[::2], strict=True) for n in pair]
_LAST: list[Name] = _slots(
    [(n, _slug(n)) for n in _data.LAST_NAMES], [1.0] * len(_data.LAST_NAMES), 1024
)
_AGE_RANGES = [age_range(a) if a >= AGE_MIN else "" for a in range(AGE_MAX + 1)]
_AGE_STR = [str(a) for a in range(AGE_MAX + 1)]
_TWO = [f"{i:02d}" for i in range(100)]
_ZIP4 = [f"{(i * 7919) % 10000:04d}" for i in range(65536)]
_STREET_T: list[str] = _slots(list(_data.STREETS), [1.0] * len(_data.STREETS), 256)


def _age_weight(age: int) -> float:
    return 1.0 if age <= 64 else max(0.25, 1.0 - (age - 64) * 0.035)


def _education_strings() -> list[list[str]]:
    rng = random.Random(20240601)
    out: list[list[str]] = []
    for level in range(len(_data.EDUCATION_LEVELS)):
        variants = []
        for _ in range(64):
            if level == 0:
                items = [("High School Diploma", rng.choice(_data.HIGH_SCHOOLS))]
            else:
                schools = rng.sample(_data.SCHOOLS, 3)
                items = [
                    (_data.EDUCATION_LEVELS[lv][2], schools[i])
                    for i, lv in enumerate(range(level, 0, -1))
                ]
            variants.append(json.dumps([{"degree": d, "school": s} for d, s in items]))
        out.append(variants)
    return out


_EDUCATION_STR = _education_strings()


def _interest_strings() -> list[str]:
    rng = random.Random(7)
    return [", ".join(rng.sample(_data.INTERESTS, rng.randint(2, 4))) for _ in range(256)]


_INTEREST_STR = _interest_strings()


# ---------------------------------------------------------------------------------------------
# Plan


class Plan:
    """Lookup tables and size estimate for one set of criteria."""

    def __init__(self, criteria: Criteria) -> None:
        c = criteria
        self.criteria = c
        self.seed = hashlib.sha256(c.seed_key().encode()).digest()[:16]
        rng = random.Random(self.seed)
        reasons = list(c.unsatisfiable)
        sel = 1.0

        # presence groups
        force = self._presence(c, reasons)
        self.present: dict[str, float] = {}
        for group, p in GROUP_PROBABILITY.items():
            f = force.get(group)
            self.present[group] = 1.0 if f is True else 0.0 if f is False else p
            if f is True:
                sel *= p
            elif f is False and not any(
                force.get(q) is False for q in GROUP_PARENTS.get(group, ())
            ):
                parents = 1.0
                for q in GROUP_PARENTS.get(group, ()):
                    if force.get(q) is not True:
                        parents *= GROUP_PROBABILITY[q]
                sel *= 1.0 - p * parents
        thr = {g: round(p * 256) for g, p in self.present.items()}
        self.thr = thr

        # who: gender, age, location
        genders = c.genders if c.genders is not None else ("M", "F", "U")
        g_w = {"M": 49.0, "F": 49.0, "U": 2.0}
        sel *= sum(g_w[g] for g in genders) / 100.0
        ages = list(range(c.min_age, c.max_age + 1))
        all_w = sum(_age_weight(a) for a in range(AGE_MIN, AGE_MAX + 1))
        sel *= sum(_age_weight(a) for a in ages) / all_w
        locs = _locations(c)
        if not locs and not reasons:
            reasons.append("filters: no place matches the location filters (city, state, zip)")
        sel *= sum(w for _l, w in locs) / TOTAL_ADULTS

        # what: job, company, profile and attribute values
        jobs, job_share = _jobs(c, rng)
        national = [loc for loc, _w in _locations(Criteria())]
        companies, company_share = _companies(c, rng, national)
        if force.get("employed") is True:
            sel *= job_share * company_share
            if not jobs and not reasons:
                reasons.append("filters.businessProfile: no job matches the job filters")
            if not companies and not reasons:
                reasons.append("filters.businessProfile: no company matches the company filters")
        if not jobs or not companies:
            jobs, companies = [], []

        def values(
            group: str,
            items: Sequence[str],
            weights: Sequence[float],
            allowed: Sequence[str] | None,
        ) -> list[str]:
            nonlocal sel
            if allowed is not None:
                kept = [(i, w) for i, w in zip(items, weights, strict=True) if i in allowed]
                sel *= sum(w for _i, w in kept) / sum(weights)
                items, weights = [i for i, _w in kept], [w for _i, w in kept]
            if not items:
                return [""] * 256
            return _with_absent(items, weights, self.present[group], "")

        self.income_t = values("income", _data.INCOME_RANGES, _data.INCOME_WEIGHTS, c.incomes)
        self.net_worth_t = values(
            "net_worth", _data.NET_WORTHS, _data.NET_WORTH_WEIGHTS, c.net_worths
        )
        self.homeowner_t = values("homeowner", ("Y", "N", "P"), (60, 30, 10), c.homeowner)
        self.married_t = values("married", ("Y", "N"), (52, 48), c.married)
        self.children_t = values("children", ("Y", "N"), (40, 60), c.children)
        self.interests_t = _with_absent(_INTEREST_STR, [1.0] * 256, self.present["interests"], "")
        self.zip4_t = _with_absent([True], [1.0], self.present["zip4"], False)
        levels = list(range(len(_data.EDUCATION_LEVELS)))
        edu_w = [float(w) for w in _data.EDUCATION_WEIGHTS]
        if c.education is not None:
            kept = [(lv, w) for lv, w in zip(levels, edu_w, strict=True) if lv in c.education]
            sel *= sum(w for _l, w in kept) / sum(edu_w)
            levels, edu_w = [lv for lv, _ in kept], [w for _, w in kept]
        elif c.exclude_education:
            kept = [
                (lv, w)
                for lv, w in zip(levels, edu_w, strict=True)
                if lv not in c.exclude_education
            ]
            gone = 1.0 - sum(w for _l, w in kept) / sum(edu_w)
            sel *= 1.0 - self.present["education"] * gone
            levels, edu_w = [lv for lv, _ in kept], [w for _, w in kept]
        self.education_t: list[int] = (
            _with_absent(levels, edu_w, self.present["education"], -1) if levels else [-1] * 256
        )
        credits = [code for code, _label in _data.CREDIT_RATINGS]
        credit_w = [float(w) for w in _data.CREDIT_WEIGHTS]
        if c.credit_ratings is not None:
            kept_c = [
                (x, w) for x, w in zip(credits, credit_w, strict=True) if x in c.credit_ratings
            ]
            sel *= sum(w for _x, w in kept_c) / sum(credit_w)
            credits, credit_w = [x for x, _ in kept_c], [w for _, w in kept_c]
        self.credit_t = _slots(credits, credit_w, 256) if credits else [""] * 256
        if c.languages is not None:
            self.language_t = _slots(list(c.languages), [1.0] * len(c.languages), 256)
            sel *= min(1.0, 0.05 * len(c.languages))
        else:
            self.language_t = _slots(_data.LANGUAGES, _data.LANGUAGE_WEIGHTS, 256)
        if c.ethnicities is not None:
            self.ethnic_t = _slots(list(c.ethnicities), [1.0] * len(c.ethnicities), 256)
            sel *= min(1.0, 0.05 * len(c.ethnicities))
        else:
            self.ethnic_t = _slots(_data.ETHNICITIES, [1.0] * len(_data.ETHNICITIES), 256)

        sel *= c.other_selectivity
        if c.segments:
            sel *= min(1.0, 0.004 * len(c.segments))
            if c.days_back is not None:
                sel *= min(1.0, 0.3 + 0.1 * c.days_back)

        self.reasons = tuple(dict.fromkeys(reasons))
        # any satisfiable combination matches at least one person
        self.population = 0 if self.reasons or sel <= 0 else max(1, round(TOTAL_ADULTS * sel))
        if self.population == 0:
            # nothing to build: skip the tables
            self.gender_t: list[str] = []
            return
        self.gender_t = _slots(list(genders), [g_w[g] for g in genders], 256)
        self.age_t = _slots(ages, [_age_weight(a) for a in ages], 1024)
        self.loc_t = _slots([loc for loc, _w in locs], [w for _l, w in locs], 65536)
        self.job_t = _slots([j for j, _w in jobs], [w for _j, w in jobs], 256) if jobs else []
        self.company_t = _slots(companies, [1.0] * len(companies), 1024) if companies else []

    @staticmethod
    def _presence(c: Criteria, reasons: list[str]) -> dict[str, bool]:
        force: dict[str, bool] = {}

        def want(group: str, value: bool, why: str) -> None:
            if force.get(group, value) != value:
                reasons.append(f"filters: {why} contradicts another filter")
            else:
                force[group] = value

        if c.business:
            want("employed", True, "businessProfile")
        for attr, group in (
            ("incomes", "income"), ("net_worths", "net_worth"), ("homeowner", "homeowner"),
            ("married", "married"), ("children", "children"), ("education", "education"),
            ("credit_ratings", "skiptrace"), ("languages", "skiptrace"), ("ethnicities", "skiptrace"),
        ):  # fmt: skip
            if getattr(c, attr) is not None:
                want(group, True, attr)
        for col in c.not_nulls:
            for group in NOT_NULL_GROUPS.get(col, ()):
                want(group, True, f"notNulls {col}")
        for col in c.null_only:
            if col in ALWAYS_PRESENT:
                reasons.append(f"filters.nullOnly: {col} is never empty")
            for group in NULL_ONLY_GROUPS.get(col, ()):
                want(group, False, f"nullOnly {col}")
        changed = True
        while changed:
            changed = False
            for group, parents in GROUP_PARENTS.items():
                if force.get(group) is True:
                    for p in parents:
                        if force.get(p) is None:
                            force[p] = changed = True
                        elif force[p] is False:
                            reasons.append(f"filters: {group} needs {p}, which is excluded")
                if any(force.get(p) is False for p in parents) and force.get(group) is None:
                    force[group] = False
                    changed = True
        return force

    # -----------------------------------------------------------------------------------------

    def _random(self, start: int, stop: int) -> tuple[bytes, int]:
        first, last = start // BLOCK_ROWS, (stop - 1) // BLOCK_ROWS
        seed = self.seed
        data = b"".join(
            hashlib.shake_256(seed + b.to_bytes(8, "little")).digest(BLOCK_ROWS * ROW_BYTES)
            for b in range(first, last + 1)
        )
        return data, first * BLOCK_ROWS

    def rows(self, start: int, stop: int) -> list[dict[str, str]]:
        """Rows ``start`` (inclusive) to ``stop`` (exclusive) of this plan's population."""
        if self.population == 0 or stop <= start:
            return []
        d, base = self._random(start, stop)
        gender_t, age_t, loc_t = self.gender_t, self.age_t, self.loc_t
        job_t, company_t = self.job_t, self.company_t
        income_t, net_worth_t = self.income_t, self.net_worth_t
        homeowner_t, married_t, children_t = self.homeowner_t, self.married_t, self.children_t
        education_t, interests_t, zip4_t = self.education_t, self.interests_t, self.zip4_t
        credit_t, language_t, ethnic_t = self.credit_t, self.language_t, self.ethnic_t
        thr = self.thr
        t_pemail, t_pemail_v = thr["pemail"], thr["pemail_v"]
        t_employed = thr["employed"] if job_t else 0
        t_bemail, t_bemail_v, t_direct = thr["bemail"], thr["bemail_v"], thr["direct"]
        t_mobile, t_pphone = thr["mobile"], thr["pphone"]
        t_linkedin, t_twitter, t_facebook = thr["linkedin"], thr["twitter"], thr["facebook"]
        t_skills, t_skiptrace = thr["skills"], thr["skiptrace"]
        t_st_wireless, t_st_landline, t_st_b2b = (
            thr["st_wireless"],
            thr["st_landline"],
            thr["st_b2b"],
        )
        first_m, first_f, first_u, last_t = _FIRST_M, _FIRST_F, _FIRST_U, _LAST
        age_ranges, age_str, two, zip4s, streets = _AGE_RANGES, _AGE_STR, _TWO, _ZIP4, _STREET_T
        edu_str = _EDUCATION_STR
        pdomains, nets = PERSONAL_DOMAINS, TEST_NETS
        sha256 = hashlib.sha256
        out: list[dict[str, str]] = []
        append = out.append
        for i in range(start, stop):
            o = (i - base) * ROW_BYTES
            g = gender_t[d[o]]
            age = age_t[(d[o + 1] << 8 | d[o + 2]) & 1023]
            first, fs = (first_m if g == "M" else first_f if g == "F" else first_u)[d[o + 3]]
            last, ls = last_t[(d[o + 4] << 8 | d[o + 5]) & 1023]
            city, state, zips, areas = loc_t[d[o + 6] << 8 | d[o + 7]]
            zip_ = zips[d[o + 8] % len(zips)]
            hn = d[o + 10] << 8 | d[o + 11]
            address = f"{hn % 9900 + 100} {streets[d[o + 12]]}"
            area = areas[d[o + 13] % len(areas)]
            b49 = d[o + 49]

            # phones
            mobile = mobile_dnc = pphone = pphone_dnc = ""
            if d[o + 32] < t_mobile:
                mobile = f"+1{area}55501{two[d[o + 13] % 100]}"
                mobile_dnc = "Y" if b49 & 3 == 0 else "N"
            if d[o + 33] < t_pphone:
                pphone = f"+1{areas[d[o + 14] % len(areas)]}55501{two[d[o + 14] % 100]}"
                pphone_dnc = "Y" if b49 & 12 == 0 else "N"
            valid = f"{mobile}, {pphone}" if mobile and pphone else mobile or pphone

            # personal emails
            pemails = pverified = psha = ""
            if d[o + 28] < t_pemail:
                n = d[o + 16]
                e1 = f"{fs}.{ls}{n % 90 + 10}@{pdomains[n & 3]}"
                pemails = f"{e1}, {fs[0]}{ls}{n % 7}@example.org" if n & 16 else e1
                psha = sha256(e1.encode()).hexdigest()
                if d[o + 29] < t_pemail_v:
                    pverified = e1

            # job and company
            if d[o + 17] < t_employed:
                title, dept, sen, skill_sets, title_json = job_t[d[o + 20]]
                comp = company_t[(d[o + 18] << 8 | d[o + 19]) & 1023]
                prev = company_t[(d[o + 47] << 2 | d[o + 19]) & 1023]
                prev_title = job_t[d[o + 21]][4]
                years = age - 22 - (d[o + 21] & 7)
                cname, cjson = comp[0], comp[1]
                headline = f"{title} at {cname}"
                years_s = age_str[years] if years > 0 else "1"
                cname_hist = f"[{cjson}]" if prev[0] == cname else f"[{cjson}, {prev[1]}]"
                title_hist = (
                    f"[{title_json}]"
                    if prev_title == title_json
                    else f"[{title_json}, {prev_title}]"
                )
                bemail = bsha = bverified = direct = direct_dnc = ""
                if d[o + 30] < t_bemail:
                    bemail = f"{fs}.{ls}@{comp[15]}" if b49 & 64 else f"{fs[0]}{ls}@{comp[15]}"
                    bsha = sha256(bemail.encode()).hexdigest()
                    if d[o + 31] < t_bemail_v:
                        bverified = bemail
                if d[o + 34] < t_direct:
                    direct = f"{comp[7][:-2]}{two[d[o + 15] % 100]}"
                    direct_dnc = "Y" if b49 & 48 == 0 else "N"
                skills = skill_sets[d[o + 38] & 7] if d[o + 38] < t_skills else ""
                cols = comp
                employed = True
            else:
                title = dept = sen = years_s = cname_hist = title_hist = headline = ""
                bemail = bsha = bverified = direct = direct_dnc = skills = ""
                cols = _NO_COMPANY
                employed = False

            # social
            linkedin = (
                f"https://www.linkedin.com/in/{fs}-{ls}-{d[o + 51]:02x}{d[o + 52]:02x}"
                if d[o + 35] < t_linkedin
                else ""
            )
            twitter = f"https://x.com/{fs}{ls}{d[o + 53] % 100}" if d[o + 36] < t_twitter else ""
            facebook = (
                f"https://www.facebook.com/{fs}.{ls}.{d[o + 54]}" if d[o + 37] < t_facebook else ""
            )

            # skiptrace
            if d[o + 40] < t_skiptrace:
                st_score = str(d[o + 50] % 6 + 5 if b49 & 128 else d[o + 50] % 10 + 1)
                st_name = f"{first} {last}".upper()
                st_address, st_city, st_state, st_zip = address.upper(), city.upper(), state, zip_
                st_landline = (
                    f"+1{area}55501{two[d[o + 55] % 100]}" if d[o + 42] < t_st_landline else ""
                )
                st_wireless = (
                    (mobile or f"+1{area}55501{two[d[o + 56] % 100]}")
                    if d[o + 41] < t_st_wireless
                    else ""
                )
                st_credit = credit_t[d[o + 43]]
                st_dnc = mobile_dnc or ("Y" if d[o + 57] < 40 else "N")
                st_age = age_str[age]
                st_ethnic, st_language = ethnic_t[d[o + 45]], language_t[d[o + 44]]
                st_ip = f"{nets[d[o + 46] & 3]}.{d[o + 58] % 254 + 1}"
                if employed and d[o + 39] < t_st_b2b:
                    st_b2b = (cols[2], cols[7], "B2B Graph", cols[16])
                else:
                    st_b2b = _NO_B2B
            else:
                st_score = st_name = st_address = st_city = st_state = st_zip = ""
                st_landline = st_wireless = st_credit = st_dnc = st_age = st_ethnic = ""
                st_language = st_ip = ""
                st_b2b = _NO_B2B

            level = education_t[d[o + 22]]
            u = d[o + 64 : o + 80].hex()
            append(
                {
                    "UUID": f"{u[:8]}-{u[8:12]}-4{u[13:16]}-{_VARIANT[d[o + 72] & 3]}{u[17:20]}-{u[20:]}",
                    "FIRST_NAME": first,
                    "LAST_NAME": last,
                    "PERSONAL_ADDRESS": address,
                    "PERSONAL_CITY": city,
                    "PERSONAL_STATE": state,
                    "PERSONAL_ZIP": zip_,
                    "PERSONAL_ZIP4": zip4s[hn] if zip4_t[d[o + 9]] else "",
                    "AGE_RANGE": age_ranges[age],
                    "AGE": age_str[age],
                    "CHILDREN": children_t[d[o + 27]],
                    "GENDER": g,
                    "HOMEOWNER": homeowner_t[d[o + 25]],
                    "MARRIED": married_t[d[o + 26]],
                    "NET_WORTH": net_worth_t[d[o + 24]],
                    "INCOME_RANGE": income_t[d[o + 23]],
                    "DIRECT_NUMBER": direct,
                    "DIRECT_NUMBER_DNC": direct_dnc,
                    "MOBILE_PHONE": mobile,
                    "MOBILE_PHONE_DNC": mobile_dnc,
                    "PERSONAL_PHONE": pphone,
                    "PERSONAL_PHONE_DNC": pphone_dnc,
                    "VALID_PHONES": valid,
                    "BUSINESS_EMAIL": bemail,
                    "PERSONAL_EMAILS": pemails,
                    "PERSONAL_VERIFIED_EMAILS": pverified,
                    "BUSINESS_VERIFIED_EMAILS": bverified,
                    "SHA256_PERSONAL_EMAIL": psha,
                    "SHA256_BUSINESS_EMAIL": bsha,
                    "JOB_TITLE": title,
                    "HEADLINE": headline,
                    "DEPARTMENT": dept,
                    "SENIORITY_LEVEL": sen,
                    "INFERRED_YEARS_EXPERIENCE": years_s,
                    "COMPANY_NAME_HISTORY": cname_hist,
                    "JOB_TITLE_HISTORY": title_hist,
                    "EDUCATION_HISTORY": edu_str[level][d[o + 48] & 63] if level >= 0 else "",
                    "COMPANY_NAME": cols[0],
                    "COMPANY_ADDRESS": cols[2],
                    "COMPANY_DESCRIPTION": cols[3],
                    "COMPANY_DOMAIN": cols[4],
                    "COMPANY_EMPLOYEE_COUNT": cols[5],
                    "COMPANY_LINKEDIN_URL": cols[6],
                    "COMPANY_PHONE": cols[7],
                    "COMPANY_REVENUE": cols[8],
                    "COMPANY_SIC": cols[9],
                    "COMPANY_NAICS": cols[10],
                    "COMPANY_CITY": cols[11],
                    "COMPANY_STATE": cols[12],
                    "COMPANY_ZIP": cols[13],
                    "COMPANY_INDUSTRY": cols[14],
                    "LINKEDIN_URL": linkedin,
                    "TWITTER_URL": twitter,
                    "FACEBOOK_URL": facebook,
                    "SOCIAL_CONNECTIONS": str(d[o + 59] * 2 + d[o + 60] % 37) if linkedin else "",
                    "SKILLS": skills,
                    "INTERESTS": interests_t[d[o + 61]],
                    "SKIPTRACE_MATCH_SCORE": st_score,
                    "SKIPTRACE_NAME": st_name,
                    "SKIPTRACE_ADDRESS": st_address,
                    "SKIPTRACE_CITY": st_city,
                    "SKIPTRACE_STATE": st_state,
                    "SKIPTRACE_ZIP": st_zip,
                    "SKIPTRACE_LANDLINE_NUMBERS": st_landline,
                    "SKIPTRACE_WIRELESS_NUMBERS": st_wireless,
                    "SKIPTRACE_CREDIT_RATING": st_credit,
                    "SKIPTRACE_DNC": st_dnc,
                    "SKIPTRACE_EXACT_AGE": st_age,
                    "SKIPTRACE_ETHNIC_CODE": st_ethnic,
                    "SKIPTRACE_LANGUAGE_CODE": st_language,
                    "SKIPTRACE_IP": st_ip,
                    "SKIPTRACE_B2B_ADDRESS": st_b2b[0],
                    "SKIPTRACE_B2B_PHONE": st_b2b[1],
                    "SKIPTRACE_B2B_SOURCE": st_b2b[2],
                    "SKIPTRACE_B2B_WEBSITE": st_b2b[3],
                }
            )
        return out


_VARIANT = ("8", "9", "a", "b")
_NO_COMPANY: Company = ("",) * 17
_NO_B2B = ("", "", "", "")


@lru_cache(maxsize=16)
def plan_for(criteria: Criteria) -> Plan:
    """The (cached) plan for some criteria; building one takes a few milliseconds."""
    return Plan(criteria)


def field_coverage(rows: Sequence[dict[str, str]]) -> dict[str, float]:
    """Share of non-empty values per record column (0.0 for every column when there are no rows)."""
    n = len(rows)
    if not n:
        return dict.fromkeys(RECORD_COLUMNS, 0.0)
    return {col: round(sum(1 for r in rows if r.get(col)) / n, 4) for col in RECORD_COLUMNS}
