"""The catalogue of filters: every key of ``filters`` described once.

Each row says what a key is: its official JSON path, its snake_case spelling, its type, what it
means (for people and for models), where its allowed values come from and whether that list is
complete, and its CLI flag. Everything else is derived from these rows: the typed filter models
check that they have exactly these keys (:mod:`audiencelab._filters`), the value checks take their
lists from here (:mod:`audiencelab._vocabularies`), and so do the CLI's filter flags, the MCP
tools' JSON Schema and the flag tables of the docs (a test compares them).

Pure data: nothing here imports pydantic or an HTTP library.

Where the allowed values come from (``values``):

* ``"live"``: the API lists them (``GET /audiences/attributes/{attribute}``);
* ``"bundled"``: the dashboard's labels, kept in ``labels``; ``closed`` says whether that is the
  whole list (``False``: a few labels are known, or none, and others exist);
* ``"gazetteer"``: US city names, from the ``zipcodes`` package;
* ``"format"``: checked by their shape alone (state codes, ZIP codes, gender codes, numbers);
* ``"free"``: free text (job titles, company names...), not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from audiencelab._columns import RECORD_COLUMNS

__all__ = [
    "ATTRIBUTE_NAMES",
    "FILTERS",
    "FILTERS_BY_PATH",
    "LIVE_ATTRIBUTES",
    "SEGMENT",
    "FilterSpec",
    "by_path",
    "children",
    "flag_filters",
]

Kind = Literal["object", "list", "number", "range"]
#: What one item of a list is: free text, or a value with a shape of its own.
Item = Literal["text", "state", "zip", "gender", "column", "segment"]
Values = Literal["live", "bundled", "gazetteer", "format", "free"]


@dataclass(frozen=True)
class FilterSpec:
    """One key of ``filters`` (or the ``segment`` argument), described once."""

    path: str  #: official JSON names, dotted: ``businessProfile.companyName``
    python: str  #: the snake_case name of the last part (the model's attribute): ``company_name``
    kind: Kind
    description: str  #: for people and models: what it selects, how values are written
    item: Item = "text"
    values: Values = "free"
    labels: tuple[str, ...] = ()  #: bundled: every allowed label (closed) or the known ones
    closed: bool = True  #: whether ``labels`` (or the live list) is the complete list
    attribute: str | None = None  #: the ``GET /audiences/attributes/{attribute}`` listing them
    flag: str | None = None  #: the CLI flag setting it (``--industry``)
    metavar: str = "VALUE"
    flag_help: str = ""
    note: str = ""  #: a short note for the flag tables (``NY`` or ``New York``)

    @property
    def leaf(self) -> str:
        """The last part of the JSON path (``companyName``)."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def parent(self) -> str:
        """The JSON path of the object holding it ("" for the top level of ``filters``)."""
        return self.path.rpartition(".")[0]

    @property
    def checked_against_labels(self) -> bool:
        """Whether its values are compared with a list (bundled or live)."""
        return self.values in ("bundled", "live")


def _group(path: str, python: str, description: str) -> FilterSpec:
    return FilterSpec(path, python, "object", description)


def _free(path: str, python: str, description: str, **more: object) -> FilterSpec:
    return FilterSpec(path, python, "list", description, **more)  # type: ignore[arg-type]


def _live(path: str, python: str, attribute: str, description: str, **more: object) -> FilterSpec:
    listed = f"; see `audiencelab attributes {attribute}`"
    more.setdefault("note", "list" + listed)
    return FilterSpec(
        path,
        python,
        "list",
        description,
        values="live",
        attribute=attribute,
        **more,  # type: ignore[arg-type]
    )


def _labels(
    path: str,
    python: str,
    labels: tuple[str, ...],
    description: str,
    *,
    closed: bool = True,
    **more: object,
) -> FilterSpec:
    return FilterSpec(
        path,
        python,
        "list",
        description,
        values="bundled",
        labels=labels,
        closed=closed,
        **more,  # type: ignore[arg-type]
    )


def _range(path: str, python: str, description: str) -> FilterSpec:
    return FilterSpec(
        path,
        python,
        "range",
        description + " A range object: {min, max}; either end may be left out.",
    )


