"""Shared by the probe test and ``bench/sandbox_fuzz.py``: random request bodies with weird keys and
values (lone surrogates, control characters, huge numbers, nested junk), and the checks every
answer must pass against the sandbox's own OpenAPI description."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from schemathesis import checks

#: Response checks: no 5xx, documented status codes, content types, headers and bodies.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

#: Keys of the filters object (reference §3.1.1), a few of each group, and near misses.
KNOWN_KEYS = {
    "": ["age", "city", "state", "personalState", "zip", "gender", "businessProfile", "profile",
         "attributes", "notNulls", "nullOnly"],
    "age": ["minAge", "maxAge"],
    "businessProfile": ["industry", "seniority", "jobTitle", "excludeJobTitle", "companyName",
                        "companyDomain", "sic", "companyNaics", "employeeCount", "department"],
    "profile": ["incomeRange", "netWorth", "homeowner", "married", "children"],
    "attributes": ["education", "excludeEducation", "credit_rating", "language_code",
                   "home_year_built", "mortgage_amount", "smoker"],
}  # fmt: skip
WEIRD_KEYS = ["", " ", "x ", " x", "a\tb", "new\nline", "\x00", "\x7f", "é", "日本", "50%",
              "a,b", "a;b", "\ud800", "\udfff", "zipCode", "STATE", "min", "max"]  # fmt: skip

# Any code point, lone surrogates included (json.dumps writes them as \udXXX escapes).
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
#: Strings that broke the sandbox before (issue 11) or are near the limits.
SPECIAL_TEXT = ["\udfff", "a\ud800", "\udc00z", "x ", " x", "", " ", "a\x00b", "\x7f",
                "line\nbreak", "tab\t", "x" * 201, "é", "日本語", "<string>", "50%", "a,b"]  # fmt: skip
WEIRD_TEXT = st.one_of(st.sampled_from(SPECIAL_TEXT), st.text(ANY_CHAR, max_size=12))
HUGE = st.sampled_from([10**400, -(10**400), 10**309, 1e308, -1e308, 2**63, 151, -1, 0])
SCALAR = st.one_of(
    st.none(), st.booleans(), HUGE, st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    WEIRD_TEXT,
)  # fmt: skip
JUNK = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(WEIRD_KEYS), WEIRD_TEXT), inner, max_size=3),
    ),
    max_leaves=12,
)
PLAUSIBLE = st.sampled_from(["Austin", "TX", "California", "78701", "cxo", "bachelor's", "M",
                             "Software Development", "PERSONAL_EMAILS", "homeowner", "manager",
                             "Data Scientist", "Acme", "acme.com", "7372"])  # fmt: skip
VALUE = st.one_of(
    st.lists(PLAUSIBLE, max_size=3),  # the usual shape: an array of strings
    st.lists(WEIRD_TEXT, max_size=4),
    st.just(["Austin"] * 1001),  # just over the documented limit
    st.fixed_dictionaries({}, optional={"min": HUGE, "max": SCALAR}),
    JUNK,
)


@st.composite
def filters(draw: st.DrawFn, group: str = "", weird: int = 4) -> dict[str, Any]:
    """A filters object: known keys with plausible values, about one in ``weird`` of them (and
    sometimes an extra key) made weird, so that most bodies reach the generator."""
    out: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(KNOWN_KEYS[group]), max_size=4, unique=True)):
        if key in KNOWN_KEYS:
            out[key] = draw(filters(key, weird))
        elif key in ("minAge", "maxAge"):
            out[key] = draw(st.integers(0, 150) if draw(st.integers(0, weird)) else VALUE)
        elif key in ("home_year_built", "mortgage_amount"):
            plausible = st.fixed_dictionaries({}, optional={"min": st.integers(0, 3000)})
            out[key] = draw(plausible if draw(st.integers(0, weird)) else VALUE)
        else:
            out[key] = draw(
                st.lists(PLAUSIBLE, max_size=3) if draw(st.integers(0, weird)) else VALUE
            )
    if not draw(st.integers(0, weird)):
        out[draw(st.one_of(st.sampled_from(WEIRD_KEYS), WEIRD_TEXT))] = draw(JUNK)
    return out


@st.composite
def audience_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly valid bodies with one or two fields made weird, so that each fault reaches as deep
    into the sandbox as it can (a body wrong everywhere stops at its first error)."""
    body: dict[str, Any] = {
        "name": "probe",
        "filters": draw(filters()),
        "segment": draw(
            st.lists(st.sampled_from(["b2c_1", "b2b_42", "b2c_1253"]), min_size=1, max_size=2)
        ),
        "days_back": draw(st.integers(1, 10)),
        "limit": draw(st.integers(0, 20)),
    }
    weird = {
        "name": st.one_of(WEIRD_TEXT, WEIRD_TEXT, SCALAR),
        "filters": st.one_of(JUNK, filters(weird=1)),
        "segment": st.one_of(
            st.lists(st.sampled_from(["b2c_1", "1253", "al_1", "\udfff", "B2C_1"]), max_size=3),
            JUNK,
        ),
        "days_back": st.one_of(HUGE, HUGE, SCALAR),
        "limit": st.one_of(HUGE, SCALAR),
    }
    if draw(st.integers(0, 9)) < 8:  # usually one field is weird, sometimes two or none
        for key in draw(
            st.lists(st.sampled_from(sorted(weird)), min_size=1, max_size=2, unique=True)
        ):
            body[key] = draw(weird[key])
    if not draw(st.integers(0, 4)):
        body[draw(st.sampled_from(WEIRD_KEYS))] = draw(JUNK)
    return body


@st.composite
def job_bodies(draw: st.DrawFn) -> dict[str, Any]:
    record = st.dictionaries(
        st.one_of(st.sampled_from(["email", "first_name", "phone", "company", "zip"]), WEIRD_TEXT),
        st.one_of(WEIRD_TEXT, HUGE, SCALAR),
        max_size=4,
    )
    body: dict[str, Any] = {
        "name": draw(st.one_of(st.just("probe job"), WEIRD_TEXT)),
        "records": draw(st.one_of(st.lists(record, min_size=1, max_size=5), JUNK)),
    }
    if draw(st.booleans()):
        body["operator"] = draw(st.one_of(st.sampled_from(["AND", "OR"]), SCALAR))
    if draw(st.booleans()):
        body["columns"] = draw(st.one_of(st.lists(st.sampled_from(["EMAIL", "PHONE", "X"])), JUNK))
    return body


def raw_json(body: Any) -> bytes:
    """The body as JSON bytes; lone surrogates become \\udXXX escapes, non-finite floats the
    (invalid) ``Infinity``/``NaN`` tokens, which the sandbox must refuse with a 400."""
    return json.dumps(body, ensure_ascii=True).encode()
