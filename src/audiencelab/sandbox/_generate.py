"""Synthetic people that satisfy a :class:`Criteria`: pure, deterministic, generated on demand.

A :class:`Plan` turns criteria into lookup tables (who can appear, with which weights) and an
estimate of how many adults in a national population of ~256 million match. Row *i* of a plan is a
function of (plan seed, *i*) only: its random bytes come from SHAKE-256 over (seed, block of
:data:`BLOCK_ROWS` rows), so any page costs time and memory for that page alone, and the same index
always gives the same person, whatever the page size.

Where each figure comes from is noted next to it; places are in ``_geography``, jobs and companies
in ``_workforce``, the weighted tables in ``_sampling``.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

from audiencelab.sandbox import _data, _people, _workforce
from audiencelab.sandbox._columns import (
    ALWAYS_PRESENT,
    GROUP_PARENTS,
    GROUP_PROBABILITY,
    NOT_NULL_GROUPS,
    NULL_ONLY_GROUPS,
    RECORD_COLUMNS,
)
from audiencelab.sandbox._criteria import Criteria
from audiencelab.sandbox._filters import AGE_MAX, AGE_MIN
from audiencelab.sandbox._geography import TOTAL_ADULTS, places
from audiencelab.sandbox._people import ROW_BYTES
from audiencelab.sandbox._persons import (
    INTEREST_STRINGS,
    age_range,
    age_weight,
)
from audiencelab.sandbox._sampling import (
    BYTE_SLOTS,
    TEN_BIT_SLOTS,
    TWO_BYTE_SLOTS,
    slots,
    stable_int,
    with_absent,
)

__all__ = [
    "TOTAL_ADULTS",
    "Plan",
    "age_range",
    "built_plan",
    "field_coverage",
    "plan_for",
    "stable_int",
]

#: Random bytes per person: each byte (or pair) of a row picks one attribute from a table; 80 is
#: Rows per SHAKE-256 call (chosen: one call per 20 KB of random bytes, so that a page of a few
#: rows does not hash much more than it needs).
BLOCK_ROWS = 256

#: Gender shares of the population, M/F/U (the 2020 Census counts about 49 % men and 51 % women;
#: chosen 49/49 plus 2 % with no recorded gender).
GENDER_WEIGHTS = {"M": 49.0, "F": 49.0, "U": 2.0}
#: Shares of homeowners (Y), renters (N) and probable homeowners (P): the Census HVS puts the US
#: homeownership rate at about 65 %; chosen 60/30/10.
HOMEOWNER_WEIGHTS = (60, 30, 10)
#: Married (Y) / not (N): about half of US adults are married (Census ACS, ~50 %).
MARRIED_WEIGHTS = (52, 48)
#: With children at home (Y) / without (N) (chosen: about 40 % of adults).
CHILDREN_WEIGHTS = (40, 60)
#: Share of people who speak one given language, or have one given ethnic code, when that filter
#: is set (chosen: 5 % per value listed).
LANGUAGE_SHARE = 0.05
ETHNICITY_SHARE = 0.05
#: Share of adults in one intent segment (chosen: 0.4 %, so a segment within a state gives
#: thousands of people).
SEGMENT_SHARE = 0.004
#: Share of a segment's people seen within ``days_back`` days: 30 % plus 10 % per day, all of them
#: from 7 days on (chosen: the dashboard's default window is 7 days, reference §3.1).
DAYS_BACK_BASE = 0.3
DAYS_BACK_PER_DAY = 0.1


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
        # a group is present when its byte is below its threshold
        thr = {g: round(p * BYTE_SLOTS) for g, p in self.present.items()}
        self.thr = thr

        # who: gender, age, location
        genders = c.genders if c.genders is not None else ("M", "F", "U")
        g_w = GENDER_WEIGHTS
        sel *= sum(g_w[g] for g in genders) / sum(g_w.values())
        ages = list(range(c.min_age, c.max_age + 1))
        all_w = sum(age_weight(a) for a in range(AGE_MIN, AGE_MAX + 1))
        sel *= sum(age_weight(a) for a in ages) / all_w
        where = places(c)
        locs = where.weighted
        # Values that fit none of the other location filters: why no one matches, or a warning
        # that they were ignored when other values still match.
        self.warnings = tuple(f"{why}, so it was ignored" for why in where.conflicts if locs)
        if not locs and not reasons:
            reasons.extend(
                where.conflicts
                or ["filters: no place matches the location filters (city, state, zip)"]
            )
        sel *= sum(w for _l, w in locs) / TOTAL_ADULTS

        # what: job, company, profile and attribute values
        jobs, job_share = _workforce.jobs(c, rng)
        companies, company_share = _employers(_employer_criteria(c))
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
                return [""] * BYTE_SLOTS
            return with_absent(items, weights, self.present[group], "")

        self.income_t = values("income", _data.INCOME_RANGES, _data.INCOME_WEIGHTS, c.incomes)
        self.net_worth_t = values(
            "net_worth", _data.NET_WORTHS, _data.NET_WORTH_WEIGHTS, c.net_worths
        )
        self.homeowner_t = values("homeowner", ("Y", "N", "P"), HOMEOWNER_WEIGHTS, c.homeowner)
        self.married_t = values("married", ("Y", "N"), MARRIED_WEIGHTS, c.married)
        self.children_t = values("children", ("Y", "N"), CHILDREN_WEIGHTS, c.children)
        self.interests_t = with_absent(
            INTEREST_STRINGS, [1.0] * len(INTEREST_STRINGS), self.present["interests"], ""
        )
        self.zip4_t = with_absent([True], [1.0], self.present["zip4"], False)
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
            with_absent(levels, edu_w, self.present["education"], -1)
            if levels
            else [-1] * BYTE_SLOTS
        )
        credits = [code for code, _label in _data.CREDIT_RATINGS]
        credit_w = [float(w) for w in _data.CREDIT_WEIGHTS]
        if c.credit_ratings is not None:
            kept_c = [
                (x, w) for x, w in zip(credits, credit_w, strict=True) if x in c.credit_ratings
            ]
            sel *= sum(w for _x, w in kept_c) / sum(credit_w)
            credits, credit_w = [x for x, _ in kept_c], [w for _, w in kept_c]
        self.credit_t = slots(credits, credit_w, BYTE_SLOTS) if credits else [""] * BYTE_SLOTS
        if c.languages is not None:
            self.language_t = slots(list(c.languages), [1.0] * len(c.languages), BYTE_SLOTS)
            sel *= min(1.0, LANGUAGE_SHARE * len(c.languages))
        else:
            self.language_t = slots(_data.LANGUAGES, _data.LANGUAGE_WEIGHTS, BYTE_SLOTS)
        if c.ethnicities is not None:
            self.ethnic_t = slots(list(c.ethnicities), [1.0] * len(c.ethnicities), BYTE_SLOTS)
            sel *= min(1.0, ETHNICITY_SHARE * len(c.ethnicities))
        else:
            self.ethnic_t = slots(_data.ETHNICITIES, [1.0] * len(_data.ETHNICITIES), BYTE_SLOTS)

        sel *= c.other_selectivity
        if c.segments:
            sel *= min(1.0, SEGMENT_SHARE * len(c.segments))
            if c.days_back is not None:
                sel *= min(1.0, DAYS_BACK_BASE + DAYS_BACK_PER_DAY * c.days_back)

        self.reasons = tuple(dict.fromkeys(reasons))
        # any satisfiable combination matches at least one person
        self.population = 0 if self.reasons or sel <= 0 else max(1, round(TOTAL_ADULTS * sel))
        #: True when no value of the tables needs a JSON escape (then :meth:`rows_json` writes
        #: the JSON itself); the JSON strings of the histories are escaped apart.
        self.plain = False
        if self.population == 0:
            # nothing to build: skip the tables
            self.gender_t: list[str] = []
            return
        self.gender_t = slots(list(genders), [g_w[g] for g in genders], BYTE_SLOTS)
        self.age_t = slots(ages, [age_weight(a) for a in ages], TEN_BIT_SLOTS)
        self.loc_t = slots([loc for loc, _w in locs], [w for _l, w in locs], TWO_BYTE_SLOTS)
        self.job_t = slots([j for j, _w in jobs], [w for _j, w in jobs], BYTE_SLOTS) if jobs else []
        self.company_t = (
            slots(companies, [1.0] * len(companies), _workforce.COMPANY_TABLE_SIZE)
            if companies
            else []
        )
        self.plain = _people.PLAIN_TABLES and _people.plain(
            [
                [loc for loc, _w in locs],
                [j[:4] for j, _w in jobs],
                [c[:1] + c[2:] for c in companies],
                *(self.income_t, self.net_worth_t, self.homeowner_t, self.married_t),
                *(self.children_t, self.credit_t, self.language_t, self.ethnic_t),
            ]
        )

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

    def random_bytes(self, start: int, stop: int) -> tuple[bytes, int]:
        """The random bytes of rows ``start`` to ``stop`` (``ROW_BYTES`` per row), and the row
        they begin at (the start of a block)."""
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
        return [
            dict(zip(RECORD_COLUMNS, row, strict=True))
            for row in zip(*self.columns(start, stop), strict=True)
        ]

    def rows_json(self, start: int, stop: int) -> bytes:
        """The JSON of :meth:`rows`, without the array's brackets: ``{...},{...}`` (``b""`` for
        none), written from the columns (``_people.rows_json``)."""
        return _people.rows_json(self, start, stop)

    def columns(self, start: int, stop: int) -> list[list[str]]:
        """Rows ``start`` to ``stop`` as columns, in the order of ``RECORD_COLUMNS``
        (``_people.columns``)."""
        return _people.columns(self, start, stop)


#: The criteria fields that decide who the employers are.
_EMPLOYER_FIELDS = (
    "industries", "employee_counts", "revenues", "sics", "naics", "company_names",
    "company_domains", "company_keywords",
)  # fmt: skip


def _employer_criteria(c: Criteria) -> Criteria:
    return Criteria(**{name: getattr(c, name) for name in _EMPLOYER_FIELDS})


@lru_cache(maxsize=64)
def _employers(c: Criteria) -> tuple[list[_workforce.Company], float]:
    """The employer table of some company filters, seeded by them alone: the same companies exist
    whatever the age or place filters, and a create need not build a thousand of them again
    (it took ~11 ms, and the sandbox handles writes one at a time)."""
    rng = random.Random(hashlib.sha256(("employers" + c.seed_key()).encode()).digest())
    national = [loc for loc, _w in places(Criteria()).weighted]
    return _workforce.companies(c, rng, national)


#: Plans kept, least recently used out first (chosen: a plan is a few hundred KB).
PLANS_KEPT = 16
_PLANS: OrderedDict[Criteria, Plan] = OrderedDict()
_PLANS_LOCK = threading.Lock()


def plan_for(criteria: Criteria) -> Plan:
    """The (cached) plan for some criteria; building one takes a few milliseconds."""
    plan = built_plan(criteria)
    if plan is None:
        plan = Plan(criteria)
        with _PLANS_LOCK:
            plan = _PLANS.setdefault(criteria, plan)  # a plan built meanwhile wins: one object
            while len(_PLANS) > PLANS_KEPT:
                _PLANS.popitem(last=False)
    return plan


def built_plan(criteria: Criteria) -> Plan | None:
    """The plan for some criteria if it is built already (it costs nothing then), else None."""
    with _PLANS_LOCK:
        plan = _PLANS.get(criteria)
        if plan is not None:
            _PLANS.move_to_end(criteria)
        return plan


def field_coverage(rows: Sequence[dict[str, str]]) -> dict[str, float]:
    """Share of non-empty values per record column (0.0 for every column when there are no rows)."""
    n = len(rows)
    if not n:
        return dict.fromkeys(RECORD_COLUMNS, 0.0)
    return {col: round(sum(1 for r in rows if r.get(col)) / n, 4) for col in RECORD_COLUMNS}
