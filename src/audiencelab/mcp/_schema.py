"""The JSON Schema of the audience filters, written for a model: every key described.

It is derived from :class:`audiencelab.AudienceFilters` (so it can never list a key the SDK
refuses) and then made plain: references inlined, "or null" removed, pydantic's generated titles
dropped, and a description added to every key from the table below (reference §3.1.1).
For the keys whose values the API lists (industry, department, seniority, sic, gender; segments),
the description says where the allowed values come from instead of copying them here: they are
the API's, and change.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from audiencelab import AudienceFilters

__all__ = [
    "ATTRIBUTE_FILTERS",
    "FILTER_DESCRIPTIONS",
    "SEGMENT_DESCRIPTION",
    "filter_paths",
    "filters_schema",
]

#: Which filter each attribute list (``list_attribute_values``) is for.
ATTRIBUTE_FILTERS: dict[str, str] = {
    "industries": "filters.businessProfile.industry",
    "departments": "filters.businessProfile.department",
    "seniority": "filters.businessProfile.seniority",
    "sic": "filters.businessProfile.sic",
    "gender": "filters.gender",
    "segments": "segment (an argument of its own, not a filter)",
}


def _listed(name: str) -> str:
    return (
        f' Allowed values: call list_attribute_values with name="{name}" (add a query to search '
        f"them), or read the resource audiencelab://attributes/{name}; use them exactly as listed."
    )


SEGMENT_DESCRIPTION = (
    "Intent segment IDs with their b2c_ (consumer) or b2b_ (business) prefix, e.g. "
    '["b2c_1253"]. Bare numbers and legacy al_ IDs are refused.' + _listed("segments")
)

_RANGE = "A range object: {min, max}; either end may be left out."

#: A description for every key of ``filters``, by its JSON path ("" is the object itself).
FILTER_DESCRIPTIONS: dict[str, str] = {
    "": (
        "Who to include. Every key is optional. Different keys combine with AND; the values in "
        "one list combine with OR. Lists are JSON arrays even for a single value. Unknown keys "
        "are refused (the real API would silently ignore them and return everyone). Keys are "
        "camelCase, except inside attributes."
    ),
    "age": "Age range in whole years, both ends inclusive.",
    "age.minAge": "Youngest age included, 0-120.",
    "age.maxAge": "Oldest age included, 0-120; not below minAge.",
    "city": ('City names, e.g. ["New York"]. Many cities share a name: add state to be precise.'),
    "state": (
        'US states as two-letter codes, e.g. ["NY", "NJ"]. Full names ("New York") are '
        "converted to codes."
    ),
    "personalState": (
        "The person's home state (two-letter codes). Use state unless you specifically mean "
        "the home address."
    ),
    "zip": 'Five-digit ZIP codes as strings, e.g. ["10001"] (not numbers: leading zeros count).',
    "gender": ('"M", "F" or "U" (unknown); "male" and "female" are converted.' + _listed("gender")),
    "businessProfile": "The person's job and company.",
    "businessProfile.industry": "The company's industry." + _listed("industries"),
    "businessProfile.seniority": "Seniority of the person's role." + _listed("seniority"),
    "businessProfile.companyName": "Company names.",
    "businessProfile.jobTitle": 'Job titles, free text, e.g. ["Software Engineer"].',
    "businessProfile.excludeJobTitle": "Job titles to leave out.",
    "businessProfile.department": "The person's department." + _listed("departments"),
    "businessProfile.companyDomain": 'Company web domains, e.g. ["acme.com"].',
    "businessProfile.companyDescription": "Keywords matched against the company's description.",
    "businessProfile.sic": "SIC industry codes, as strings." + _listed("sic"),
    "businessProfile.companyNaics": "NAICS industry codes, as strings.",
    "businessProfile.employeeCount": "Company size buckets, spelled as the dashboard labels them.",
    "businessProfile.companyRevenue": "Company revenue buckets, as the dashboard labels them.",
    "profile": "Household finances and family.",
    "profile.incomeRange": "Household income buckets, as the dashboard labels them.",
    "profile.netWorth": "Household net worth buckets, as the dashboard labels them.",
    "profile.homeowner": '"homeowner", "renter" or "probable homeowner 90-100".',
    "profile.married": '"yes" or "no".',
    "profile.children": '"has children" or "no children".',
    "attributes": (
        "Consumer attributes. Keys here are snake_case (credit_rating), except excludeEducation."
    ),
    "attributes.education": 'Highest education: "high school", "bachelor\'s", "master\'s", '
    '"doctorate".',
    "attributes.excludeEducation": 'Education levels to leave out, e.g. ["high school"].',
    "attributes.credit_rating": 'Credit rating bands, e.g. "800+", "750 - 799", "under 499".',
    "attributes.credit_range_new_credit": 'New-credit range, e.g. "$0 - $100".',
    "attributes.credit_card_user": '"yes" for credit card users.',
    "attributes.investment": '"investor" for people who invest.',
    "attributes.mortgage_amount": "Mortgage amount in dollars. " + _RANGE,
    "attributes.occupation_group": 'Occupation group, e.g. "professional / technical".',
    "attributes.occupation_type": "Occupation type labels.",
    "attributes.cra_code": '"low income", "moderate income", "middle income" or "high income".',
    "attributes.language_code": "Language labels.",
    "attributes.ethnic_code": "Ethnicity labels.",
    "attributes.smoker": '"yes" for smokers.',
    "attributes.marital_status": '"inferred married", "inferred single", "married" or "single".',
    "attributes.single_parent": '"yes" for single parents.',
    "attributes.generations_in_household": '"1", "2" or "3".',
    "attributes.net_worth": "Net worth buckets (attribute level; profile.netWorth is separate).",
    "attributes.dwelling_type": '"multi-family" or "single-family".',
    "attributes.home_year_built": "Year the home was built. " + _RANGE,
    "attributes.home_purchase_price": "Price paid for the home, in dollars. " + _RANGE,
    "attributes.home_purchase_year": "Year the home was bought. " + _RANGE,
    "attributes.estimated_home_value": 'Estimated home value buckets, e.g. "$1,000,000 plus".',
    "notNulls": (
        "Record columns that must have a value. For reachable people: "
        '"PERSONAL_EMAILS_VALIDATION_STATUS" (personal email), "DEEP_EMAILS_VALIDATION_STATUS" '
        '(valid business email), "VALID_PHONES", "SKIPTRACE_WIRELESS_NUMBERS", '
        '"SKIPTRACE_B2B_PHONE".'
    ),
    "nullOnly": "Record columns that must be empty (UPPER_SNAKE names).",
}

#: The dashboard's labels, where the reference lists them (shown as examples, not an enum: the
#: public API's accepted spellings are not confirmed).
_EXAMPLES: dict[str, list[str]] = {
    "businessProfile.employeeCount": [
        "1 to 10", "11 to 25", "26 to 50", "51 to 100", "101 to 250", "251 to 500",
        "501 to 1000", "1001 to 5000", "5001 to 10000", "10000+",
    ],
    "businessProfile.companyRevenue": [
        "Under 1 Million", "1 Million to 5 Million", "5 Million to 10 Million",
        "10 Million to 25 Million", "50 Million to 100 Million", "100 Million to 250 Million",
        "250 Million to 500 Million", "500 Million to 1 Billion", "1 Billion and Over",
    ],
    "profile.incomeRange": [
        "less than $20,000", "$20,000 to $44,999", "$45,000 to $59,999", "$60,000 to $74,999",
        "$75,000 to $99,999", "$100,000 to $149,999", "$150,000 to $199,999",
        "$200,000 to $249,999", "$250,000+",
    ],
}  # fmt: skip

_RANGE_ENDS = {"min": "Lowest value included.", "max": "Highest value included."}


def _plain(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with ``$ref`` inlined, ``anyOf [X, null]`` made ``X``, and generated titles and
    ``default: null`` dropped."""
    if isinstance(node, list):
        return [_plain(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return _plain({**target, **rest}, defs)
    options = node.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if len(kept) == 1:
            return _plain({**kept[0], **rest}, defs)
        types = {o.get("type") for o in kept if isinstance(o, dict) and list(o) == ["type"]}
        if len(types) == len(kept) and types == {"integer", "number"}:
            return _plain({"type": "number", **rest}, defs)  # int | float: a number
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "$defs") or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {name: _plain(prop, defs) for name, prop in value.items()}
        else:
            out[key] = _plain(value, defs)
    return out


def _describe(node: dict[str, Any], path: str) -> None:
    description = FILTER_DESCRIPTIONS.get(path)
    if description is None and path.rsplit(".", 1)[-1] in _RANGE_ENDS:
        description = _RANGE_ENDS[path.rsplit(".", 1)[-1]]
    if description is None:
        raise KeyError(f"no description for the filter {path!r}")  # a new SDK key: describe it
    node["description"] = description
    if path in _EXAMPLES:
        node["examples"] = [_EXAMPLES[path][:3]]
        node["description"] += " Labels: " + ", ".join(f'"{x}"' for x in _EXAMPLES[path]) + "."
    for name, prop in node.get("properties", {}).items():
        _describe(prop, f"{path}.{name}" if path else name)


@functools.cache
def _schema() -> dict[str, Any]:
    raw = AudienceFilters.model_json_schema(by_alias=True)
    schema: dict[str, Any] = _plain(raw, raw.get("$defs", {}))
    _describe(schema, "")
    return schema


def filters_schema() -> dict[str, Any]:
    """The filters' JSON Schema (a fresh copy: callers may add to it)."""
    return copy.deepcopy(_schema())


def filter_paths(schema: dict[str, Any] | None = None, prefix: str = "") -> list[str]:
    """Every key path of the schema, e.g. ``businessProfile.industry``."""
    node = _schema() if schema is None else schema
    paths: list[str] = []
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        paths.append(path)
        paths.extend(filter_paths(prop, path + "."))
    return paths
