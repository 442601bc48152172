"""Request parsing and validation for every endpoint (pure functions; errors are 400 ApiErrors).

The rules of each field (type, required, range, length, allowed values) come from the specs in
``_fields``, the same table the OpenAPI document is built from; this module adds the checks that a
table cannot express (segment ID hints, record key casing, "at least one match key").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from audiencelab.sandbox._columns import RECORD_COLUMNS
from audiencelab.sandbox._criteria import Criteria, build_criteria
from audiencelab.sandbox._errors import validation_error
from audiencelab.sandbox._fields import (
    CREATE_AUDIENCE,
    CREATE_CUSTOM_AUDIENCE,
    CREATE_ENRICHMENT_JOB,
    CREATE_PIXEL,
    ENRICH,
    ENRICH_FIELDS,
    ENRICH_MATCH_KEYS,
    EVENT_TYPE,
    JOB_COLUMNS,
    MAX_RECORD_NUMBER,
    NON_BLANK,
    PAGE,
    PAGE_SIZE,
    PREVIEW_AUDIENCE,
    SPACE_CHARS,
    Body,
    Field,
    pattern_matches,
)
from audiencelab.sandbox._filters import (
    ParsedFilters,
    check_list_size,
    json_kind,
    parse_filters,
    parse_segments,
)

__all__ = [
    "AudienceRequest",
    "EnrichRequest",
    "JobRequest",
    "PixelRequest",
    "PreviewRequest",
    "criteria_from_stored",
    "parse_audience",
    "parse_custom",
    "parse_enrich",
    "parse_event_type",
    "parse_job",
    "parse_json",
    "parse_paging",
    "parse_pixel",
    "parse_preview",
]


def _describe(value: Any) -> str:
    kind = json_kind(value)
    if kind in ("string", "number", "boolean"):
        return f"{kind} {json.dumps(value)[:40]}"
    return kind


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says what is wrong with it.

    orjson parses (about 3x ``json.loads``: a 32 MB body holds the GIL for a third of the time);
    a body it refuses, or with an integer of 19 digits or more (orjson reads those as floats),
    is parsed by ``json.loads`` as before, for its exact value and its exact message.
    """
    if not _LONG_INTEGER.search(raw):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the message comes from json.loads below
        else:
            if not isinstance(value, dict):
                raise validation_error(f"body: expected a JSON object, got {_describe(value)}")
            return value
    return _parse_json_stdlib(raw)


#: Digits of an integer that orjson would read as a float (it keeps 64-bit integers exact).
_LONG_INTEGER = re.compile(rb"[0-9]{19}")


