"""The ``filters`` object of ``POST /audiences`` (reference §3.1.1): its keys, and type checks.

Pure functions, no I/O. Unknown keys at any depth are accepted and reported (the real API silently
drops them, §3.1.3); known keys with the wrong JSON type, or numbers out of range, are a 400 naming
the field. ``_criteria`` then normalises the values into a ``Criteria``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from audiencelab.sandbox._errors import validation_error
from audiencelab.sandbox._fields import (
    MAX_FILTER_VALUE_CHARS,
    MAX_FILTER_VALUES,
    SEGMENT_PATTERN,
    Field,
    pattern_matches,
)

__all__ = [
    "AGE_LIMIT",
    "AGE_MAX",
    "AGE_MIN",
    "ATTRIBUTE_RANGES",
    "FILTER_SPECS",
    "RANGE_LIMIT",
    "ParsedFilters",
    "check_list_size",
    "json_kind",
    "parse_filters",
    "parse_segments",
]

AGE_MIN = 18
AGE_MAX = 85
#: Bounds of ``age.minAge``/``maxAge``: any age a person can have (the population itself is aged
#: AGE_MIN-AGE_MAX; ages outside it are accepted and clamped).
AGE_LIMIT = 150
#: Bounds of the ``{min, max}`` attributes (years, dollar amounts): chosen far above any real value.
RANGE_LIMIT = 10**12

_BUSINESS_KEYS = (
    "industry", "seniority", "companyName", "jobTitle", "excludeJobTitle", "department",
    "companyDomain", "companyDescription", "sic", "companyNaics", "employeeCount", "companyRevenue",
)  # fmt: skip
_PROFILE_KEYS = ("incomeRange", "netWorth", "homeowner", "married", "children")
_ATTRIBUTE_LISTS = (
    "education", "excludeEducation", "credit_rating", "credit_range_new_credit",
    "credit_card_user", "investment", "occupation_group", "occupation_type", "cra_code",
    "language_code", "ethnic_code", "smoker", "marital_status", "single_parent",
    "generations_in_household", "net_worth", "dwelling_type", "estimated_home_value",
)  # fmt: skip
ATTRIBUTE_RANGES = (
    "mortgage_amount",
    "home_year_built",
    "home_purchase_price",
    "home_purchase_year",
)


def _list(key: str, description: str = "") -> Field:
    return Field(
        key,
        "string[]",
        description,
        max_items=MAX_FILTER_VALUES,
        max_length=MAX_FILTER_VALUE_CHARS,
    )


def _group(key: str, fields: tuple[Field, ...], description: str) -> Field:
    return Field(key, "object", description, fields=fields)


#: Every key of reference §3.1.1 with its JSON type (the table ``parse_filters`` checks and the
#: OpenAPI document describes).
FILTER_SPECS: tuple[Field, ...] = (
    _group(
        "age",
        (
            Field("minAge", "number", "Inclusive lower age.", minimum=0, maximum=AGE_LIMIT),
            Field("maxAge", "number", "Inclusive upper age.", minimum=0, maximum=AGE_LIMIT),
        ),
        "Age range (AGE).",
    ),
    _list("city", "City names (PERSONAL_CITY)."),
    _list("state", "Two-letter state codes or names (PERSONAL_STATE)."),
    _list("personalState", "Two-letter state codes or names (PERSONAL_STATE)."),
    _list("zip", "5-digit ZIP codes (PERSONAL_ZIP)."),
    _list("gender", "M, F, U (or male, female, unknown)."),
    _group("businessProfile", tuple(_list(k) for k in _BUSINESS_KEYS), "Job and employer."),
    _group("profile", tuple(_list(k) for k in _PROFILE_KEYS), "Household and finances."),
    _group(
        "attributes",
        (
            *(_list(k) for k in _ATTRIBUTE_LISTS),
            *(
                Field(k, "range", "{min, max}; either may be null.", minimum=0, maximum=RANGE_LIMIT)
                for k in ATTRIBUTE_RANGES
            ),
        ),
        "Consumer attributes (snake_case keys).",
    ),
    _list("notNulls", "Record columns that must be non-empty."),
    _list("nullOnly", "Record columns that must be empty."),
)

_SEGMENTS = Field("segment", "string[]", max_items=MAX_FILTER_VALUES)


def json_kind(value: Any) -> str:
    """The JSON type name of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _describe(value: Any) -> str:
    kind = json_kind(value)
    if kind in ("string", "number", "boolean"):
        text = json.dumps(value)
        return f"{kind} {text[:40]}"
    return kind


# ---------------------------------------------------------------------------------------------
# Type checking


@dataclass
class ParsedFilters:
    """Flat known values by dotted path, and the dotted paths of the unknown (ignored) keys."""

    values: dict[str, Any] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def known(self) -> dict[str, Any]:
        """The known keys only, nested again: what an audience stores of its filters (the
        ignored keys, however large, are not kept)."""
        out: dict[str, Any] = {}
        for path, value in self.values.items():
            *parents, key = path.split(".")
            target = out
            for parent in parents:
                target = target.setdefault(parent, {})
            if isinstance(value, tuple):
                value = {"min": value[0], "max": value[1]}
            target[key] = value
        return out