_EDUCATION = ("high school", "bachelor's", "master's", "doctorate")
_YES = ("yes",)
# The record columns, the other columns seen in live payloads, and the filter-only columns the
# dashboard's "Contact" toggles push.
_COLUMNS = tuple(
    dict.fromkeys(
        [
            "PERSONAL_EMAILS_VALIDATION_STATUS", "DEEP_EMAILS_VALIDATION_STATUS", "VALID_PHONES",
            "SKIPTRACE_WIRELESS_NUMBERS", "SKIPTRACE_B2B_PHONE",
            *RECORD_COLUMNS,
            "PERSONAL_EMAIL", "PERSONAL_EMAIL_VALIDATION_STATUS", "BUSINESS_EMAIL_VALIDATION_STATUS",
            "PERSONAL_EMAIL_LAST_SEEN_BY_ESP_DATE", "BUSINESS_EMAIL_LAST_SEEN_BY_ESP_DATE",
            "ALL_MOBILES", "ALL_LANDLINES", "MOBILE_DNC", "LANDLINE_DNC", "AGE", "STATE", "ZIP",
            "SKIPTRACE_MATCH_BY", "SKIPTRACE_B2B_WIRELESS", "SKIPTRACE_B2B_LANDLINE",
        ]
    )
)  # fmt: skip
_INCOMPLETE = "A few of the dashboard's labels are known (others exist): use its exact spelling."
_UNLISTED = "Use the dashboard's exact labels: no list of them is published."

