"""Independent checks that a record satisfies the filters it was generated for.

These restate the rules of reference §3.1.1 / §8 without using the sandbox's own code, so a bug in
the generator cannot hide behind the same bug in the check. Which state a ZIP code is in comes from
the SDK's own table (``audiencelab._geography``), written apart from the sandbox's.
"""

from __future__ import annotations

import json
from typing import Any

from audiencelab._geography import states_of_zip

STATE_CODES = {
    "california": "CA", "texas": "TX", "new york": "NY", "florida": "FL", "washington": "WA",
    "illinois": "IL", "colorado": "CO", "ohio": "OH", "georgia": "GA", "massachusetts": "MA",
    "oregon": "OR",
}  # fmt: skip
GENDER = {"m": "M", "male": "M", "f": "F", "female": "F", "u": "U", "unknown": "U"}
SENIORITY = {
    "cxo": "CXO",
    "c-suite": "CXO",
    "vp": "VP",
    "director": "DIRECTOR",
    "manager": "MANAGER",
}
SENIORITY |= {"staff": "STAFF", "individual contributor": "STAFF", "entry level": "STAFF"}
EDUCATION = {"high school": "high school diploma", "bachelor's": "bachelor's degree"}
EDUCATION |= {"master's": "master's degree", "doctorate": "doctorate"}
HOMEOWNER = {"homeowner": "Y", "renter": "N", "probable homeowner 90-100": "P"}
YES_NO = {"yes": "Y", "no": "N", "has children": "Y", "no children": "N"}
AGE_RANGES = [(18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54")]
AGE_RANGES += [(55, 64, "55-64"), (65, 200, "65 and older")]


#: The three-digit ZIP prefixes of some cities (USPS): a record in one of them must have its ZIP
#: code there, whatever the filters.
CITY_ZIP_PREFIXES = {
    "chicago": {("IL", "606")},
    "boston": {("MA", "021")},
    "springfield": {("IL", "627"), ("MA", "011"), ("MO", "658")},
    "austin": {("TX", "787")},
    "dallas": {("TX", "752")},
    "denver": {("CO", "802")},
    "portland": {("OR", "972"), ("ME", "041")},
}


def _state(value: str) -> str:
    return STATE_CODES.get(value.casefold(), value.upper())


def _fold(values: list[str]) -> set[str]:
    return {" ".join(v.split()).casefold() for v in values}


def row_problems(row: dict[str, str], filters: dict[str, Any]) -> list[str]:
    """Every way ``row`` breaks ``filters`` (empty when it satisfies all of them)."""
    bad: list[str] = []

    def need(ok: bool, what: str) -> None:
        if not ok:
            bad.append(f"{what}: {row.get('UUID')}")

    need(all(isinstance(v, str) for v in row.values()), "non-string value")
    age = int(row["AGE"])
    low, high = next((lo, hi) for lo, hi, label in AGE_RANGES if label == row["AGE_RANGE"])
    need(low <= age <= high, f"AGE_RANGE {row['AGE_RANGE']} vs AGE {age}")
    if "age" in filters:
        lo, hi = filters["age"].get("minAge"), filters["age"].get("maxAge")
        need(lo is None or age >= lo, f"age {age} < {lo}")
        need(hi is None or age <= hi, f"age {age} > {hi}")
    if filters.get("city"):
        need(
            row["PERSONAL_CITY"].casefold() in _fold(filters["city"]),
            f"city {row['PERSONAL_CITY']}",
        )
    for key in ("state", "personalState"):
        if filters.get(key):
            codes = {_state(s) for s in filters[key]}
            need(row["PERSONAL_STATE"] in codes, f"{key} {row['PERSONAL_STATE']}")
    if filters.get("zip"):
        need(row["PERSONAL_ZIP"] in filters["zip"], f"zip {row['PERSONAL_ZIP']}")
    place = (row["PERSONAL_CITY"], row["PERSONAL_STATE"], row["PERSONAL_ZIP"])
    if place[2]:
        need(place[1] in states_of_zip(place[2]), f"ZIP code of another state {place}")
    if place[0].casefold() in CITY_ZIP_PREFIXES:
        prefixes = CITY_ZIP_PREFIXES[place[0].casefold()]
        need((place[1], place[2][:3]) in prefixes, f"ZIP code of another city {place}")
    if filters.get("gender"):
        need(row["GENDER"] in {GENDER[g.casefold()] for g in filters["gender"]}, "gender")
    bp = filters.get("businessProfile") or {}
    if bp.get("industry"):
        need(row["COMPANY_INDUSTRY"].casefold() in _fold(bp["industry"]), "industry")
    if bp.get("seniority"):
        allowed = {SENIORITY[s.casefold()] for s in bp["seniority"]}
        need(row["SENIORITY_LEVEL"].upper() in allowed, f"seniority {row['SENIORITY_LEVEL']}")
    if bp.get("department"):
        need(row["DEPARTMENT"].casefold() in _fold(bp["department"]), "department")
    if bp.get("jobTitle"):
        need(row["JOB_TITLE"].casefold() in _fold(bp["jobTitle"]), f"jobTitle {row['JOB_TITLE']}")
    for term in bp.get("excludeJobTitle") or ():
        need(
            term.casefold() not in row["JOB_TITLE"].casefold(), f"excluded title {row['JOB_TITLE']}"
        )
    if bp.get("companyName"):
        need(row["COMPANY_NAME"].casefold() in _fold(bp["companyName"]), "companyName")
    if bp.get("companyDomain"):
        need(row["COMPANY_DOMAIN"] in {d.lower() for d in bp["companyDomain"]}, "companyDomain")
    if bp.get("companyDescription"):
        text = row["COMPANY_DESCRIPTION"].casefold()
        need(any(k.casefold() in text for k in bp["companyDescription"]), "companyDescription")
    if bp.get("sic"):
        need(row["COMPANY_SIC"] in bp["sic"], "sic")
    if bp.get("companyNaics"):
        need(row["COMPANY_NAICS"] in bp["companyNaics"], "naics")
    if bp.get("employeeCount"):
        need(row["COMPANY_EMPLOYEE_COUNT"] in bp["employeeCount"], "employeeCount")
    if bp.get("companyRevenue"):
        need(row["COMPANY_REVENUE"] in bp["companyRevenue"], "companyRevenue")
    if any(bp.get(k) for k in bp if k != "excludeJobTitle"):
        need(bool(row["JOB_TITLE"]) and bool(row["COMPANY_NAME"]), "employed")
    profile = filters.get("profile") or {}
    if profile.get("incomeRange"):
        need(row["INCOME_RANGE"] in profile["incomeRange"], "incomeRange")
    if profile.get("netWorth"):
        need(row["NET_WORTH"] in profile["netWorth"], "netWorth")
    if profile.get("homeowner"):
        need(row["HOMEOWNER"] in {HOMEOWNER[h] for h in profile["homeowner"]}, "homeowner")
    for key, col in (("married", "MARRIED"), ("children", "CHILDREN")):
        if profile.get(key):
            need(row[col] in {YES_NO[v] for v in profile[key]}, key)
    attrs = filters.get("attributes") or {}
    degree = (
        json.loads(row["EDUCATION_HISTORY"])[0]["degree"].casefold()
        if row["EDUCATION_HISTORY"]
        else ""
    )
    if attrs.get("education"):
        need(degree in {EDUCATION[e] for e in attrs["education"]}, f"education {degree!r}")
    if attrs.get("excludeEducation"):
        need(
            degree not in {EDUCATION[e] for e in attrs["excludeEducation"]}, f"excluded {degree!r}"
        )
    if attrs.get("credit_rating"):
        need(row["SKIPTRACE_CREDIT_RATING"] in attrs["credit_rating"], "credit_rating")
    for col in filters.get("notNulls") or ():
        need(row[col] != "", f"notNulls {col}")
    for col in filters.get("nullOnly") or ():
        need(row[col] == "", f"nullOnly {col}")
    return bad
