"""The request fields of every endpoint, as one table: name, type, required, range, description.

``_validate`` checks requests against these specs and ``_openapi`` describes them from the same
specs, so the documentation cannot drift from what the sandbox accepts. (The ``filters`` object
has its own table, ``_filters.FILTER_SPECS``, built from the same :class:`Field`.) Every rule is
a property of a field that both sides read: a string's ``pattern`` is the regular expression the
validator searches *and* the one the document states (non-blank strings, http(s) URLs, segment
IDs), enrichment record keys have a ``key_pattern``, the match keys of ``POST /enrich`` are
``at_least_one``; a test runs schemathesis's positive and negative checks against both.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

from audiencelab.sandbox import _data
from audiencelab.sandbox._columns import RECORD_COLUMNS

__all__ = [
    "CREATE_AUDIENCE",
    "CREATE_CUSTOM_AUDIENCE",
    "CREATE_ENRICHMENT_JOB",
    "CREATE_PIXEL",
    "ENRICH",
    "ENRICH_FIELDS",
    "ENRICH_MATCH_KEYS",
    "EVENT_TYPE",
    "JOB_COLUMNS",
    "MAX_DAYS_BACK",
    "MAX_FILTER_VALUES",
    "MAX_FILTER_VALUE_CHARS",
    "MAX_JOB_RECORDS",
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "MAX_RECORD_NUMBER",
    "NON_BLANK",
    "PAGE",
    "PAGE_SIZE",
    "PREVIEW_AUDIENCE",
    "RECORD_KEY_PATTERN",
    "SEGMENT_PATTERN",
    "SPACE_CHARS",
    "TOKEN",
    "URL_PATTERN",
    "Body",
    "Field",
    "Kind",
    "pattern_matches",
]

Kind = Literal["string", "integer", "number", "boolean", "object", "string[]", "object[]", "range"]

MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000_000
MAX_JOB_RECORDS = 100_000
#: ``days_back`` of ``POST /audiences``: the reference gives no range (§3.1); ten years is chosen
#: as a bound no real request reaches, so that no number is too large to compute with.
MAX_DAYS_BACK = 3650
#: Values in one filter list (``city``, ``businessProfile.jobTitle``, ``segment``...): chosen so that
#: the costliest combination of full lists still builds an audience in well under a second (the
#: sandbox compares every job title with every exclusion, every ZIP code with every city).
MAX_FILTER_VALUES = 1000
#: Characters in one filter value (a city, a job title, a keyword): far above any real one.
MAX_FILTER_VALUE_CHARS = 200
#: Numbers in enrichment records are turned into text; beyond this they are not identifiers.
MAX_RECORD_NUMBER = 10**15
SEGMENT_PATTERN = r"^(b2c|b2b)_[0-9]+$"
#: Whitespace as JSON Schema's regular expressions (ECMA-262) know it, spelled out: Python's
#: ``\s`` also holds U+001C-U+001F and U+0085, so ``\s`` would mean two things on the two sides.
_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
#: The same characters, for ``str.strip``.
SPACE_CHARS = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000\ufeff")
)
#: A string with at least one character that is not whitespace (names, topics...).
NON_BLANK = f"[^{_SPACE}]"
#: An http(s) URL with a host, spaces around it allowed (they are stripped).
URL_PATTERN = f"^[{_SPACE}]*[Hh][Tt][Tt][Pp][Ss]?://[^{_SPACE}/?#]"
#: Keys of enrichment records: lowercase snake_case (reference §4.2 sends ``email``,
#: ``first_name``...; ``EMAIL`` is refused with the fix rather than matched to nothing).
RECORD_KEY_PATTERN = r"^[a-z0-9_]+$"

#: ``filter`` match keys of ``POST /enrich`` (reference §4.1).
ENRICH_MATCH_KEYS = (
    "email", "first_name", "last_name", "company", "phone", "address", "city", "state", "zip",
    "linkedin_url",
)  # fmt: skip
#: lowercase ``fields`` names of ``POST /enrich`` and the record columns they select.
ENRICH_FIELDS: dict[str, tuple[str, ...]] = {
    "company": ("COMPANY_NAME",),
    "job_title": ("JOB_TITLE",),
    "first_name": ("FIRST_NAME",),
    "last_name": ("LAST_NAME",),
    "b2b_email": ("BUSINESS_EMAIL",),
    "personal_email": ("PERSONAL_EMAILS",),
    "b2b_phone": ("DIRECT_NUMBER", "COMPANY_PHONE"),
    "personal_phone": ("MOBILE_PHONE", "PERSONAL_PHONE"),
    "sha256": ("SHA256_PERSONAL_EMAIL",),
    "linkedin_url": ("LINKEDIN_URL",),
    "address": ("PERSONAL_ADDRESS",),
    "city": ("PERSONAL_CITY",),
    "state": ("PERSONAL_STATE",),
    "zip": ("PERSONAL_ZIP",),
    "industry": ("COMPANY_INDUSTRY",),
    "company_domain": ("COMPANY_DOMAIN",),
}
#: Accepted ``columns`` of ``POST /enrichments`` (reference §4.2: the 16, plus JOB_TITLE since 2026).
JOB_COLUMNS = (
    "EMAIL", "PERSONAL_EMAIL", "BUSINESS_EMAIL", "FIRST_NAME", "LAST_NAME", "PHONE",
    "PERSONAL_ADDRESS", "PERSONAL_CITY", "PERSONAL_STATE", "PERSONAL_ZIP", "COMPANY_NAME",
    "COMPANY_DOMAIN", "COMPANY_INDUSTRY", "SHA256_PERSONAL_EMAIL", "LINKEDIN_URL", "UP_ID",
    "JOB_TITLE",
)  # fmt: skip


def pattern_matches(pattern: str, text: str) -> bool:
    """Whether ``text`` matches a field's ``pattern`` as JSON Schema says (ECMA-262: searched,
    ``$`` only at the very end), so the validator and the document agree on every string."""
    return _compiled(pattern).search(text) is not None


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # Python's "$" also matches before a final newline; ECMA's (without the m flag) does not.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


@dataclass(frozen=True)
class Field:
    """One request field (a body key, a query parameter, or a key of ``filters``).

    ``minimum``/``maximum`` bound numbers (and both bounds of a ``range``); ``max_length`` bounds
    the characters of a string or of each item of a ``string[]``; ``min_items``/``max_items`` bound
    arrays; ``enum`` lists the allowed strings (of each item, for arrays); ``pattern`` is searched
    in a string (``re.search``, as JSON Schema does). ``nullable``: ``null`` means "not given"
    (every optional field of the API accepts it).
    """

    name: str
    kind: Kind
    description: str = ""
    required: bool = False
    nullable: bool = True
    default: Any = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    #: an http(s) URL (``pattern`` says which): kept without the spaces around it
    url: bool = False
    #: the name of a component schema that describes the value (``Filters``)
    ref: str | None = None
    #: for ``object``: the fields of the nested object (``filters.age``, ``POST /enrich``'s filter)
    fields: tuple[Field, ...] = ()
    #: for ``object`` and ``object[]`` items: keys beyond ``fields`` are "ignore"d, "reject"ed, or
    #: "string" values (enrichment records)
    extra: Literal["ignore", "reject", "string"] = "ignore"
    #: for ``object[]`` items: the pattern every key matches
    key_pattern: str | None = None
    #: for ``object``: at least one of ``fields`` must be given as a non-blank string
    at_least_one: bool = False


@dataclass(frozen=True)
class Body:
    """A JSON request body: its schema name, its fields, and what happens to unknown keys."""

    schema: str
    fields: tuple[Field, ...]
    unknown: Literal["ignore", "reject"] = "ignore"

    def __getitem__(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


_SEGMENT = Field(
    "segment",
    "string[]",
    "Segment IDs with the current taxonomy prefix, b2c_<n> or b2b_<n> (reference §3.1).",
    pattern=SEGMENT_PATTERN,
    max_items=MAX_FILTER_VALUES,
)

CREATE_AUDIENCE = Body(
    "CreateAudience",
    (
        Field(
            "name",
            "string",
            "Audience name.",
            required=True,
            min_length=1,
            max_length=500,
            pattern=NON_BLANK,
        ),
        Field(
            "filters",
            "object",
            "Filter criteria (reference §3.1.1); unknown keys are accepted and ignored.",
            required=True,
            ref="Filters",
        ),
        _SEGMENT,
        Field(
            "days_back",
            "integer",
            "Days of intent data a segment draws from (no documented range).",
            minimum=1,
            maximum=MAX_DAYS_BACK,
        ),
    ),
)

PREVIEW_AUDIENCE = Body(
    "PreviewAudience",
    (
        Field(
            "days_back",
            "integer",
            "Days of intent data (1-10).",
            required=True,
            minimum=1,
            maximum=10,
        ),
        Field("filters", "object", "Same shape as POST /audiences.", ref="Filters"),
        _SEGMENT,
        Field("limit", "integer", "Sample rows in result.", default=10, minimum=0, maximum=500),
        Field("score", "boolean", "Include quality scores.", default=False),
        Field("include_dnc", "boolean", "Include DNC-flagged contacts.", default=False),
    ),
)

CREATE_CUSTOM_AUDIENCE = Body(
    "CreateCustomAudience",
    (
        Field(
            "topic",
            "string",
            "Custom interest topic.",
            required=True,
            min_length=1,
            max_length=500,
            pattern=NON_BLANK,
        ),
        Field(
            "description",
            "string",
            "Who is interested in the topic.",
            required=True,
            min_length=1,
            max_length=5000,
            pattern=NON_BLANK,
        ),
    ),
)

ENRICH = Body(
    "Enrich",
    (
        Field(
            "filter",
            "object",
            "Match keys; at least one non-empty (reference §4.1).",
            required=True,
            fields=tuple(Field(k, "string") for k in ENRICH_MATCH_KEYS),
            extra="reject",
            at_least_one=True,
        ),
        Field(
            "fields",
            "string[]",
            "Output fields: lowercase names or record columns.",
            enum=(*sorted(ENRICH_FIELDS), *RECORD_COLUMNS),
            max_items=MAX_FILTER_VALUES,
        ),
        Field(
            "request_id",
            "string",
            "Echoed back.",
            min_length=1,
            max_length=200,
            pattern=NON_BLANK,
        ),
        Field("is_or_match", "boolean", "OR instead of AND across the match keys.", default=False),
    ),
    unknown="reject",
)

CREATE_ENRICHMENT_JOB = Body(
    "CreateEnrichmentJob",
    (
        Field(
            "name",
            "string",
            "Job name.",
            required=True,
            min_length=1,
            max_length=500,
            pattern=NON_BLANK,
        ),
        Field(
            "operator",
            "string",
            "Match logic across the columns.",
            default="OR",
            enum=("AND", "OR"),
        ),
        Field(
            "columns",
            "string[]",
            "UPPER_SNAKE columns present in records.",
            enum=JOB_COLUMNS,
            max_items=MAX_FILTER_VALUES,
        ),
        Field(
            "records",
            "object[]",
            "Rows with lowercase snake_case keys; values are strings (or numbers below 1e15).",
            required=True,
            min_items=1,
            max_items=MAX_JOB_RECORDS,
            extra="string",
            key_pattern=RECORD_KEY_PATTERN,
        ),
    ),
)

CREATE_PIXEL = Body(
    "CreatePixel",
    (
        Field(
            "websiteName",
            "string",
            "Display name.",
            required=True,
            min_length=1,
            max_length=500,
            pattern=NON_BLANK,
        ),
        Field(
            "websiteUrl",
            "string",
            "Where the pixel is installed (http or https).",
            required=True,
            min_length=1,
            max_length=2000,
            pattern=URL_PATTERN,
            url=True,
        ),
        Field(
            "webhookUrl",
            "string",
            "Receives pixel events (http or https).",
            min_length=1,
            max_length=2000,
            pattern=URL_PATTERN,
            url=True,
        ),
        Field("version", "string", "Pixel provider version.", default="v3", enum=("v3", "v4")),
    ),
)

#: Query parameters
PAGE = Field("page", "integer", "Page number, from 1.", default=1, minimum=1, maximum=MAX_PAGE)
PAGE_SIZE = Field(
    "page_size", "integer", "Items per page.", default=100, minimum=1, maximum=MAX_PAGE_SIZE
)
EVENT_TYPE = Field("event_type", "string", "Only events of this type.",
                   enum=_data.PIXEL_EVENT_TYPES)  # fmt: skip
TOKEN = Field("token", "string", "The token of the result file's csv_url.", required=True)