#: Every key of ``filters``, in the order of the official example (the order the JSON is sent in).
FILTERS: tuple[FilterSpec, ...] = (
    _group("age", "age", "Age range in whole years, both ends inclusive."),
    FilterSpec(
        "age.minAge", "min_age", "number", "Youngest age included, 0-120.", values="format",
        flag="--min-age", metavar="AGE", flag_help="Youngest age, 0-120.", note="0-120",
    ),
    FilterSpec(
        "age.maxAge", "max_age", "number", "Oldest age included, 0-120; not below minAge.",
        values="format", flag="--max-age", metavar="AGE", flag_help="Oldest age, 0-120.",
        note="0-120",
    ),
    _free(
        "city", "city",
        'City names, e.g. ["New York"]. Many cities share a name: add state to be precise.',
        values="gazetteer", flag="--city", metavar="CITY", flag_help="City (repeatable).",
        note="list; checked against the US cities of each state given",
    ),
    _free(
        "state", "state",
        'US states as two-letter codes, e.g. ["NY", "NJ"]. Full names ("New York") are converted '
        "to codes.",
        item="state", values="format", flag="--state", metavar="STATE",
        flag_help="State code or name, e.g. NY or 'New York' (repeatable).",
        note="list; `NY` or `New York`",
    ),
    _free(
        "personalState", "personal_state",
        "The person's home state (two-letter codes). Use state unless you specifically mean the "
        "home address.",
        item="state", values="format",
    ),
    _free(
        "zip", "zip",
        'Five-digit ZIP codes as strings, e.g. ["10001"] (not numbers: leading zeros count).',
        item="zip", values="format", flag="--zip", metavar="ZIP",
        flag_help="5-digit ZIP code (repeatable).", note="list; 5 digits",
    ),
    _free(
        "gender", "gender", '"M", "F" or "U" (unknown); "male" and "female" are converted.',
        item="gender", values="format", labels=("M", "F", "U"), attribute="gender",
        flag="--gender", metavar="M|F|U", flag_help="M, F or U (male/female/unknown work too).",
        note="list; `male`/`female`/`unknown` work too",
    ),
    _group("businessProfile", "business_profile", "The person's job and company."),
    _live(
        "businessProfile.industry", "industry", "industries", "The company's industry.",
        flag="--industry", metavar="INDUSTRY",
        flag_help="Industry (repeatable); see `audiencelab attributes industries`.",
    ),
    _live(
        "businessProfile.seniority", "seniority", "seniority", "Seniority of the person's role.",
        flag="--seniority", metavar="LEVEL",
        flag_help="Seniority (repeatable); see `audiencelab attributes seniority`.",
    ),
    _free(
        "businessProfile.companyName", "company_name", "Company names.", flag="--company",
        metavar="NAME", flag_help="Company name (repeatable).", note="list",
    ),
    _free(
        "businessProfile.jobTitle", "job_title", 'Job titles, free text, e.g. ["Software Engineer"].',
        flag="--job-title", metavar="TITLE", flag_help="Job title (repeatable).", note="list",
    ),
    _free(
        "businessProfile.excludeJobTitle", "exclude_job_title", "Job titles to leave out.",
        flag="--exclude-job-title", metavar="TITLE",
        flag_help="Job title to leave out (repeatable).", note="list",
    ),
    _live(
        "businessProfile.department", "department", "departments", "The person's department.",
        flag="--department", metavar="DEPARTMENT",
        flag_help="Department (repeatable); see `audiencelab attributes departments`.",
    ),
    _free("businessProfile.companyDomain", "company_domain", 'Company web domains, e.g. ["acme.com"].'),
    _free(
        "businessProfile.companyDescription", "company_description",
        "Keywords matched against the company's description.",
    ),
    _live("businessProfile.sic", "sic", "sic", "SIC industry codes, as strings."),
    _free("businessProfile.companyNaics", "company_naics", "NAICS industry codes, as strings."),
    _labels(
        "businessProfile.employeeCount", "employee_count",
        (
            "1 to 10", "11 to 25", "26 to 50", "51 to 100", "101 to 250", "251 to 500",
            "501 to 1000", "1001 to 5000", "5001 to 10000", "10000+",
        ),
        "Company size buckets, spelled as the dashboard labels them.",
    ),
    # "Miliion" is the dashboard's own spelling of that one label, and what its backend expects.
    _labels(
        "businessProfile.companyRevenue", "company_revenue",
        (
            "Under 1 Million", "1 Million to 5 Million", "5 Million to 10 Million",
            "10 Million to 25 Million", "25 Million to 50 Miliion", "50 Million to 100 Million",
            "100 Million to 250 Million", "250 Million to 500 Million", "500 Million to 1 Billion",
            "1 Billion and Over",
        ),
        "Company revenue buckets, as the dashboard labels them (its own spelling: "
        '"25 Million to 50 Miliion").',
    ),
    _group("profile", "profile", "Household finances and family."),
    _labels(
        "profile.incomeRange", "income_range",
        (
            "less than $20,000", "$20,000 to $44,999", "$45,000 to $59,999", "$60,000 to $74,999",
            "$75,000 to $99,999", "$100,000 to $149,999", "$150,000 to $199,999",
            "$200,000 to $249,999", "$250,000+",
        ),
        "Household income buckets, as the dashboard labels them.",
    ),
    _labels(
        "profile.netWorth", "net_worth", ("$2,500 to $24,999", "more than $1,000,000"),
        "Household net worth buckets (11 in the dashboard, from the lowest to the highest "
        "known here). " + _INCOMPLETE,
        closed=False,
    ),
    _labels(
        "profile.homeowner", "homeowner", ("probable homeowner 90-100", "homeowner", "renter"),
        "Home ownership.",
    ),
    _labels("profile.married", "married", ("yes", "no"), "Married or not."),
    _labels("profile.children", "children", ("has children", "no children"), "Children at home."),
    _group(
        "attributes", "attributes",
        "Consumer attributes. Keys here are snake_case (credit_rating), except excludeEducation.",
    ),
    _labels(
        "attributes.education", "education", _EDUCATION, "Highest education.",
        flag="--education", metavar="LEVEL",
        flag_help='Education, e.g. "bachelor\'s" (repeatable).', note="list",
    ),
    _labels(
        "attributes.excludeEducation", "exclude_education", _EDUCATION,
        "Education levels to leave out.", flag="--exclude-education", metavar="LEVEL",
        flag_help="Education to leave out (repeatable).", note="list",
    ),
    _labels(
        "attributes.credit_rating", "credit_rating", ("800+", "750 - 799", "under 499"),
        "Credit rating bands (8 in the dashboard, the best to the worst). " + _INCOMPLETE,
        closed=False,
    ),
    _labels(
        "attributes.credit_range_new_credit", "credit_range_new_credit",
        ("$0 - $100", "Greater than $9,999"),
        "Range of new credit (8 bands in the dashboard). " + _INCOMPLETE,
        closed=False,
    ),
    _labels("attributes.credit_card_user", "credit_card_user", _YES, "Credit card users."),
    _labels("attributes.investment", "investment", ("investor",), "People who invest."),
    _range("attributes.mortgage_amount", "mortgage_amount", "Mortgage amount in dollars."),
    _labels(
        "attributes.occupation_group", "occupation_group", ("professional / technical", "other"),
        "Occupation group (26 in the dashboard). " + _INCOMPLETE,
        closed=False,
    ),
    _labels(
        "attributes.occupation_type", "occupation_type", (), "Occupation type. " + _UNLISTED,
        closed=False,
    ),
    _labels(
        "attributes.cra_code", "cra_code",
        ("low income", "moderate income", "middle income", "high income"),
        "Community Reinvestment Act income level of the area.",
    ),
    _labels(
        "attributes.language_code", "language_code", (), "Language. " + _UNLISTED, closed=False
    ),
    _labels(
        "attributes.ethnic_code", "ethnic_code", ("indian", "arab"), "Ethnicity. " + _INCOMPLETE,
        closed=False,
    ),
    _labels("attributes.smoker", "smoker", _YES, "Smokers."),
    _labels(
        "attributes.marital_status", "marital_status",
        ("inferred married", "inferred single", "married", "single"),
        "Marital status.",
    ),
    # Sending both yes and no means no filter, so both are values.
    _labels("attributes.single_parent", "single_parent", ("yes", "no"), "Single parents."),
    _labels(
        "attributes.generations_in_household", "generations_in_household", ("1", "2", "3"),
        "Generations living in the household.",
    ),
    _labels(
        "attributes.net_worth", "net_worth", (),
        "Net worth buckets (attribute level; profile.netWorth is separate). " + _UNLISTED,
        closed=False,
    ),
    _labels(
        "attributes.dwelling_type", "dwelling_type", ("multi-family", "single-family"),
        "Type of dwelling.",
    ),
    _range("attributes.home_year_built", "home_year_built", "Year the home was built."),
    _range("attributes.home_purchase_price", "home_purchase_price", "Price paid for the home, in dollars."),
    _range("attributes.home_purchase_year", "home_purchase_year", "Year the home was bought."),
    _labels(
        "attributes.estimated_home_value", "estimated_home_value",
        ("$1,000 - $24,999", "$1,000,000 plus"),
        "Estimated home value buckets (19 in the dashboard). " + _INCOMPLETE,
        closed=False,
    ),
    _labels(
        "notNulls", "not_nulls", _COLUMNS,
        "Record columns that must have a value. For reachable people: "
        '"PERSONAL_EMAILS_VALIDATION_STATUS" (personal email), "DEEP_EMAILS_VALIDATION_STATUS" '
        '(valid business email), "VALID_PHONES", "SKIPTRACE_WIRELESS_NUMBERS", '
        '"SKIPTRACE_B2B_PHONE".',
        item="column",
    ),
    _labels(
        "nullOnly", "null_only", _COLUMNS, "Record columns that must be empty (UPPER_SNAKE names).",
        item="column",
    ),
)  # fmt: skip

