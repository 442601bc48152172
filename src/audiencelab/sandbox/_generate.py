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
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

import orjson

from audiencelab.sandbox import _data, _workforce
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
from audiencelab.sandbox._persons import (
    AGE_RANGES,
    AGE_STRINGS,
    EDUCATION_STRINGS,
    FIRST_F,
    FIRST_M,
    FIRST_U,
    INTEREST_STRINGS,
    LAST_NAMES,
    STREETS,
    TWO_DIGITS,
    ZIP4,
    age_range,
    age_weight,
)
from audiencelab.sandbox._sampling import (
    BYTE_SLOTS,
    PERSONAL_DOMAINS,
    TEN_BIT_SLOTS,
    TEST_NETS,
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
#: enough for every column with a few to spare.
ROW_BYTES = 80
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
        self.plain = _PLAIN_TABLES and _plain(
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
        return [
            dict(zip(RECORD_COLUMNS, row, strict=True))
            for row in zip(*self.columns(start, stop), strict=True)
        ]

    def rows_json(self, start: int, stop: int) -> bytes:
        """The JSON of :meth:`rows`, without the array's brackets: ``{...},{...}`` (``b""`` for
        none). The same bytes as ``orjson.dumps(rows)[1:-1]``, written from the columns without
        making a dict per person: a page's rows cost about half then (``bench/sandbox_page.py``)."""
        if self.population == 0 or stop <= start:
            return b""
        cols = self.columns(start, stop)
        if not self.plain:
            # some text needs JSON escapes (a city or company name as a filter gave it): orjson
            return orjson.dumps(
                [dict(zip(RECORD_COLUMNS, row, strict=True)) for row in zip(*cols, strict=True)]
            )[1:-1]
        for k in _JSON_TEXT_COLUMNS:  # values that hold JSON strings: their quotes escaped
            cols[k] = [v.replace("\\", "\\\\").replace('"', '\\"') if v else v for v in cols[k]]
        n = stop - start
        width = 2 * len(RECORD_COLUMNS) + 1
        flat: list[str] = [""] * (width * n)
        for k, col in enumerate(cols):
            flat[2 * k :: width] = [_JSON_KEYS[k]] * n
            flat[2 * k + 1 :: width] = col
        flat[width - 1 :: width] = ['"},'] * n
        flat[-1] = '"}'
        return "".join(flat).encode()

    def columns(self, start: int, stop: int) -> list[list[str]]:
        """Rows ``start`` to ``stop`` as columns, in the order of ``RECORD_COLUMNS``: each a list
        of one value per row (``start < stop``). Each column is one pass over one or
        two bytes of every row's random bytes, which costs a fraction of a loop over the rows."""
        d, base = self._random(start, stop)
        lo, hi = (start - base) * ROW_BYTES, (stop - base) * ROW_BYTES

        def at(k: int) -> bytes:
            """Byte ``k`` of every row's random bytes."""
            return d[lo + k : hi : ROW_BYTES]

        gender_t, age_t, loc_t = self.gender_t, self.age_t, self.loc_t
        job_t, company_t = self.job_t, self.company_t
        thr = self.thr
        t_employed = thr["employed"] if job_t else 0
        two, age_str, nets = TWO_DIGITS, AGE_STRINGS, TEST_NETS
        sha256 = hashlib.sha256
        b49 = at(49)

        # who and where
        gender = [gender_t[x] for x in at(0)]
        age = [age_t[(x << 8 | y) & 1023] for x, y in zip(at(1), at(2), strict=True)]
        names = [
            (FIRST_M if g == "M" else FIRST_F if g == "F" else FIRST_U)[x]
            for g, x in zip(gender, at(3), strict=True)
        ]
        first = [t[0] for t in names]
        fs = [t[1] for t in names]
        lasts = [LAST_NAMES[(x << 8 | y) & 1023] for x, y in zip(at(4), at(5), strict=True)]
        last = [t[0] for t in lasts]
        ls = [t[1] for t in lasts]
        locs = [loc_t[x << 8 | y] for x, y in zip(at(6), at(7), strict=True)]
        city = [t[0] for t in locs]
        state = [t[1] for t in locs]
        zip_ = [t[2][x % len(t[2])] for t, x in zip(locs, at(8), strict=True)]
        hn = [x << 8 | y for x, y in zip(at(10), at(11), strict=True)]
        address = [f"{h % 9900 + 100} {STREETS[x]}" for h, x in zip(hn, at(12), strict=True)]
        d13, d14 = at(13), at(14)
        area = [t[3][x % len(t[3])] for t, x in zip(locs, d13, strict=True)]
        zip4_t = self.zip4_t
        zip4 = [ZIP4[h] if zip4_t[x] else "" for h, x in zip(hn, at(9), strict=True)]

        # phones
        t = thr["mobile"]
        mobile = [
            f"+1{a}55501{two[x % 100]}" if p < t else ""
            for a, x, p in zip(area, d13, at(32), strict=True)
        ]
        mobile_dnc = [
            ("Y" if x & 3 == 0 else "N") if m else "" for m, x in zip(mobile, b49, strict=True)
        ]
        t = thr["pphone"]
        pphone = [
            f"+1{w[3][x % len(w[3])]}55501{two[x % 100]}" if p < t else ""
            for w, x, p in zip(locs, d14, at(33), strict=True)
        ]
        pphone_dnc = [
            ("Y" if x & 12 == 0 else "N") if m else "" for m, x in zip(pphone, b49, strict=True)
        ]
        valid = [f"{m}, {p}" if m and p else m or p for m, p in zip(mobile, pphone, strict=True)]

        # personal emails
        t = thr["pemail"]
        d16 = at(16)
        e1 = [
            f"{f}.{s}{x % 90 + 10}@{PERSONAL_DOMAINS[x & 3]}" if p < t else ""
            for f, s, x, p in zip(fs, ls, d16, at(28), strict=True)
        ]
        pemails = [
            (f"{e}, {f[0]}{s}{x % 7}@example.org" if x & 16 else e) if e else ""
            for e, f, s, x in zip(e1, fs, ls, d16, strict=True)
        ]
        psha = [sha256(e.encode()).hexdigest() if e else "" for e in e1]
        t = thr["pemail_v"]
        pverified = [e if e and p < t else "" for e, p in zip(e1, at(29), strict=True)]

        # job and company
        employed = [x < t_employed for x in at(17)]
        d19, d21 = at(19), at(21)
        job = [job_t[x] if e else _NO_JOB for e, x in zip(employed, at(20), strict=True)]
        comp = [
            company_t[(x << 8 | y) & 1023] if e else _NO_COMPANY
            for e, x, y in zip(employed, at(18), d19, strict=True)
        ]
        prev = [
            company_t[(x << 2 | y) & 1023] if e else _NO_COMPANY
            for e, x, y in zip(employed, at(47), d19, strict=True)
        ]
        prev_title = [job_t[x][4] if e else "" for e, x in zip(employed, d21, strict=True)]
        title = [j[0] for j in job]
        years: list[str] = []
        for e, a, x in zip(employed, age, d21, strict=True):
            if e:
                y = a - 22 - (x & 7)  # careers start at 22, give or take 7 years
                years.append(age_str[y] if y > 0 else "1")
            else:
                years.append("")
        headline = [
            f"{j} at {c[0]}" if e else "" for e, j, c in zip(employed, title, comp, strict=True)
        ]
        cname_hist = [
            ("" if not e else f"[{c[1]}]" if p[0] == c[0] else f"[{c[1]}, {p[1]}]")
            for e, c, p in zip(employed, comp, prev, strict=True)
        ]
        title_hist = [
            ("" if not e else f"[{j[4]}]" if pt == j[4] else f"[{j[4]}, {pt}]")
            for e, j, pt in zip(employed, job, prev_title, strict=True)
        ]
        t = thr["bemail"]
        bemail = [
            (f"{f}.{s}@{c[15]}" if x & 64 else f"{f[0]}{s}@{c[15]}") if e and p < t else ""
            for e, f, s, c, x, p in zip(employed, fs, ls, comp, b49, at(30), strict=True)
        ]
        bsha = [sha256(e.encode()).hexdigest() if e else "" for e in bemail]
        t = thr["bemail_v"]
        bverified = [e if e and p < t else "" for e, p in zip(bemail, at(31), strict=True)]
        t = thr["direct"]
        direct = [
            f"{c[7][:-2]}{two[x % 100]}" if e and p < t else ""
            for e, c, x, p in zip(employed, comp, at(15), at(34), strict=True)
        ]
        direct_dnc = [
            ("Y" if x & 48 == 0 else "N") if m else "" for m, x in zip(direct, b49, strict=True)
        ]
        t = thr["skills"]
        skills = [
            j[3][x & 7] if e and x < t else ""
            for e, j, x in zip(employed, job, at(38), strict=True)
        ]

        # social
        t = thr["linkedin"]
        linkedin = [
            f"https://www.linkedin.com/in/{f}-{s}-{x:02x}{y:02x}" if p < t else ""
            for f, s, x, y, p in zip(fs, ls, at(51), at(52), at(35), strict=True)
        ]
        t = thr["twitter"]
        twitter = [
            f"https://x.com/{f}{s}{x % 100}" if p < t else ""
            for f, s, x, p in zip(fs, ls, at(53), at(36), strict=True)
        ]
        t = thr["facebook"]
        facebook = [
            f"https://www.facebook.com/{f}.{s}.{x}" if p < t else ""
            for f, s, x, p in zip(fs, ls, at(54), at(37), strict=True)
        ]
        social = [
            str(x * 2 + y % 37) if li else ""
            for li, x, y in zip(linkedin, at(59), at(60), strict=True)
        ]

        # skiptrace: present or not for the whole row
        t = thr["skiptrace"]
        st = [x < t for x in at(40)]
        st_score = [
            (str(x % 6 + 5 if b & 128 else x % 10 + 1) if s else "")
            for s, x, b in zip(st, at(50), b49, strict=True)
        ]
        st_name = [f"{f} {s}".upper() if k else "" for k, f, s in zip(st, first, last, strict=True)]
        st_address = [a.upper() if k else "" for k, a in zip(st, address, strict=True)]
        st_city = [c.upper() if k else "" for k, c in zip(st, city, strict=True)]
        st_state = [c if k else "" for k, c in zip(st, state, strict=True)]
        st_zip = [c if k else "" for k, c in zip(st, zip_, strict=True)]
        t = thr["st_landline"]
        st_landline = [
            f"+1{a}55501{two[x % 100]}" if k and p < t else ""
            for k, a, x, p in zip(st, area, at(55), at(42), strict=True)
        ]
        t = thr["st_wireless"]
        st_wireless = [
            (m or f"+1{a}55501{two[x % 100]}") if k and p < t else ""
            for k, m, a, x, p in zip(st, mobile, area, at(56), at(41), strict=True)
        ]
        credit_t, language_t, ethnic_t = self.credit_t, self.language_t, self.ethnic_t
        st_credit = [credit_t[x] if k else "" for k, x in zip(st, at(43), strict=True)]
        st_dnc = [
            (m or ("Y" if x < 40 else "N")) if k else ""
            for k, m, x in zip(st, mobile_dnc, at(57), strict=True)
        ]
        st_age = [age_str[a] if k else "" for k, a in zip(st, age, strict=True)]
        st_ethnic = [ethnic_t[x] if k else "" for k, x in zip(st, at(45), strict=True)]
        st_language = [language_t[x] if k else "" for k, x in zip(st, at(44), strict=True)]
        st_ip = [
            f"{nets[x & 3]}.{y % 254 + 1}" if k else ""
            for k, x, y in zip(st, at(46), at(58), strict=True)
        ]
        t = thr["st_b2b"]
        b2b = [k and e and p < t for k, e, p in zip(st, employed, at(39), strict=True)]
        st_b2b_address = [c[2] if b else "" for b, c in zip(b2b, comp, strict=True)]
        st_b2b_phone = [c[7] if b else "" for b, c in zip(b2b, comp, strict=True)]
        st_b2b_source = ["B2B Graph" if b else "" for b in b2b]
        st_b2b_website = [c[16] if b else "" for b, c in zip(b2b, comp, strict=True)]

        education_t, edu_str = self.education_t, EDUCATION_STRINGS
        education = [
            edu_str[v][y & 63] if v >= 0 else ""
            for v, y in zip((education_t[x] for x in at(22)), at(48), strict=True)
        ]
        h = d[lo:hi].hex()
        step = 2 * ROW_BYTES
        uuid = [
            f"{h[p : p + 8]}-{h[p + 8 : p + 12]}-4{h[p + 13 : p + 16]}-{_VARIANT[v & 3]}"
            f"{h[p + 17 : p + 20]}-{h[p + 20 : p + 32]}"
            for p, v in zip(range(128, 2 * (hi - lo), step), at(72), strict=True)
        ]
        return [
            uuid, first, last, address, city, state, zip_, zip4,
            [AGE_RANGES[a] for a in age], [age_str[a] for a in age],
            [self.children_t[x] for x in at(27)], gender,
            [self.homeowner_t[x] for x in at(25)], [self.married_t[x] for x in at(26)],
            [self.net_worth_t[x] for x in at(24)], [self.income_t[x] for x in at(23)],
            direct, direct_dnc, mobile, mobile_dnc, pphone, pphone_dnc, valid,
            bemail, pemails, pverified, bverified, psha, bsha,
            title, headline, [j[1] for j in job], [j[2] for j in job], years, cname_hist, title_hist,
            education,
            *([c[k] for c in comp] for k in _COMPANY_FIELDS),
            linkedin, twitter, facebook, social, skills,
            [self.interests_t[x] for x in at(61)],
            st_score, st_name, st_address, st_city, st_state, st_zip, st_landline, st_wireless,
            st_credit, st_dnc, st_age, st_ethnic, st_language, st_ip,
            st_b2b_address, st_b2b_phone, st_b2b_source, st_b2b_website,
        ]  # fmt: skip


_VARIANT = ("8", "9", "a", "b")
_NO_COMPANY: _workforce.Company = ("",) * 17
_NO_B2B = ("", "", "", "")
_NO_JOB: _workforce.Job = ("", "", "", (), "")
#: The company fields of a record, in the order of its columns (COMPANY_NAME ... COMPANY_INDUSTRY).
_COMPANY_FIELDS = (0, *range(2, 15))
#: What comes before each column's value in a row's JSON (all values are strings), and after the
#: last one: ``{"UUID":"`` value ``","FIRST_NAME":"`` value ... ``"}``.
_JSON_KEYS = ['{"UUID":"', *(f'","{name}":"' for name in RECORD_COLUMNS[1:])]
#: Columns whose values hold JSON text (``["Acme"]``, written by ``json.dumps``: ASCII, no
#: control characters): their quotes and backslashes need escapes.
_JSON_TEXT_COLUMNS = tuple(
    RECORD_COLUMNS.index(name)
    for name in ("COMPANY_NAME_HISTORY", "JOB_TITLE_HISTORY", "EDUCATION_HISTORY")
)
#: A character that JSON escapes inside a string (orjson escapes exactly these).
_ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def _plain(value: object) -> bool:
    """True when no text in ``value`` (a string, or tuples and lists of them) needs a JSON escape."""
    if isinstance(value, str):
        return _ESCAPED.search(value) is None
    if isinstance(value, (tuple, list)):
        return all(_plain(v) for v in value)
    return True


#: The module's own tables (names, streets...) need no escapes; a plan's may (a filter's text).
#: (EDUCATION_STRINGS are JSON text: a column of ``_JSON_TEXT_COLUMNS``.)
_PLAIN_TABLES = _plain(
    [
        *(FIRST_M, FIRST_F, FIRST_U, LAST_NAMES, STREETS, ZIP4, TWO_DIGITS, AGE_STRINGS),
        *(AGE_RANGES, INTEREST_STRINGS, PERSONAL_DOMAINS, TEST_NETS),
    ]
)


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
