"""Normalised filter constraints: labels, codes, state names and aliases become a :class:`Criteria`.

Pure functions, no I/O. ``_filters`` has type-checked the values; here they are mapped to the
record values they select (``"California"`` -> ``"CA"``, ``"bachelor's"`` -> an education level), and
contradictions become reasons why no one matches.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from audiencelab.sandbox import _data
from audiencelab.sandbox._filters import AGE_MAX, AGE_MIN, ATTRIBUTE_RANGES, ParsedFilters

__all__ = ["STATE_BY_NAME", "Criteria", "build_criteria"]

# Attributes without a record column: they only narrow the audience size (options in the dashboard).
_OTHER_ATTRIBUTE_OPTIONS: dict[str, int] = {
    "credit_range_new_credit": 8,
    "credit_card_user": 2,
    "investment": 3,
    "occupation_group": 26,
    "occupation_type": 40,
    "cra_code": 4,
    "smoker": 6,
    "marital_status": 4,
    "single_parent": 8,
    "generations_in_household": 3,
    "net_worth": 11,
    "dwelling_type": 2,
    "estimated_home_value": 19,
}


# ---------------------------------------------------------------------------------------------
# Normalisation

#: State names and codes (casefolded) -> two-letter code.
STATE_BY_NAME: dict[str, str] = {}
for _code, _name, *_ in _data.STATES:
    STATE_BY_NAME[_code.casefold()] = _code
    STATE_BY_NAME[_name.casefold()] = _code
STATE_BY_NAME.update({"washington dc": "DC", "washington d.c.": "DC", "d.c.": "DC"})

_GENDERS = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F"}
_GENDERS.update({"u": "U", "unknown": "U"})

_HOMEOWNER = {
    "probable homeowner 90-100": "P", "probable homeowner": "P", "p": "P",
    "homeowner": "Y", "y": "Y", "yes": "Y", "renter": "N", "n": "N", "no": "N",
}  # fmt: skip
_YES_NO = {"yes": "Y", "y": "Y", "true": "Y", "no": "N", "n": "N", "false": "N"}
_MARRIED = {**_YES_NO, "married": "Y", "single": "N"}
_CHILDREN = {**_YES_NO, "has children": "Y", "no children": "N"}

_EDUCATION: dict[str, int] = {}
for _i, (_label, _code, _degree) in enumerate(_data.EDUCATION_LEVELS):
    _EDUCATION[_label] = _i
    _EDUCATION[_code.casefold()] = _i
    _EDUCATION[_degree.casefold()] = _i
    _EDUCATION[_label.replace("'", "")] = _i
_EDUCATION["high school diploma"] = 0

_CREDIT: dict[str, str] = {}
for _code, _label in _data.CREDIT_RATINGS:
    _CREDIT[_code.casefold()] = _code
    _CREDIT[_label.casefold()] = _code
    _CREDIT[_label.replace(" ", "").casefold()] = _code

_INDUSTRY = {name.casefold(): name for name, _sic, _naics in _data.INDUSTRIES}
_DEPARTMENT = {name.casefold(): name for name in _data.DEPARTMENTS}
_EMPLOYEE_COUNT = {label.casefold(): label for label in _data.EMPLOYEE_COUNTS}
_REVENUE = {label.casefold(): label for label in _data.COMPANY_REVENUES}
_INCOME = {label.casefold(): label for label in _data.INCOME_RANGES}
_NET_WORTH = {label.casefold(): label for label in _data.NET_WORTHS}
_KNOWN_CITIES = {name.casefold(): name for name, *_ in _data.CITIES}


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).casefold()


@dataclass(frozen=True)
class Criteria:
    """Normalised, satisfiable-or-not filter constraints. ``None`` means "no constraint"."""

    min_age: int = AGE_MIN
    max_age: int = AGE_MAX
    genders: tuple[str, ...] | None = None
    states: tuple[str, ...] | None = None
    cities: tuple[str, ...] | None = None
    zips: tuple[str, ...] | None = None
    industries: tuple[str, ...] | None = None
    seniorities: tuple[str, ...] | None = None
    departments: tuple[str, ...] | None = None
    company_names: tuple[str, ...] | None = None
    job_titles: tuple[str, ...] | None = None
    exclude_job_titles: tuple[str, ...] = ()
    company_domains: tuple[str, ...] | None = None
    company_keywords: tuple[str, ...] | None = None
    sics: tuple[str, ...] | None = None
    naics: tuple[str, ...] | None = None
    employee_counts: tuple[str, ...] | None = None
    revenues: tuple[str, ...] | None = None
    incomes: tuple[str, ...] | None = None
    net_worths: tuple[str, ...] | None = None
    homeowner: tuple[str, ...] | None = None
    married: tuple[str, ...] | None = None
    children: tuple[str, ...] | None = None
    education: tuple[int, ...] | None = None
    exclude_education: tuple[int, ...] = ()
    credit_ratings: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    ethnicities: tuple[str, ...] | None = None
    not_nulls: tuple[str, ...] = ()
    null_only: tuple[str, ...] = ()
    other_selectivity: float = 1.0
    segments: tuple[str, ...] = ()
    days_back: int | None = None
    #: why no one can match (an empty audience), e.g. an unknown state
    unsatisfiable: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def business(self) -> bool:
        """True when a constraint needs an employed person."""
        return any(
            v is not None
            for v in (
                self.industries, self.seniorities, self.departments, self.company_names,
                self.job_titles, self.company_domains, self.company_keywords, self.sics,
                self.naics, self.employee_counts, self.revenues,
            )
        )  # fmt: skip

    def seed_key(self) -> str:
        """Canonical text of everything that decides *who* is in the audience."""
        data = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("warnings", "days_back") and v not in (None, (), 1.0)
        }
        return json.dumps(data, sort_keys=True, default=list)

    def size_key(self) -> str:
        return json.dumps([self.seed_key(), self.days_back if self.segments else None])


class _Builder:
    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.warnings: list[str] = []
        self.unsatisfiable: list[str] = []

    def strings(self, values: dict[str, Any], path: str) -> list[str] | None:
        raw = values.get(path)
        if not raw:
            return None
        kept = [v.strip() for v in raw if v.strip()]
        if len(kept) < len(raw):
            self.warnings.append(f"filters.{path}: blank values were ignored")
        # de-duplicate case-insensitively, keeping the first spelling
        seen: dict[str, str] = {}
        for v in kept:
            seen.setdefault(_norm(v), v)
        return list(seen.values()) or None

    def enum(
        self,
        values: dict[str, Any],
        path: str,
        table: dict[str, Any],
        what: str,
        hint: str = "",
    ) -> tuple[Any, ...] | None:
        raw = self.strings(values, path)
        if raw is None:
            return None
        out: list[Any] = []
        unknown: list[str] = []
        for v in raw:
            canon = table.get(_norm(v))
            if canon is None:
                unknown.append(v)
            elif canon not in out:
                out.append(canon)
        listed = ", ".join(repr(u) for u in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        if not out:
            self.unsatisfiable.append(
                f"filters.{path}: {listed} {'is' if len(unknown) == 1 else 'are'} not a known "
                f"{what}{hint}, so no one matches"
            )
        elif unknown:
            self.warnings.append(f"filters.{path}: {listed} ignored: not a known {what}{hint}")
        return tuple(out)


def build_criteria(
    parsed: ParsedFilters,
    segments: Iterable[str] = (),
    days_back: int | None = None,
) -> Criteria:
    """Normalise type-checked filter values (labels, codes, state names, aliases)."""
    v = parsed.values
    b = _Builder()
    f = b.fields
    f["segments"] = tuple(sorted(set(segments)))
    f["days_back"] = days_back

    # age (range-checked by parse_filters)
    lo, hi = v.get("age.minAge"), v.get("age.maxAge")
    min_age = AGE_MIN if lo is None else max(AGE_MIN, math.ceil(lo))
    max_age = AGE_MAX if hi is None else min(AGE_MAX, math.floor(hi))
    if lo is not None and hi is not None and lo > hi:
        b.unsatisfiable.append(f"filters.age: minAge ({lo}) is greater than maxAge ({hi})")
    elif min_age > max_age:
        b.unsatisfiable.append(
            f"filters.age: no adults between {lo} and {hi} (the sandbox population is aged "
            f"{AGE_MIN}-{AGE_MAX})"
        )
    f["min_age"], f["max_age"] = min(min_age, AGE_MAX), max(max_age, AGE_MIN)

    f["genders"] = b.enum(v, "gender", _GENDERS, "gender", " (use M, F or U)")

    # location
    hint = " (use two-letter codes such as 'CA', or full names such as 'California')"
    state = b.enum(v, "state", STATE_BY_NAME, "US state", hint)
    personal = b.enum(v, "personalState", STATE_BY_NAME, "US state", hint)
    if state is not None and personal is not None:
        both = tuple(s for s in state if s in personal)
        if not both and state and personal:
            b.unsatisfiable.append(
                "filters.state and filters.personalState have no state in common"
            )
        f["states"] = both
    else:
        f["states"] = state if state is not None else personal
    cities = b.strings(v, "city")
    if cities is not None:
        f["cities"] = tuple(_KNOWN_CITIES.get(_norm(c), c) for c in cities)
    zips = b.strings(v, "zip")
    if zips is not None:
        good = []
        for z in zips:
            m = re.fullmatch(r"([0-9]{5})(-[0-9]{4})?", z)
            if m:
                good.append(m.group(1))
            else:
                b.warnings.append(f"filters.zip: '{z}' ignored: not a 5-digit ZIP code")
        if not good:
            b.warnings.pop()
            b.unsatisfiable.append(
                f"filters.zip: no valid 5-digit ZIP code among {zips[:5]}, so no one matches"
            )
        f["zips"] = tuple(dict.fromkeys(good))

    # business profile
    hint = " (see GET /audiences/attributes/industries)"
    f["industries"] = b.enum(v, "businessProfile.industry", _INDUSTRY, "industry", hint)
    hint = " (use cxo, vp, director, manager or staff)"
    f["seniorities"] = b.enum(
        v, "businessProfile.seniority", _data.SENIORITY_ALIASES, "seniority", hint
    )
    hint = " (see GET /audiences/attributes/departments)"
    f["departments"] = b.enum(v, "businessProfile.department", _DEPARTMENT, "department", hint)
    for key, attr in (
        ("companyName", "company_names"),
        ("jobTitle", "job_titles"),
        ("companyDescription", "company_keywords"),
    ):
        texts = b.strings(v, f"businessProfile.{key}")
        f[attr] = None if texts is None else tuple(texts)
    excluded = b.strings(v, "businessProfile.excludeJobTitle")
    f["exclude_job_titles"] = tuple(_norm(t) for t in excluded or ())
    domains = b.strings(v, "businessProfile.companyDomain")
    if domains is not None:
        cleaned = []
        for d in domains:
            host = re.sub(r"^[a-z]+://", "", d.strip().lower()).split("/")[0]
            host = host.removeprefix("www.")
            if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", host):
                cleaned.append(host)
            else:
                b.warnings.append(f"filters.businessProfile.companyDomain: '{d}' is not a domain")
        if not cleaned:
            b.unsatisfiable.append("filters.businessProfile.companyDomain: no valid domain")
        f["company_domains"] = tuple(dict.fromkeys(cleaned))
    for key, attr, pattern, what in (
        ("sic", "sics", r"[0-9]{2,4}", "SIC code (2-4 digits)"),
        ("companyNaics", "naics", r"[0-9]{2,6}", "NAICS code (2-6 digits)"),
    ):
        codes = b.strings(v, f"businessProfile.{key}")
        if codes is None:
            continue
        good = [c for c in codes if re.fullmatch(pattern, c)]
        for c in codes:
            if c not in good:
                b.warnings.append(f"filters.businessProfile.{key}: '{c}' is not a {what}")
        if not good:
            b.unsatisfiable.append(f"filters.businessProfile.{key}: no valid {what}")
        f[attr] = tuple(good)
    f["employee_counts"] = b.enum(
        v, "businessProfile.employeeCount", _EMPLOYEE_COUNT, "employee count label"
    )
    f["revenues"] = b.enum(v, "businessProfile.companyRevenue", _REVENUE, "revenue label")

    # profile
    f["incomes"] = b.enum(v, "profile.incomeRange", _INCOME, "income range label")
    f["net_worths"] = b.enum(v, "profile.netWorth", _NET_WORTH, "net worth label")
    f["homeowner"] = b.enum(v, "profile.homeowner", _HOMEOWNER, "homeowner value")
    f["married"] = b.enum(v, "profile.married", _MARRIED, "married value")
    f["children"] = b.enum(v, "profile.children", _CHILDREN, "children value")

    # attributes
    hint = " (use high school, bachelor's, master's or doctorate)"
    f["education"] = b.enum(v, "attributes.education", _EDUCATION, "education level", hint)
    excl = b.enum(v, "attributes.excludeEducation", _EDUCATION, "education level", hint)
    if excl is not None and not excl:
        # an unknown exclusion excludes no one: a warning, not an empty audience
        b.warnings.append(b.unsatisfiable.pop().replace(", so no one matches", " and was ignored"))
    f["exclude_education"] = tuple(excl or ())
    if f["education"] is not None:
        left = tuple(e for e in f["education"] if e not in f["exclude_education"])
        if f["education"] and not left:
            b.unsatisfiable.append("filters.attributes: every education level is excluded")
        f["education"] = left
    f["credit_ratings"] = b.enum(v, "attributes.credit_rating", _CREDIT, "credit rating")
    for key, attr in (("language_code", "languages"), ("ethnic_code", "ethnicities")):
        texts = b.strings(v, f"attributes.{key}")
        f[attr] = None if texts is None else tuple(texts)
    other = 1.0
    for key, options in _OTHER_ATTRIBUTE_OPTIONS.items():
        texts = b.strings(v, f"attributes.{key}")
        if texts:
            other *= min(1.0, len(texts) / options)
    for key in ATTRIBUTE_RANGES:
        rng = v.get(f"attributes.{key}")
        if rng is None or rng == (None, None):
            continue
        low, high = rng
        if low is not None and high is not None and low > high:
            b.unsatisfiable.append(f"filters.attributes.{key}: min is greater than max")
        other *= 0.5
    f["other_selectivity"] = other

    # presence constraints
    from audiencelab.sandbox._columns import KNOWN_PRESENCE_COLUMNS

    for key, attr in (("notNulls", "not_nulls"), ("nullOnly", "null_only")):
        cols = []
        for c in b.strings(v, key) or ():
            name = c.upper()
            if name in KNOWN_PRESENCE_COLUMNS:
                cols.append(name)
            else:
                b.warnings.append(f"filters.{key}: '{c}' is not a record column; it has no effect")
        f[attr] = tuple(sorted(set(cols)))
    clash = set(f["not_nulls"]) & set(f["null_only"])
    if clash:
        b.unsatisfiable.append(f"filters: {', '.join(sorted(clash))} in both notNulls and nullOnly")

    return Criteria(**f, unsatisfiable=tuple(b.unsatisfiable), warnings=tuple(b.warnings))
