"""Record columns (reference §8) and which of them may be empty."""

from __future__ import annotations

__all__ = [
    "ALWAYS_PRESENT",
    "CSV_COLUMNS",
    "GROUP_PARENTS",
    "GROUP_PROBABILITY",
    "KNOWN_PRESENCE_COLUMNS",
    "NOT_NULL_GROUPS",
    "NULL_ONLY_GROUPS",
    "RECORD_COLUMNS",
]

#: The 74-column header of a real AudienceLab enrichment CSV (reference §8), in order.
CSV_COLUMNS: tuple[str, ...] = (
    "UUID",
    "FIRST_NAME", "LAST_NAME", "PERSONAL_ADDRESS", "PERSONAL_CITY", "PERSONAL_STATE",
    "PERSONAL_ZIP", "PERSONAL_ZIP4",
    "AGE_RANGE", "CHILDREN", "GENDER", "HOMEOWNER", "MARRIED", "NET_WORTH", "INCOME_RANGE",
    "DIRECT_NUMBER", "DIRECT_NUMBER_DNC", "MOBILE_PHONE", "MOBILE_PHONE_DNC", "PERSONAL_PHONE",
    "PERSONAL_PHONE_DNC", "VALID_PHONES",
    "BUSINESS_EMAIL", "PERSONAL_EMAILS", "PERSONAL_VERIFIED_EMAILS", "BUSINESS_VERIFIED_EMAILS",
    "SHA256_PERSONAL_EMAIL", "SHA256_BUSINESS_EMAIL",
    "JOB_TITLE", "HEADLINE", "DEPARTMENT", "SENIORITY_LEVEL", "INFERRED_YEARS_EXPERIENCE",
    "COMPANY_NAME_HISTORY", "JOB_TITLE_HISTORY", "EDUCATION_HISTORY",
    "COMPANY_NAME", "COMPANY_ADDRESS", "COMPANY_DESCRIPTION", "COMPANY_DOMAIN",
    "COMPANY_EMPLOYEE_COUNT", "COMPANY_LINKEDIN_URL", "COMPANY_PHONE", "COMPANY_REVENUE",
    "COMPANY_SIC", "COMPANY_NAICS", "COMPANY_CITY", "COMPANY_STATE", "COMPANY_ZIP",
    "COMPANY_INDUSTRY",
    "LINKEDIN_URL", "TWITTER_URL", "FACEBOOK_URL", "SOCIAL_CONNECTIONS", "SKILLS", "INTERESTS",
    "SKIPTRACE_MATCH_SCORE", "SKIPTRACE_NAME", "SKIPTRACE_ADDRESS", "SKIPTRACE_CITY",
    "SKIPTRACE_STATE", "SKIPTRACE_ZIP", "SKIPTRACE_LANDLINE_NUMBERS", "SKIPTRACE_WIRELESS_NUMBERS",
    "SKIPTRACE_CREDIT_RATING", "SKIPTRACE_DNC", "SKIPTRACE_EXACT_AGE", "SKIPTRACE_ETHNIC_CODE",
    "SKIPTRACE_LANGUAGE_CODE", "SKIPTRACE_IP", "SKIPTRACE_B2B_ADDRESS", "SKIPTRACE_B2B_PHONE",
    "SKIPTRACE_B2B_SOURCE", "SKIPTRACE_B2B_WEBSITE",
)  # fmt: skip

#: Columns of an audience/segment/preview record: the 74 above plus ``AGE`` (after AGE_RANGE).
RECORD_COLUMNS: tuple[str, ...] = (
    *CSV_COLUMNS[: CSV_COLUMNS.index("AGE_RANGE") + 1],
    "AGE",
    *CSV_COLUMNS[CSV_COLUMNS.index("AGE_RANGE") + 1 :],
)

ALWAYS_PRESENT: frozenset[str] = frozenset(
    {
        "UUID", "FIRST_NAME", "LAST_NAME", "PERSONAL_ADDRESS", "PERSONAL_CITY", "PERSONAL_STATE",
        "PERSONAL_ZIP", "AGE_RANGE", "AGE", "GENDER",
    }
)  # fmt: skip

#: Presence groups: a column is non-empty exactly when its group is present. Probability that a
#: group is present when its parents are.
GROUP_PROBABILITY: dict[str, float] = {
    "zip4": 0.9,
    "children": 0.7,
    "homeowner": 0.8,
    "married": 0.75,
    "net_worth": 0.8,
    "income": 0.85,
    "education": 0.65,
    "pemail": 0.88,
    "pemail_v": 0.65,
    "employed": 0.62,
    "bemail": 0.75,
    "bemail_v": 0.6,
    "mobile": 0.72,
    "pphone": 0.45,
    "direct": 0.3,
    "linkedin": 0.55,
    "twitter": 0.12,
    "facebook": 0.3,
    "skills": 0.7,
    "interests": 0.6,
    "skiptrace": 0.9,
    "st_wireless": 0.7,
    "st_landline": 0.35,
    "st_b2b": 0.6,
}
GROUP_PARENTS: dict[str, tuple[str, ...]] = {
    "pemail_v": ("pemail",),
    "bemail": ("employed",),
    "bemail_v": ("bemail",),
    "direct": ("employed",),
    "skills": ("employed",),
    "st_wireless": ("skiptrace",),
    "st_landline": ("skiptrace",),
    "st_b2b": ("skiptrace", "employed"),
}