#: The ``segment`` argument of create and preview (not a filter): checked like the live filters.
SEGMENT = FilterSpec(
    "segment",
    "segment",
    "list",
    "Intent segment IDs with their b2c_ (consumer) or b2b_ (business) prefix, e.g. "
    '["b2c_1253"]. Bare numbers and legacy al_ IDs are refused.',
    item="segment",
    values="live",
    attribute="segments",
)

#: JSON path -> its row (``segment`` included).
FILTERS_BY_PATH: Mapping[str, FilterSpec] = {spec.path: spec for spec in (*FILTERS, SEGMENT)}

#: Path -> the attribute whose live list its values are checked against (``segment`` included).
LIVE_ATTRIBUTES: Mapping[str, str] = {
    spec.path: spec.attribute
    for spec in (*FILTERS, SEGMENT)
    if spec.values == "live" and spec.attribute is not None
}
#: The lists ``GET /audiences/attributes/{name}`` serves: segments, those of the filters checked
#: against them (in filter order), then the others (gender).
ATTRIBUTE_NAMES: tuple[str, ...] = (
    "segments",
    *(s.attribute for s in FILTERS if s.attribute is not None and s.values == "live"),
    *(s.attribute for s in FILTERS if s.attribute is not None and s.values != "live"),
)


def by_path(path: str) -> FilterSpec:
    """The row of a JSON path (``businessProfile.industry``; ``segment`` for the argument)."""
    return FILTERS_BY_PATH[path]


def children(parent: str) -> tuple[FilterSpec, ...]:
    """The keys directly under ``parent`` ("" for the top level of ``filters``), in order."""
    return tuple(spec for spec in FILTERS if spec.parent == parent)


def flag_filters() -> tuple[FilterSpec, ...]:
    """The keys that have a CLI flag, in the order the flags are shown."""
    return tuple(spec for spec in FILTERS if spec.flag is not None)
