"""Request parsing and validation for every endpoint (pure functions; errors are 400 ApiErrors)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from audiencelab.sandbox._errors import validation_error
from audiencelab.sandbox._filters import (
    Criteria,
    build_criteria,
    json_kind,
    parse_filters,
    parse_segments,
)

__all__ = [
    "ENRICH_FIELDS",
    "ENRICH_MATCH_KEYS",
    "JOB_COLUMNS",
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "AudienceRequest",
    "EnrichRequest",
    "JobRequest",
    "PixelRequest",
    "PreviewRequest",
    "parse_audience",
    "parse_custom",
    "parse_enrich",
    "parse_job",
    "parse_json",
    "parse_paging",
    "parse_pixel",
    "parse_preview",
]

MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000_000

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


def _describe(value: Any) -> str:
    kind = json_kind(value)
    if kind in ("string", "number", "boolean"):
        return f"{kind} {json.dumps(value)[:40]}"
    return kind


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says what is wrong with it."""
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
    return value


def parse_paging(
    query: Mapping[str, str], *, default_size: int = 100, max_size: int = MAX_PAGE_SIZE
) -> tuple[int, int]:
    """``page`` (>= 1) and ``page_size`` (1..max) from a query string."""
    page = _query_int(query, "page", 1, 1, MAX_PAGE)
    size = _query_int(query, "page_size", default_size, 1, max_size)
    return page, size


def _query_int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,12}", text) or not low <= int(text) <= high:
        raise validation_error(
            f"{name}: must be an integer between {low} and {high} (got {raw[:40]!r})"
        )
    return int(text)


def _require(body: dict[str, Any], name: str) -> Any:
    if name not in body or body[name] is None:
        raise validation_error(f"{name}: required")
    return body[name]


def _string(
    body: dict[str, Any], name: str, *, required: bool = True, max_len: int = 1000
) -> str | None:
    if not required and body.get(name) is None:
        return None
    value = _require(body, name)
    if not isinstance(value, str):
        raise validation_error(f"{name}: expected a string, got {_describe(value)}")
    if not value.strip():
        raise validation_error(f"{name}: must not be empty")
    if len(value) > max_len:
        raise validation_error(f"{name}: must be at most {max_len} characters")
    return value