_EMPLOYED_COLUMNS = (
    "JOB_TITLE", "HEADLINE", "DEPARTMENT", "SENIORITY_LEVEL", "INFERRED_YEARS_EXPERIENCE",
    "COMPANY_NAME_HISTORY", "JOB_TITLE_HISTORY", "COMPANY_NAME", "COMPANY_ADDRESS",
    "COMPANY_DESCRIPTION", "COMPANY_DOMAIN", "COMPANY_EMPLOYEE_COUNT", "COMPANY_LINKEDIN_URL",
    "COMPANY_PHONE", "COMPANY_REVENUE", "COMPANY_SIC", "COMPANY_NAICS", "COMPANY_CITY",
    "COMPANY_STATE", "COMPANY_ZIP", "COMPANY_INDUSTRY",
)  # fmt: skip
_SKIPTRACE_COLUMNS = (
    "SKIPTRACE_MATCH_SCORE", "SKIPTRACE_NAME", "SKIPTRACE_ADDRESS", "SKIPTRACE_CITY",
    "SKIPTRACE_STATE", "SKIPTRACE_ZIP", "SKIPTRACE_CREDIT_RATING", "SKIPTRACE_DNC",
    "SKIPTRACE_EXACT_AGE", "SKIPTRACE_ETHNIC_CODE", "SKIPTRACE_LANGUAGE_CODE", "SKIPTRACE_IP",
)  # fmt: skip

_COLUMN_GROUP: dict[str, str] = {
    "PERSONAL_ZIP4": "zip4",
    "CHILDREN": "children",
    "HOMEOWNER": "homeowner",
    "MARRIED": "married",
    "NET_WORTH": "net_worth",
    "INCOME_RANGE": "income",
    "EDUCATION_HISTORY": "education",
    "PERSONAL_EMAILS": "pemail",
    "SHA256_PERSONAL_EMAIL": "pemail",
    "PERSONAL_VERIFIED_EMAILS": "pemail_v",
    "BUSINESS_EMAIL": "bemail",
    "SHA256_BUSINESS_EMAIL": "bemail",
    "BUSINESS_VERIFIED_EMAILS": "bemail_v",
    "MOBILE_PHONE": "mobile",
    "MOBILE_PHONE_DNC": "mobile",
    "PERSONAL_PHONE": "pphone",
    "PERSONAL_PHONE_DNC": "pphone",
    "DIRECT_NUMBER": "direct",
    "DIRECT_NUMBER_DNC": "direct",
    "LINKEDIN_URL": "linkedin",
    "SOCIAL_CONNECTIONS": "linkedin",
    "TWITTER_URL": "twitter",
    "FACEBOOK_URL": "facebook",
    "SKILLS": "skills",
    "INTERESTS": "interests",
    "SKIPTRACE_WIRELESS_NUMBERS": "st_wireless",
    "SKIPTRACE_LANDLINE_NUMBERS": "st_landline",
    "SKIPTRACE_B2B_ADDRESS": "st_b2b",
    "SKIPTRACE_B2B_PHONE": "st_b2b",
    "SKIPTRACE_B2B_SOURCE": "st_b2b",
    "SKIPTRACE_B2B_WEBSITE": "st_b2b",
    **dict.fromkeys(_EMPLOYED_COLUMNS, "employed"),
    **dict.fromkeys(_SKIPTRACE_COLUMNS, "skiptrace"),
}

#: ``notNulls`` column -> presence groups it forces on. The two filter-only names are the values the
#: dashboard's "Contact" toggles send (reference §3.1.1).
NOT_NULL_GROUPS: dict[str, tuple[str, ...]] = {
    **{col: (group,) for col, group in _COLUMN_GROUP.items()},
    "VALID_PHONES": ("mobile",),
    "PERSONAL_EMAILS_VALIDATION_STATUS": ("pemail",),
    "DEEP_EMAILS_VALIDATION_STATUS": ("bemail_v",),
}
#: ``nullOnly`` column -> presence groups it forces off.
NULL_ONLY_GROUPS: dict[str, tuple[str, ...]] = {
    **{col: (group,) for col, group in _COLUMN_GROUP.items()},
    "VALID_PHONES": ("mobile", "pphone"),
    "PERSONAL_EMAILS_VALIDATION_STATUS": ("pemail",),
    "DEEP_EMAILS_VALIDATION_STATUS": ("bemail_v",),
}

KNOWN_PRESENCE_COLUMNS: frozenset[str] = frozenset(RECORD_COLUMNS) | frozenset(NOT_NULL_GROUPS)

assert len(CSV_COLUMNS) == 74
assert len(set(CSV_COLUMNS)) == 74
assert set(_COLUMN_GROUP) | ALWAYS_PRESENT | {"VALID_PHONES"} == set(RECORD_COLUMNS)
