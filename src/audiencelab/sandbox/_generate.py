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
        first_m, first_f, first_u, last_t = FIRST_M, FIRST_F, FIRST_U, LAST_NAMES
        age_ranges, age_str, two, zip4s, streets = (
            AGE_RANGES,
            AGE_STRINGS,
            TWO_DIGITS,
            ZIP4,
            STREETS,
        )
        edu_str = EDUCATION_STRINGS
        pdomains, nets = PERSONAL_DOMAINS, TEST_NETS
        sha256 = hashlib.sha256
        out: list[dict[str, str]] = []
        append = out.append
        # Byte offsets into the row's ROW_BYTES random bytes; "& 1023" is TEN_BIT_SLOTS - 1 and a
        # pair of bytes indexes a TWO_BYTE_SLOTS table (literals here: this loop is the hot path).
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
                years = age - 22 - (d[o + 21] & 7)  # careers start at 22, give or take 7 years
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
_NO_COMPANY: _workforce.Company = ("",) * 17
_NO_B2B = ("", "", "", "")


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
