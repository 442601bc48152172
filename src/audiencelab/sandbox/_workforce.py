"""Jobs and companies of the synthetic people, and what share of workers the business filters keep.

:func:`jobs` and :func:`companies` turn the ``businessProfile`` filters into the possible jobs and
employers (each with a weight) and into the *share* of employed adults that match; the generator
multiplies the audience size by that share.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence

from audiencelab.sandbox import _data
from audiencelab.sandbox._columns import GROUP_PROBABILITY
from audiencelab.sandbox._criteria import Criteria
from audiencelab.sandbox._geography import TOTAL_ADULTS, Loc
from audiencelab.sandbox._sampling import email_domain, slug

__all__ = ["COMPANY_TABLE_SIZE", "Company", "Job", "companies", "jobs"]

Job = tuple[str, str, str, tuple[str, ...], str]  # title, department, seniority, skills, title JSON
Company = tuple[str, ...]
# name, name JSON, address, description, domain, employee count, LinkedIn URL, phone, revenue,
# SIC, NAICS, city, state, zip, industry, email domain, website

#: Synthetic employers generated when no company name or domain is given (chosen: the generator
#: picks one with 10 bits of a row's random bytes, so a page shows many different companies).
COMPANY_TABLE_SIZE = 1024
#: Share of employed people who hold one given job title (chosen: about 0.3 % of workers, so that
#: a title in a city gives hundreds of people, not thousands).
JOB_TITLE_SHARE = 0.003
#: Employees per named company (chosen: a mid-sized employer; a list of company names or domains
#: keeps this many people per name).
EMPLOYEES_PER_NAMED_COMPANY = 150.0
#: Share of companies whose description mentions one given keyword (chosen: 2 %).
KEYWORD_COMPANY_SHARE = 0.02
#: SIC codes in common use: one code keeps 1/300 of companies (chosen; there are about 1,000
#: four-digit SIC codes, of which a few hundred cover most employment).
SIC_CODES_IN_USE = 300
#: NAICS codes in common use: one code keeps 1/800 of companies (chosen; the 2022 NAICS has 1,012
#: six-digit industries).
NAICS_CODES_IN_USE = 800
#: Skill lists per department, each of 2 to 4 skills (chosen: enough variety in a page).
SKILL_SETS_PER_DEPARTMENT = 8
#: Share of company addresses with a suite number (chosen).
SUITE_SHARE = 0.4

_SENIORITY_W = dict(zip(_data.SENIORITY_LEVELS, _data.SENIORITY_WEIGHTS, strict=True))
_DEPARTMENT_W = dict(zip(_data.DEPARTMENTS, _data.DEPARTMENT_WEIGHTS, strict=True))
_INDUSTRY = {name: (sic, naics) for name, sic, naics in _data.INDUSTRIES}


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
    for _ in range(SKILL_SETS_PER_DEPARTMENT):
        k = min(len(skills), rng.randint(2, 4))
        out.append(", ".join(rng.sample(skills, k)))
    return tuple(out)


def _excluded(title: str, exclusions: Sequence[str]) -> bool:
    t = " ".join(title.split()).casefold()
    return any(x in t for x in exclusions)


def jobs(c: Criteria, rng: random.Random) -> tuple[list[tuple[Job, float]], float]:
    """Possible jobs with weights, and the share of employed people who hold one of them."""
    depts = list(c.departments) if c.departments is not None else list(_data.DEPARTMENTS)
    sens = list(c.seniorities) if c.seniorities is not None else list(_data.SENIORITY_LEVELS)
    if not depts or not sens:
        return [], 0.0
    dept_w = [float(_DEPARTMENT_W[d]) for d in depts]
    share = sum(dept_w) / sum(_data.DEPARTMENT_WEIGHTS)
    share *= sum(_SENIORITY_W[s] for s in sens) / sum(_data.SENIORITY_WEIGHTS)
    skills = {d: _skill_sets(d, rng) for d in _data.DEPARTMENTS}
    found: list[tuple[Job, float]] = []
    if c.job_titles is not None:
        titles = [t for t in c.job_titles if not _excluded(t, c.exclude_job_titles)]
        for title in titles:
            dept = rng.choices(depts, dept_w)[0]
            inferred = _infer_seniority(title)
            sen = inferred if inferred in sens else rng.choice(sens)
            found.append(((title, dept, sen, skills[dept], json.dumps(title)), 1.0))
        return found, share * min(1.0, JOB_TITLE_SHARE * len(titles))
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
                    found.append(((title, dept, sen, skills[dept], json.dumps(title)), w))
    return found, share * (kept / total if total else 0.0)


def companies(c: Criteria, rng: random.Random, national: list[Loc]) -> tuple[list[Company], float]:
    """Possible employers, and the share of employed people who work for one of them."""
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
        workers = TOTAL_ADULTS * GROUP_PROBABILITY["employed"]
        share *= min(1.0, EMPLOYEES_PER_NAMED_COMPANY * n / workers)
    else:
        n = COMPANY_TABLE_SIZE
    if c.company_keywords is not None:
        share *= min(1.0, KEYWORD_COMPANY_SHARE * len(c.company_keywords))
    if c.sics is not None:
        share *= min(1.0, len(c.sics) / SIC_CODES_IN_USE)
    if c.naics is not None:
        share *= min(1.0, len(c.naics) / NAICS_CODES_IN_USE)
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
            domains[k % len(domains)] if domains else f"{slug(name if names else base)}.example.com"
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
        if rng.random() < SUITE_SHARE:
            address += f" Suite {rng.randint(1, 30) * 10}"
        out.append(
            (
                name, json.dumps(name), address, description, domain, count,
                f"https://www.linkedin.com/company/{slug(name) or 'company'}", phone, revenue,
                sic, naics, city, st, rng.choice(zips), industry, email_domain(domain),
                f"https://{domain}",
            )
        )  # fmt: skip
    return out, share