def _integer(value: Any, name: str, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise validation_error(f"{name}: expected an integer, got {_describe(value)}")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise validation_error(f"{name}: expected an integer, got {_describe(value)}")
    number = int(value)
    if number < low or (high is not None and number > high):
        rule = f"between {low} and {high}" if high is not None else f">= {low}"
        raise validation_error(f"{name}: must be an integer {rule} (got {number})")
    return number


def _boolean(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise validation_error(f"{name}: expected a boolean, got {_describe(value)}")
    return value


# ---------------------------------------------------------------------------------------------
# Audiences


@dataclass(frozen=True)
class AudienceRequest:
    name: str
    criteria: Criteria
    ignored: tuple[str, ...]
    #: the body as stored (name, filters, segment, days_back)
    stored: dict[str, Any]


def _criteria(body: dict[str, Any], *, days_back: int | None) -> tuple[Criteria, tuple[str, ...]]:
    parsed = parse_filters(_require(body, "filters"))
    segments = parse_segments(body.get("segment"))
    return build_criteria(parsed, segments, days_back), tuple(parsed.ignored)


def parse_audience(body: dict[str, Any]) -> AudienceRequest:
    """``POST /audiences`` (reference §3.1)."""
    name = _string(body, "name", max_len=500)
    assert name is not None
    days_back = None
    if body.get("days_back") is not None:
        days_back = _integer(body["days_back"], "days_back", 1, None)
    criteria, ignored = _criteria(body, days_back=days_back)
    stored = {
        "name": name,
        "filters": body["filters"],
        "segment": body.get("segment") or [],
        "days_back": days_back,
    }
    return AudienceRequest(name, criteria, ignored, stored)


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
    days_back = _integer(_require(body, "days_back"), "days_back", 1, 10)
    limit = 10 if body.get("limit") is None else _integer(body["limit"], "limit", 0, 500)
    _boolean(body, "score", False)
    _boolean(body, "include_dnc", False)
    if body.get("filters") is None:
        body = {**body, "filters": {}}
    criteria, ignored = _criteria(body, days_back=days_back)
    return PreviewRequest(criteria, ignored, limit)


def parse_custom(body: dict[str, Any]) -> tuple[str, str]:
    """``POST /audiences/custom`` (reference §3.5)."""
    topic = _string(body, "topic", max_len=500)
    description = _string(body, "description", max_len=5000)
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
    for key in body:
        if key not in ("filter", "fields", "request_id", "is_or_match"):
            raise validation_error(
                f"{key}: unknown field (expected filter, fields, request_id, is_or_match)"
            )
    flt = _require(body, "filter")
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
        if value.strip():
            match[key] = value.strip()
    if not match:
        raise validation_error("filter: give at least one non-empty match key, e.g. email")
    fields = None
    raw_fields = body.get("fields")
    if raw_fields is not None:
        if not isinstance(raw_fields, list):
            raise validation_error(
                f"fields: expected an array of strings, got {_describe(raw_fields)}"
            )
        from audiencelab.sandbox._columns import RECORD_COLUMNS

        columns: list[str] = []
        for i, name in enumerate(raw_fields):
            if not isinstance(name, str):
                raise validation_error(f"fields[{i}]: expected a string, got {_describe(name)}")
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
    request_id = _string(body, "request_id", required=False, max_len=200)
    return EnrichRequest(match, fields, request_id, _boolean(body, "is_or_match", False))


@dataclass(frozen=True)
class JobRequest:
    name: str
    operator: str
    columns: tuple[str, ...]
    records: list[dict[str, str]]


def parse_job(body: dict[str, Any]) -> JobRequest:
    """``POST /enrichments`` (reference §4.2)."""
    name = _string(body, "name", max_len=500)
    assert name is not None
    operator = body.get("operator")
    if operator is None:
        operator = "OR"
    if operator not in ("AND", "OR"):
        raise validation_error(f"operator: must be 'AND' or 'OR' (got {_describe(operator)})")
    columns: list[str] = []
    raw_columns = body.get("columns")
    if raw_columns is not None:
        if not isinstance(raw_columns, list):
            raise validation_error(
                f"columns: expected an array of strings, got {_describe(raw_columns)}"
            )
        for i, col in enumerate(raw_columns):
            if not isinstance(col, str):
                raise validation_error(f"columns[{i}]: expected a string, got {_describe(col)}")
            if col == "PHONE_NUMBER":
                raise validation_error(
                    f"columns[{i}]: unsupported column 'PHONE_NUMBER'; use PHONE"
                )
            if col not in JOB_COLUMNS:
                raise validation_error(
                    f"columns[{i}]: unsupported column {col!r} (supported: {', '.join(JOB_COLUMNS)})"
                )
            if col not in columns:
                columns.append(col)
    records = _require(body, "records")
    if not isinstance(records, list):
        raise validation_error(f"records: expected an array of objects, got {_describe(records)}")
    if not records:
        raise validation_error("records: at least one record is required")
    if len(records) > 100_000:
        raise validation_error("records: at most 100000 records per job")
    clean: list[dict[str, str]] = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise validation_error(f"records[{i}]: expected an object, got {_describe(record)}")
        row: dict[str, str] = {}
        for key, value in record.items():
            if not re.fullmatch(r"[a-z0-9_]+", key):
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


def _url(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = _string(body, name, required=required, max_len=2000)
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise validation_error(f"{name}: expected an http(s) URL such as 'https://example.com'")
    return value.strip()


def parse_pixel(body: dict[str, Any]) -> PixelRequest:
    """``POST /pixels`` (reference §6.1): camelCase in."""
    name = _string(body, "websiteName", max_len=500)
    url = _url(body, "websiteUrl", required=True)
    webhook = _url(body, "webhookUrl", required=False)
    version = body.get("version")
    if version is None:
        version = "v3"
    if version not in ("v3", "v4"):
        raise validation_error(f"version: must be 'v3' or 'v4' (got {_describe(version)})")
    assert name is not None
    assert url is not None
    return PixelRequest(name, url, webhook, version)