def parse_filters(filters: Any, *, field_name: str = "filters") -> ParsedFilters:
    """Type-check a ``filters`` object against :data:`FILTER_SPECS`."""
    if not isinstance(filters, dict):
        raise validation_error(f"{field_name}: expected an object, got {_describe(filters)}")
    parsed = ParsedFilters()
    _walk(filters, _BY_NAME, "", field_name, parsed)
    return parsed


def _by_name(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {f.name: (_by_name(f.fields), f) if f.kind == "object" else f for f in fields}


_BY_NAME = _by_name(FILTER_SPECS)


def _walk(
    obj: dict[str, Any], specs: dict[str, Any], prefix: str, root: str, out: ParsedFilters
) -> None:
    for key, value in obj.items():
        path = f"{prefix}{key}"
        spec = specs.get(key)
        if spec is None:
            out.ignored.append(path)
            continue
        where = f"{root}.{path}"
        if value is None:
            continue  # the dashboard sends nulls for unset fields
        if isinstance(spec, tuple):
            if not isinstance(value, dict):
                raise validation_error(f"{where}: expected an object, got {_describe(value)}")
            _walk(value, spec[0], f"{path}.", root, out)
        elif spec.kind == "string[]":
            if not isinstance(value, list):
                raise validation_error(
                    f"{where}: expected an array of strings, got {_describe(value)}"
                    + (" (send an array even for a single value)" if isinstance(value, str) else "")
                )
            check_list_size(value, spec, where)
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise validation_error(
                        f"{where}[{i}]: expected a string, got {_describe(item)}"
                    )
                if spec.max_length is not None and len(item) > spec.max_length:
                    raise validation_error(
                        f"{where}[{i}]: at most {spec.max_length} characters per value"
                    )
            out.values[path] = list(value)
        elif spec.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise validation_error(
                    f"{where}: expected a number or null, got {_describe(value)}"
                )
            _check_range(value, spec, where)
            out.values[path] = value
        else:  # range
            if not isinstance(value, dict):
                raise validation_error(
                    f"{where}: expected an object {{min, max}}, got {_describe(value)}"
                )
            bounds: list[float | None] = []
            for bound in ("min", "max"):
                b = value.get(bound)
                if b is not None and (isinstance(b, bool) or not isinstance(b, (int, float))):
                    raise validation_error(
                        f"{where}.{bound}: expected a number or null, got {_describe(b)}"
                    )
                if b is not None:
                    _check_range(b, spec, f"{where}.{bound}")
                bounds.append(b)
            for extra in value:
                if extra not in ("min", "max"):
                    out.ignored.append(f"{path}.{extra}")
            out.values[path] = (bounds[0], bounds[1])


def check_list_size(value: list[Any], spec: Field, where: str) -> None:
    """Long lists are refused before anything looks at their items."""
    if spec.max_items is not None and len(value) > spec.max_items:
        raise validation_error(f"{where}: at most {spec.max_items} values (got {len(value)})")


def _check_range(value: float, spec: Field, where: str) -> None:
    """Numbers are range-checked before any arithmetic (a 400-digit number is not an age)."""
    low, high = spec.minimum, spec.maximum
    if low is None or high is None:
        return
    if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
        raise validation_error(
            f"{where}: must be a number between {low:g} and {high:g} (got {_describe(value)[7:]})"
        )


def parse_segments(value: Any, *, field_name: str = "segment") -> tuple[str, ...]:
    """``segment``: an array of ``b2c_<n>`` / ``b2b_<n>`` strings (reference §3.1)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        hint = " (send an array even for a single ID)" if isinstance(value, str) else ""
        raise validation_error(
            f"{field_name}: expected an array of strings, got {_describe(value)}{hint}"
        )
    check_list_size(value, _SEGMENTS, field_name)
    out: list[str] = []
    for i, item in enumerate(value):
        where = f"{field_name}[{i}]"
        if not isinstance(item, str):
            raise validation_error(f"{where}: expected a string, got {_describe(item)}")
        if pattern_matches(SEGMENT_PATTERN, item):
            out.append(item)
            continue
        text = item.strip()
        if text.isdigit():
            raise validation_error(
                f"{where}: '{item}' is not a valid segment ID; use the b2c_ or b2b_ prefix, "
                f"e.g. 'b2c_{text}' (bare numbers are not supported)"
            )
        if text.lower().startswith("al_"):
            raise validation_error(
                f"{where}: '{item}' is a legacy Delivr ID, which is not supported; use the b2c_ or "
                "b2b_ prefix, e.g. 'b2c_1253'"
            )
        raise validation_error(
            f"{where}: '{item}' is not a valid segment ID; use the b2c_ or b2b_ prefix followed by "
            "digits, e.g. 'b2c_1253' or 'b2b_1042'"
        )
    return tuple(dict.fromkeys(out))
