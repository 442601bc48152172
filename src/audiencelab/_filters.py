"""Typed audience filters: every key of the catalogue (:mod:`audiencelab._catalogue`), with its
exact JSON name.

Python attribute names are snake_case; the JSON names (aliases) are the official ones: camelCase
(``minAge``, ``businessProfile.jobTitle``) except under ``attributes``, where the API uses snake_case
(``credit_rating``) beside camelCase ``excludeEducation``. Both spellings are accepted on input.
Each field's alias and description come from the catalogue, and each model checks, as it is
defined, that it has exactly the catalogue's keys in the catalogue's order: a key added to one and
not the other fails at import.

The real API silently ignores keys it does not know and returns an unfiltered audience, so unknown
keys are refused here, at any depth, with a suggestion.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from audiencelab._catalogue import by_path, children
from audiencelab._exceptions import (
    FilterValidationError,
    InputProblem,
    Loc,
    PassArgument,
    Remedy,
)
from audiencelab._validate import closest, normalize_key, problems_from_pydantic, value_error
from audiencelab._vocabularies import BUNDLED

__all__ = [
    "AgeRange",
    "Attributes",
    "AudienceFilters",
    "BusinessProfile",
    "NumberRange",
    "Profile",
    "parse_filters",
    "state_code",
]

US_STATES: Mapping[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR",
    "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
    "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA",
    "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "puerto rico": "PR", "guam": "GU", "u.s. virgin islands": "VI", "american samoa": "AS",
    "northern mariana islands": "MP",
}  # fmt: skip
STATE_CODES = frozenset(US_STATES.values())
_GENDERS = {"m": "M", "male": "M", "f": "F", "female": "F", "u": "U", "unknown": "U"}
_ZIP = re.compile(r"^\d{5}$")
_COLUMN = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _one_or_many(value: Any) -> Any:
    """A bare string where a list is expected is a one-element list (the API wants arrays)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    return value


def state_code(value: str) -> str | None:
    """The two-letter code of a state given by its code or its name (any case), or None."""
    text = value.strip()
    if text.upper() in STATE_CODES:
        return text.upper()
    return US_STATES.get(text.lower())


def _state_code(value: str) -> str:
    code = state_code(value)
    if code:
        return code  # the dashboard sends codes too: "California" -> "CA"
    text = value.strip()
    guess = closest(text, [*US_STATES, *STATE_CODES], cutoff=0.8)
    raise value_error(
        f"{value!r} is not a US state; use a two-letter code such as 'CA'",
        US_STATES.get(guess, guess) if guess else None,
    )