def _parse_json_stdlib(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise validation_error("body: a JSON object is required (the request body is empty)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise validation_error("body: malformed JSON (the body is not UTF-8)") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise validation_error(
            f"body: malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise validation_error(f"body: malformed JSON ({exc})") from None
    if not isinstance(value, dict):
        raise validation_error(f"body: expected a JSON object, got {_describe(value)}")
    if _MAYBE_SURROGATE.search(text):
        _refuse_lone_surrogates(value, "")
    return value


#: A JSON escape of a UTF-16 surrogate; paired ones decode to one character, lone ones do not.
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse_lone_surrogates(value: Any, path: str) -> None:
    """A 400 naming the first string (or key) that holds a lone surrogate: such text cannot be
    stored, encoded as UTF-8, or sent back (reference §1: bodies are UTF-8 JSON)."""
    problem = "contains a lone surrogate (invalid Unicode)"
    if isinstance(value, str):
        if _has_lone_surrogate(value):
            raise validation_error(f"{path or 'body'}: {problem}")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if _has_lone_surrogate(key):
                shown = key.encode("utf-8", "backslashreplace").decode("utf-8")
                raise validation_error(f"{path or 'body'}: the key {shown!r} {problem}")
            _refuse_lone_surrogates(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_lone_surrogates(item, f"{path}[{i}]")


# ---------------------------------------------------------------------------------------------
# Generic checks, driven by a Field


def _query_int(query: Mapping[str, str], field: Field) -> int:
    raw = query.get(field.name)
    if raw is None:
        return int(field.default)
    low, high = int(field.minimum or 0), int(field.maximum or 0)
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,12}", text) or not low <= int(text) <= high:
        raise validation_error(
            f"{field.name}: must be an integer between {low} and {high} (got {raw[:40]!r})"
        )
    return int(text)


def parse_paging(query: Mapping[str, str]) -> tuple[int, int]:
    """``page`` (>= 1) and ``page_size`` (1..1000) from a query string."""
    return _query_int(query, PAGE), _query_int(query, PAGE_SIZE)


def parse_event_type(query: Mapping[str, str]) -> str | None:
    """``event_type`` of ``GET /pixels/{id}``: one of the documented types, or absent."""
    value = query.get(EVENT_TYPE.name)
    allowed = EVENT_TYPE.enum or ()
    if value is not None and value not in allowed:
        raise validation_error(
            f"event_type: unknown event type {value[:40]!r} (use {', '.join(allowed)})"
        )
    return value


def _given(body: Mapping[str, Any], field: Field) -> Any:
    """The value of ``field``, or ``None`` when absent or null; a 400 if it is required."""
    value = body.get(field.name)
    if value is None and field.required:
        raise validation_error(f"{field.name}: required")
    return value


def _choices(values: tuple[str, ...]) -> str:
    quoted = [repr(v) for v in values]
    if len(quoted) == 2:
        return f"{quoted[0]} or {quoted[1]}"
    return "one of " + ", ".join(quoted)


def _mismatch(field: Field) -> str:
    if field.pattern == NON_BLANK:
        return f"{field.name}: must not be empty"
    if field.url:
        return f"{field.name}: expected an http(s) URL such as 'https://example.com'"
    return f"{field.name}: must match {field.pattern}"  # pragma: no cover - no such field yet


def read_string(body: Mapping[str, Any], field: Field) -> str | None:
    """A string field: type, allowed values, non-empty, length, URL shape."""
    value = _given(body, field)
    if value is None:
        return field.default  # type: ignore[no-any-return]
    if field.enum is not None:
        if value not in field.enum:
            raise validation_error(
                f"{field.name}: must be {_choices(field.enum)} (got {_describe(value)})"
            )
        return str(value)
    if not isinstance(value, str):
        raise validation_error(f"{field.name}: expected a string, got {_describe(value)}")
    if field.pattern == NON_BLANK and not pattern_matches(NON_BLANK, value):
        raise validation_error(_mismatch(field))
    if field.max_length is not None and len(value) > field.max_length:
        raise validation_error(f"{field.name}: must be at most {field.max_length} characters")
    if field.pattern is not None and not pattern_matches(field.pattern, value):
        raise validation_error(_mismatch(field))
    return value.strip(SPACE_CHARS) if field.url else value


def read_integer(body: Mapping[str, Any], field: Field) -> int | None:
    """An integer field (``2.0`` counts as 2), within its range."""
    value = _given(body, field)
    if value is None:
        return field.default  # type: ignore[no-any-return]
    name = field.name
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise validation_error(f"{name}: expected an integer, got {_describe(value)}")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise validation_error(f"{name}: expected an integer, got {_describe(value)}")
    low, high = field.minimum, field.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        rule = f"between {low} and {high}" if high is not None else f">= {low}"
        raise validation_error(f"{name}: must be an integer {rule} (got {_describe(value)[7:]})")
    return int(value)


def read_boolean(body: Mapping[str, Any], field: Field) -> bool:
    value = _given(body, field)
    if value is None:
        return bool(field.default)
    if not isinstance(value, bool):
        raise validation_error(f"{field.name}: expected a boolean, got {_describe(value)}")
    return value


def read_string_list(body: Mapping[str, Any], field: Field) -> list[str] | None:
    """An array of strings (the item rules that need hints are checked by the caller)."""
    value = _given(body, field)
    if value is None:
        return None
    if not isinstance(value, list):
        raise validation_error(
            f"{field.name}: expected an array of strings, got {_describe(value)}"
        )
    check_list_size(value, field, field.name)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise validation_error(f"{field.name}[{i}]: expected a string, got {_describe(item)}")
    return value


def read_object_list(body: Mapping[str, Any], field: Field) -> list[dict[str, Any]]:
    value = _given(body, field)
    if not isinstance(value, list):
        raise validation_error(
            f"{field.name}: expected an array of objects, got {_describe(value)}"
        )
    if field.min_items and len(value) < field.min_items:
        raise validation_error(f"{field.name}: at least one record is required")
    if field.max_items is not None and len(value) > field.max_items:
        raise validation_error(f"{field.name}: at most {field.max_items} records per job")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise validation_error(f"{field.name}[{i}]: expected an object, got {_describe(item)}")
    return value


def _reject_unknown(body: Mapping[str, Any], spec: Body) -> None:
    names = [f.name for f in spec.fields]
    for key in body:
        if key not in names:
            raise validation_error(f"{key}: unknown field (expected {', '.join(names)})")


# ---------------------------------------------------------------------------------------------
# Audiences


@dataclass(frozen=True)
class AudienceRequest:
    name: str
    criteria: Criteria
    ignored: tuple[str, ...]
    #: the body as stored (name, filters, segment, days_back)
    stored: dict[str, Any]


def _criteria(
    filters: Any, segment: Any, *, days_back: int | None
) -> tuple[Criteria, ParsedFilters]:
    parsed = parse_filters(filters)
    segments = parse_segments(segment)
    return build_criteria(parsed, segments, days_back), parsed


def parse_audience(body: dict[str, Any]) -> AudienceRequest:
    """``POST /audiences`` (reference §3.1)."""
    spec = CREATE_AUDIENCE
    name = read_string(body, spec["name"])
    assert name is not None
    days_back = read_integer(body, spec["days_back"])
    filters = _given(body, spec["filters"])
    criteria, parsed = _criteria(filters, body.get("segment"), days_back=days_back)
    stored = {
        "name": name,
        "filters": parsed.known(),
        "segment": body.get("segment") or [],
        "days_back": days_back,
    }
    return AudienceRequest(name, criteria, tuple(parsed.ignored), stored)


def criteria_from_stored(stored: dict[str, Any]) -> Criteria:
    """Rebuild the criteria of a stored audience (validated when it was created)."""
    parsed = parse_filters(stored["filters"])
    return build_criteria(parsed, parse_segments(stored.get("segment")), stored.get("days_back"))


@dataclass(frozen=True)
class PreviewRequest:
    criteria: Criteria
    ignored: tuple[str, ...]
    limit: int


def parse_preview(body: dict[str, Any]) -> PreviewRequest:
    """``POST /audiences/preview`` (reference §3.6): ``days_back`` 1-10 required, ``limit`` 0-500."""
    spec = PREVIEW_AUDIENCE
    days_back = read_integer(body, spec["days_back"])
    limit = read_integer(body, spec["limit"])
    assert limit is not None
    read_boolean(body, spec["score"])
    read_boolean(body, spec["include_dnc"])
    filters = _given(body, spec["filters"])
    criteria, parsed = _criteria(
        {} if filters is None else filters, body.get("segment"), days_back=days_back
    )
    return PreviewRequest(criteria, tuple(parsed.ignored), limit)


def parse_custom(body: dict[str, Any]) -> tuple[str, str]:
    """``POST /audiences/custom`` (reference §3.5)."""
    topic = read_string(body, CREATE_CUSTOM_AUDIENCE["topic"])
    description = read_string(body, CREATE_CUSTOM_AUDIENCE["description"])
    assert topic is not None
    assert description is not None
    return topic, description


# ---------------------------------------------------------------------------------------------
# Enrichment


@dataclass(frozen=True)
class EnrichRequest:
    match: dict[str, str]
    fields: tuple[str, ...] | None
    request_id: str | None
    is_or_match: bool


def parse_enrich(body: dict[str, Any]) -> EnrichRequest:
    """``POST /enrich`` (reference §4.1)."""
    spec = ENRICH
    _reject_unknown(body, spec)
    filter_field = spec["filter"]
    flt = _given(body, filter_field)
    if not isinstance(flt, dict):
        raise validation_error(f"filter: expected an object, got {_describe(flt)}")
    match: dict[str, str] = {}
    for key, value in flt.items():
        if key not in ENRICH_MATCH_KEYS:
            raise validation_error(
                f"filter.{key}: unknown match key (use {', '.join(ENRICH_MATCH_KEYS)})"
            )
        if value is None:
            continue
        if not isinstance(value, str):
            raise validation_error(f"filter.{key}: expected a string, got {_describe(value)}")
        if pattern_matches(NON_BLANK, value):  # a blank key is no key (and the same as null)
            match[key] = value.strip(SPACE_CHARS)
    if filter_field.at_least_one and not match:
        raise validation_error("filter: give at least one non-empty match key, e.g. email")
    fields = None
    names = read_string_list(body, spec["fields"])
    if names is not None:
        columns: list[str] = []
        for i, name in enumerate(names):
            if name in ENRICH_FIELDS:
                columns.extend(ENRICH_FIELDS[name])
            elif name in RECORD_COLUMNS:
                columns.append(name)
            else:
                raise validation_error(
                    f"fields[{i}]: unknown field {name!r} (use {', '.join(ENRICH_FIELDS)}, or a "
                    "record column such as 'FIRST_NAME')"
                )
        fields = tuple(dict.fromkeys(columns))
    request_id = read_string(body, spec["request_id"])
    return EnrichRequest(match, fields, request_id, read_boolean(body, spec["is_or_match"]))


@dataclass(frozen=True)
class JobRequest:
    name: str
    operator: str
    columns: tuple[str, ...]
    records: list[dict[str, str]]


def parse_job(body: dict[str, Any]) -> JobRequest:
    """``POST /enrichments`` (reference §4.2)."""
    spec = CREATE_ENRICHMENT_JOB
    name = read_string(body, spec["name"])
    operator = read_string(body, spec["operator"])
    assert name is not None
    assert operator is not None
    columns: list[str] = []
    for i, col in enumerate(read_string_list(body, spec["columns"]) or ()):
        if col == "PHONE_NUMBER":
            raise validation_error(f"columns[{i}]: unsupported column 'PHONE_NUMBER'; use PHONE")
        if col not in JOB_COLUMNS:
            raise validation_error(
                f"columns[{i}]: unsupported column {col!r} (supported: {', '.join(JOB_COLUMNS)})"
            )
        if col not in columns:
            columns.append(col)
    clean: list[dict[str, str]] = []
    records = spec["records"]
    key_pattern = records.key_pattern or ""
    for i, record in enumerate(read_object_list(body, records)):
        row: dict[str, str] = {}
        for key, value in record.items():
            if not pattern_matches(key_pattern, key):
                raise validation_error(
                    f"records[{i}].{key}: record keys are lowercase snake_case "
                    f"(e.g. {key.lower()!r})"
                )
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise validation_error(
                    f"records[{i}].{key}: expected a string, got {_describe(value)}"
                )
            if not isinstance(value, str) and not abs(value) < MAX_RECORD_NUMBER:
                raise validation_error(
                    f"records[{i}].{key}: numbers must be below 1e15 (send identifiers as "
                    f"strings; got {_describe(value)})"
                )
            row[key] = str(value)
        clean.append(row)
    return JobRequest(name, operator, tuple(columns), clean)


# ---------------------------------------------------------------------------------------------
# Pixels


@dataclass(frozen=True)
class PixelRequest:
    website_name: str
    website_url: str
    webhook_url: str | None
    version: str


def parse_pixel(body: dict[str, Any]) -> PixelRequest:
    """``POST /pixels`` (reference §6.1): camelCase in."""
    spec = CREATE_PIXEL
    name = read_string(body, spec["websiteName"])
    url = read_string(body, spec["websiteUrl"])
    webhook = read_string(body, spec["webhookUrl"])
    version = read_string(body, spec["version"])
    assert name is not None
    assert url is not None
    assert version is not None
    return PixelRequest(name, url, webhook, version)