def _zip_code(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise value_error(
            f"ZIP codes are strings (leading zeros matter), not the number {value}",
            str(value).zfill(5),
        )
    if isinstance(value, str) and not _ZIP.match(value.strip()):
        raise ValueError(f"{value!r} is not a 5-digit ZIP code such as '10001'")
    return value.strip() if isinstance(value, str) else value


def _gender(value: str) -> str:
    code = _GENDERS.get(value.strip().lower())
    if code is None:
        raise ValueError(f"{value!r} is not a gender filter; use 'M', 'F' or 'U'")
    return code  # the backend's codes, as the dashboard sends them


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
    return value


def _column(value: str) -> str:
    if not _COLUMN.match(value):
        upper = "_".join(value.upper().replace("-", " ").split())
        # A suggestion is a real column (following one must not make the filter a no-op).
        columns = BUNDLED["notNulls"].values
        raise value_error(
            f"{value!r} is not a record column; columns are UPPER_SNAKE",
            upper if upper in columns else closest(upper, columns),
        )
    return value


def _not_empty(values: list[str]) -> list[str]:
    """An empty list filters nothing, or (for some backends) everything out: say which."""
    if not values:
        raise value_error("empty: remove it or give a value")
    return values


Text = Annotated[str, pydantic.StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
Values = Annotated[list[Text], BeforeValidator(_one_or_many), AfterValidator(_not_empty)]
StateValues = Annotated[
    list[Annotated[Text, AfterValidator(_state_code)]],
    BeforeValidator(_one_or_many),
    AfterValidator(_not_empty),
]
ZipValues = Annotated[
    list[Annotated[Text, BeforeValidator(_zip_code)]],
    BeforeValidator(_one_or_many),
    AfterValidator(_not_empty),
]
GenderValues = Annotated[
    list[Annotated[Text, AfterValidator(_gender)]],
    BeforeValidator(_one_or_many),
    AfterValidator(_not_empty),
]
ColumnValues = Annotated[
    list[Annotated[Text, AfterValidator(_column)]],
    BeforeValidator(_one_or_many),
    AfterValidator(_not_empty),
]
Number = Annotated[int | float, BeforeValidator(_number)]


_VALIDATING: contextvars.ContextVar[bool] = contextvars.ContextVar("_VALIDATING", default=False)


def _key(path: str, **constraints: Any) -> Any:
    """The field of the catalogue's key at ``path``: its JSON name and description."""
    spec = by_path(path)
    alias = spec.leaf if spec.leaf != spec.python else None
    return Field(None, alias=alias, description=spec.description, **constraints)


class _FilterModel(BaseModel):
    """Base of the filter models: unknown keys refused, both name spellings accepted."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)
    # Where this model sits under ``filters`` (for messages and suggestions).
    json_path: ClassVar[str] = ""
    # Whether its keys are the catalogue's under ``json_path`` (a range object's are not).
    catalogued: ClassVar[bool] = True

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if not cls.catalogued:
            return
        have = [(name, info.alias or name) for name, info in cls.model_fields.items()]
        want = [(s.python, s.leaf) for s in children(cls.json_path)]
        if have != want:  # a key added to the catalogue or to a model, not to both
            raise TypeError(
                f"{cls.__name__} has the keys {have}, the catalogue under "
                f"{cls.json_path or 'filters'!r} has {want}"
            )

    def __init__(self, /, **data: Any) -> None:
        # pydantic calls this for nested models too; only the outermost call translates errors,
        # so that nested problems keep their full path.
        if _VALIDATING.get():
            super().__init__(**data)
            return
        token = _VALIDATING.set(True)
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise _filter_error(exc, type(self)) from None
        finally:
            _VALIDATING.reset(token)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object sent to the API: official names, unset fields and empty objects left out."""
        return _prune(self.model_dump(mode="json", by_alias=True, exclude_none=True))


def _prune(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            item = _prune(item)
            if not item:
                continue
        out[key] = item
    return out


class AgeRange(_FilterModel):
    """``filters.age``: inclusive ages, whole years 0-120."""

    json_path: ClassVar[str] = "age"
    min_age: StrictInt | None = _key("age.minAge", ge=0, le=120)
    max_age: StrictInt | None = _key("age.maxAge", ge=0, le=120)

    @pydantic.model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(
                f"minAge ({self.min_age}) is greater than maxAge ({self.max_age}); swap them"
            )
        return self


class NumberRange(_FilterModel):
    """A ``{min, max}`` range object (e.g. ``attributes.home_year_built``); either end may be open."""

    catalogued: ClassVar[bool] = False
    min: Number | None = None
    max: Number | None = None

    @pydantic.model_validator(mode="after")
    def _ordered(self) -> NumberRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class BusinessProfile(_FilterModel):
    """``filters.businessProfile``: the person's job and company."""

    json_path: ClassVar[str] = "businessProfile"
    industry: Values | None = _key("businessProfile.industry")
    seniority: Values | None = _key("businessProfile.seniority")
    company_name: Values | None = _key("businessProfile.companyName")
    job_title: Values | None = _key("businessProfile.jobTitle")
    exclude_job_title: Values | None = _key("businessProfile.excludeJobTitle")
    department: Values | None = _key("businessProfile.department")
    company_domain: Values | None = _key("businessProfile.companyDomain")
    company_description: Values | None = _key("businessProfile.companyDescription")
    sic: Values | None = _key("businessProfile.sic")
    company_naics: Values | None = _key("businessProfile.companyNaics")
    employee_count: Values | None = _key("businessProfile.employeeCount")
    company_revenue: Values | None = _key("businessProfile.companyRevenue")


class Profile(_FilterModel):
    """``filters.profile``: household finances and family."""

    json_path: ClassVar[str] = "profile"
    income_range: Values | None = _key("profile.incomeRange")
    net_worth: Values | None = _key("profile.netWorth")
    homeowner: Values | None = _key("profile.homeowner")
    married: Values | None = _key("profile.married")
    children: Values | None = _key("profile.children")


class Attributes(_FilterModel):
    """``filters.attributes``: consumer attributes (JSON names are snake_case here)."""

    json_path: ClassVar[str] = "attributes"
    education: Values | None = _key("attributes.education")
    exclude_education: Values | None = _key("attributes.excludeEducation")
    credit_rating: Values | None = _key("attributes.credit_rating")
    credit_range_new_credit: Values | None = _key("attributes.credit_range_new_credit")
    credit_card_user: Values | None = _key("attributes.credit_card_user")
    investment: Values | None = _key("attributes.investment")
    mortgage_amount: NumberRange | None = _key("attributes.mortgage_amount")
    occupation_group: Values | None = _key("attributes.occupation_group")
    occupation_type: Values | None = _key("attributes.occupation_type")
    cra_code: Values | None = _key("attributes.cra_code")
    language_code: Values | None = _key("attributes.language_code")
    ethnic_code: Values | None = _key("attributes.ethnic_code")
    smoker: Values | None = _key("attributes.smoker")
    marital_status: Values | None = _key("attributes.marital_status")
    single_parent: Values | None = _key("attributes.single_parent")
    generations_in_household: Values | None = _key("attributes.generations_in_household")
    net_worth: Values | None = _key("attributes.net_worth")
    dwelling_type: Values | None = _key("attributes.dwelling_type")
    home_year_built: NumberRange | None = _key("attributes.home_year_built")
    home_purchase_price: NumberRange | None = _key("attributes.home_purchase_price")
    home_purchase_year: NumberRange | None = _key("attributes.home_purchase_year")
    estimated_home_value: Values | None = _key("attributes.estimated_home_value")


class AudienceFilters(_FilterModel):
    """The ``filters`` object of ``POST /audiences`` and ``POST /audiences/preview``.

    Field order follows the official example, so the JSON sent matches it key for key.
    """

    age: AgeRange | None = _key("age")
    city: Values | None = _key("city")
    state: StateValues | None = _key("state")
    personal_state: StateValues | None = _key("personalState")
    zip: ZipValues | None = _key("zip")
    gender: GenderValues | None = _key("gender")
    business_profile: BusinessProfile | None = _key("businessProfile")
    profile: Profile | None = _key("profile")
    attributes: Attributes | None = _key("attributes")
    not_nulls: ColumnValues | None = _key("notNulls")
    null_only: ColumnValues | None = _key("nullOnly")


# Keys people reach for that are arguments of their own, not filters (normalized -> argument).
_NOT_FILTERS = {
    "daysback": "days_back",
    "segment": "segment",
    "segments": "segment",
    "name": "name",
}
_SYNONYMS = {
    "zipcode": "zip", "zipcodes": "zip", "zips": "zip", "postalcode": "zip", "postcode": "zip",
    "states": "state", "cities": "city", "genders": "gender", "sex": "gender",
    "industries": "businessProfile.industry", "jobtitles": "businessProfile.jobTitle",
    "title": "businessProfile.jobTitle", "titles": "businessProfile.jobTitle",
    "company": "businessProfile.companyName", "companies": "businessProfile.companyName",
    "companynames": "businessProfile.companyName", "departments": "businessProfile.department",
    "seniorities": "businessProfile.seniority", "senioritylevel": "businessProfile.seniority",
    "business": "businessProfile", "location": "city", "agerange": "age",
    "minage": "age.minAge", "maxage": "age.maxAge", "income": "profile.incomeRange",
}  # fmt: skip


def _model_at(loc: Loc, start: type[_FilterModel]) -> type[_FilterModel] | None:
    """The filter model that owns the key at ``loc`` (the last element), walking from ``start``."""
    model = start
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = _field(model, part)
        if field is None:
            return None
        inner = _nested_model(field.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _field(model: type[_FilterModel], key: str) -> pydantic.fields.FieldInfo | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _nested_model(annotation: Any) -> type[_FilterModel] | None:
    for arg in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, _FilterModel):
            return arg
    return None


def _json_names(model: type[_FilterModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _all_paths(model: type[_FilterModel] = AudienceFilters, prefix: str = "") -> list[str]:
    paths: list[str] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{info.alias or name}"
        paths.append(path)
        inner = _nested_model(info.annotation)
        if inner is not None and inner is not NumberRange:
            paths.extend(_all_paths(inner, path + "."))
    return paths


_ALL_PATHS = _all_paths()


def _unknown_key_message(
    model: type[_FilterModel] | None, key: str
) -> tuple[str, str | None, Remedy | None]:
    """The message, suggestion and remedy for an unknown key under ``model``."""
    norm = normalize_key(key)
    if model is AudienceFilters and norm in _NOT_FILTERS:
        argument = _NOT_FILTERS[norm]
        return (
            f"not a filter: {argument} is an argument of its own",
            None,
            PassArgument(argument, purpose="instead"),
        )
    if model is not None:
        local = closest(key, _json_names(model))
        if local is not None:
            return "unknown filter", local, None
    # The key may belong elsewhere in the tree: `industry` lives under businessProfile.
    path = _SYNONYMS.get(norm)
    if path is None:
        leaves = {p.rsplit(".", 1)[-1]: p for p in _ALL_PATHS}
        leaf = closest(key, leaves, cutoff=0.8) or closest(key.rstrip("s"), leaves, cutoff=0.85)
        path = leaves[leaf] if leaf is not None else None
    if path is None:
        return "unknown filter (the API would silently ignore it)", None, None
    here = model.json_path if model is not None else ""
    if here and path.startswith(here + "."):
        path = path[len(here) + 1 :]
    elif model is not AudienceFilters:
        path = "filters." + path  # from another part of the tree: show it whole
    return "unknown filter", path, None


def _filter_error(
    exc: pydantic.ValidationError, model: type[_FilterModel]
) -> FilterValidationError:
    root: Loc = ("filters", model.json_path) if model.json_path else ("filters",)
    if model is NumberRange:
        root = ("range",)

    def unknown(loc: Loc) -> tuple[str, str | None, Remedy | None]:
        owner = _model_at(loc, model)
        return _unknown_key_message(owner, str(loc[-1]))

    return FilterValidationError(problems_from_pydantic(exc, root, unknown))


def parse_filters(filters: AudienceFilters | Mapping[str, Any] | None) -> AudienceFilters:
    """Typed filters from a model or a dict with the official (or snake_case) keys."""
    if isinstance(filters, AudienceFilters):
        return filters
    if filters is None:
        raise FilterValidationError([InputProblem("filters", "required (an object, e.g. {})")])
    if not isinstance(filters, Mapping):
        raise FilterValidationError(
            [InputProblem("filters", f"expected an object, got {type(filters).__name__}")]
        )
    token = _VALIDATING.set(True)
    try:
        return AudienceFilters.model_validate(dict(filters))
    except pydantic.ValidationError as exc:
        raise _filter_error(exc, AudienceFilters) from None
    finally:
        _VALIDATING.reset(token)
