"""Every API call as a pure function: check the input, then describe the request and its parser.

Nothing here does I/O. The sync and async resources call these and hand the result to their client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import pydantic_core

from audiencelab._exceptions import (
    AudienceNotReadyError,
    FilterValidationError,
    InputProblem,
    InputValidationError,
)
from audiencelab._filters import AudienceFilters, parse_filters
from audiencelab._models import (
    AttributeValues,
    Audience,
    AudienceCreated,
    AudienceDeleted,
    AudiencePreview,
    CustomAudienceCreated,
    EnrichmentJob,
    EnrichmentJobCreated,
    EnrichResult,
    EventsPage,
    Page,
    Pixel,
    PixelCreated,
    RecordsPage,
    SegmentOption,
    SegmentPage,
)
from audiencelab._sansio import Operation, Response, encode_json, path_param
from audiencelab._validate import (
    check_bool,
    check_name,
    check_positive_int,
    closest,
    describe,
    normalize_segments,
)

T = TypeVar("T")
FiltersInput = AudienceFilters | Mapping[str, Any]
SegmentInput = str | Sequence[str] | None

MAX_PAGE_SIZE = 1000
ATTRIBUTE_NAMES = ("segments", "industries", "departments", "seniority", "sic", "gender")
ENRICH_MATCH_KEYS = (
    "email", "first_name", "last_name", "company", "phone", "address", "city", "state", "zip",
    "linkedin_url",
)  # fmt: skip
ENRICH_FIELDS = (
    "company", "job_title", "first_name", "last_name", "b2b_email", "personal_email", "b2b_phone",
    "personal_phone", "sha256", "linkedin_url", "address", "city", "state", "zip", "industry",
    "company_domain",
)  # fmt: skip
# The 16 columns documented for enrichment jobs, plus JOB_TITLE, which the newest source (Sep 2026)
# lists as supported. PHONE_NUMBER is not one of them: the API wants PHONE.
JOB_COLUMNS = (
    "EMAIL", "PERSONAL_EMAIL", "BUSINESS_EMAIL", "FIRST_NAME", "LAST_NAME", "PHONE",
    "PERSONAL_ADDRESS", "PERSONAL_CITY", "PERSONAL_STATE", "PERSONAL_ZIP", "COMPANY_NAME",
    "COMPANY_DOMAIN", "COMPANY_INDUSTRY", "SHA256_PERSONAL_EMAIL", "LINKEDIN_URL", "UP_ID",
    "JOB_TITLE",
)  # fmt: skip
# The backend runs on Cloud Run, whose request bodies are limited to 32 MiB: stay well under.
MAX_JOB_BODY_BYTES = 30 * 1024 * 1024
MAX_PROBLEMS_LISTED = 20
PIXEL_VERSIONS = ("v3", "v4")


def _raise_if(
    problems: list[InputProblem], cls: type[InputValidationError] = InputValidationError
) -> None:
    if problems:
        if len(problems) > MAX_PROBLEMS_LISTED:
            extra = len(problems) - MAX_PROBLEMS_LISTED
            problems = [
                *problems[:MAX_PROBLEMS_LISTED],
                InputProblem("", f"... and {extra:,} more"),
            ]
        raise cls(problems)


def check_paging(page: int, page_size: int, problems: list[InputProblem]) -> None:
    check_positive_int(page, problems, "page")
    check_positive_int(page_size, problems, "page_size", maximum=MAX_PAGE_SIZE)


def paging_params(page: int, page_size: int) -> list[tuple[str, str]]:
    problems: list[InputProblem] = []
    check_paging(page, page_size, problems)
    _raise_if(problems)
    return [("page", str(page)), ("page_size", str(page_size))]


def _json_object(response: Response) -> dict[str, Any]:
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object, got {type(body).__name__}")
    return body


def _model(cls: Callable[..., T]) -> Callable[[Response], T]:
    def parse(response: Response) -> T:
        return cls(**_json_object(response))

    return parse


# --- audiences ------------------------------------------------------------------------------------


def audience_body(
    problems: list[InputProblem],
    filters: FiltersInput,
    segment: SegmentInput,
    days_back: int | None,
    *,
    days_back_max: int | None = None,
) -> dict[str, Any]:
    """``filters``, ``segment`` and ``days_back`` as sent by create and preview, checked."""
    body: dict[str, Any] = {}
    try:
        body["filters"] = parse_filters(filters).to_wire()
    except FilterValidationError as exc:
        problems.extend(exc.problems)
    segments = normalize_segments(segment, problems)
    if segments is not None:
        body["segment"] = segments
    if days_back is not None:
        check_positive_int(days_back, problems, "days_back", maximum=days_back_max)
        body["days_back"] = days_back
    return body


def create_audience(
    name: str,
    filters: FiltersInput,
    segment: SegmentInput = None,
    days_back: int | None = None,
) -> Operation[AudienceCreated]:
    problems: list[InputProblem] = []
    check_name(name, problems)
    body = {"name": name, **audience_body(problems, filters, segment, days_back)}
    _raise_if(problems, FilterValidationError)
    return Operation(
        "POST",
        "/audiences",
        parse=lambda r: AudienceCreated.model_validate(r.json()),
        body=body,
        safe_to_retry=False,
        unknown_outcome_hint=(
            f"Check whether an audience named {name!r} exists (client.audiences.list()) "
            "before creating it again."
        ),
    )


def list_audiences(page: int, page_size: int) -> Operation[Page[Audience]]:
    return Operation(
        "GET",
        "/audiences",
        params=paging_params(page, page_size),
        parse=_model(Page[Audience]),
    )


def audience_records(audience_id: str, page: int, page_size: int) -> Operation[RecordsPage]:
    path = f"/audiences/{path_param(audience_id, 'audience_id')}"

    def parse(response: Response) -> RecordsPage:
        return records_page(audience_id, response.content)

    return Operation("GET", path, params=paging_params(page, page_size), parse=parse)


def audience_records_raw(audience_id: str, page: int, page_size: int) -> Operation[bytes]:
    """The same request as :func:`audience_records`, answered with the raw body (for exports)."""
    op = audience_records(audience_id, page, page_size)
    return Operation(op.method, op.path, params=op.params, parse=lambda r: r.content)


def parse_json(content: bytes) -> Any:
    """JSON from a (large) body: pydantic-core's parser, which shares the repeated column names."""
    return pydantic_core.from_json(content, cache_strings="keys")


@dataclass(frozen=True)
class PagedSource:
    """Something an export pages through: its identity (checked on resume), how to request page
    ``n`` of size ``page_size`` as raw bytes, and how to read such a page."""

    source: str
    page_op: Callable[[int, int], Operation[bytes]]
    read_page: Callable[[bytes], Page[Any]]


def audience_pages(audience_id: str) -> PagedSource:
    return PagedSource(
        f"audience:{audience_id}",
        lambda n, size: audience_records_raw(audience_id, n, size),
        lambda raw: records_page(audience_id, raw),
    )


def records_page(audience_id: str, content: bytes) -> RecordsPage:
    """Read a records page without validating every cell (rows are many and wide)."""
    body = parse_json(content)
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object, got {type(body).__name__}")
    data = body.get("data")
    if data is None:
        if "status" in body:  # {"status": "no data"}: still being built, or empty
            raise AudienceNotReadyError(audience_id)
        raise ValueError("no 'data' in the response")
    if not isinstance(data, list):
        raise ValueError(f"'data' is {type(data).__name__}, expected a list")
    envelope = {k: v for k, v in body.items() if k != "data"}
    page = RecordsPage.model_validate({**envelope, "data": []})
    return page.model_copy(update={"data": data})


def delete_audience(audience_id: str) -> Operation[AudienceDeleted]:
    path = f"/audiences/{path_param(audience_id, 'audience_id')}"

    def parse(response: Response) -> AudienceDeleted:
        body = response.json() if response.content.strip() else {}
        extra = body if isinstance(body, dict) else {"body": body}
        return AudienceDeleted(**{**extra, "id": audience_id, "deleted": True})

    return Operation("DELETE", path, parse=parse, gone_ok_on_retry=True)


def create_custom_audience(topic: str, description: str) -> Operation[CustomAudienceCreated]:
    problems: list[InputProblem] = []
    check_name(topic, problems, "topic")
    check_name(description, problems, "description")
    _raise_if(problems)
    return Operation(
        "POST",
        "/audiences/custom",
        parse=_model(CustomAudienceCreated),
        body={"topic": topic, "description": description},
        safe_to_retry=False,
        unknown_outcome_hint=(
            f"Check in the dashboard whether the custom topic {topic!r} was submitted before "
            "submitting it again (each costs a custom-audience credit)."
        ),
    )


def preview_audience(
    filters: FiltersInput,
    segment: SegmentInput = None,
    days_back: int = 7,
    limit: int | None = None,
    score: bool | None = None,
    include_dnc: bool | None = None,
) -> Operation[AudiencePreview]:
    problems: list[InputProblem] = []
    body = audience_body(problems, filters, segment, days_back, days_back_max=10)
    if limit is not None:
        check_positive_int(limit, problems, "limit", minimum=0, maximum=500)
        body["limit"] = limit
    for name, flag in (("score", score), ("include_dnc", include_dnc)):
        if flag is not None:
            check_bool(flag, problems, name)
            body[name] = flag
    _raise_if(problems, FilterValidationError)
    return Operation("POST", "/audiences/preview", parse=_model(AudiencePreview), body=body)


def audience_attributes(name: str) -> Operation[AttributeValues]:
    if name not in ATTRIBUTE_NAMES:
        guess = closest(str(name), ATTRIBUTE_NAMES, cutoff=0.6)
        hint = f"; did you mean {guess!r}?" if guess else ""
        raise InputValidationError(
            [InputProblem("name", f"{name!r} is not one of {', '.join(ATTRIBUTE_NAMES)}{hint}")]
        )

    def parse(response: Response) -> AttributeValues:
        block = _json_object(response)["attributes"][name]
        values: list[Any] = list(block.get("data") or [])
        if name == "segments":
            values = [SegmentOption(**v) if isinstance(v, dict) else v for v in values]
        return AttributeValues(name=name, count=block.get("count", len(values)), values=values)

    return Operation("GET", f"/audiences/attributes/{name}", parse=parse)


# --- Studio segments ------------------------------------------------------------------------------


def segment_records(segment_id: str, page: int, page_size: int) -> Operation[SegmentPage]:
    path = f"/segments/{path_param(segment_id, 'segment_id')}"
    return Operation("GET", path, params=paging_params(page, page_size), parse=_model(SegmentPage))


def segment_records_raw(segment_id: str, page: int, page_size: int) -> Operation[bytes]:
    op = segment_records(segment_id, page, page_size)
    return Operation(op.method, op.path, params=op.params, parse=lambda r: r.content)


def segment_pages(segment_id: str) -> PagedSource:
    return PagedSource(
        f"segment:{segment_id}",
        lambda n, size: segment_records_raw(segment_id, n, size),
        segment_page,
    )


def segment_page(content: bytes) -> SegmentPage:
    body = parse_json(content)
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ValueError("expected a JSON object with a 'data' list")
    page = SegmentPage.model_validate({**body, "data": []})
    return page.model_copy(update={"data": body["data"]})


# --- enrichment -----------------------------------------------------------------------------------


def enrich_contact(
    filter: Mapping[str, str],
    fields: Sequence[str] | None = None,
    is_or_match: bool = False,
    request_id: str | None = None,
) -> Operation[EnrichResult]:
    problems: list[InputProblem] = []
    body: dict[str, Any] = {}
    if not isinstance(filter, Mapping) or not filter:
        problems.append(
            InputProblem(
                "filter", f"expected at least one match key ({', '.join(ENRICH_MATCH_KEYS)})"
            )
        )
    else:
        clean: dict[str, str] = {}
        for key, value in filter.items():
            if key not in ENRICH_MATCH_KEYS:
                guess = closest(str(key), ENRICH_MATCH_KEYS)
                hint = (
                    f"did you mean {guess!r}?" if guess else f"use {', '.join(ENRICH_MATCH_KEYS)}"
                )
                problems.append(InputProblem(f"filter.{key}", f"unknown match key; {hint}"))
            elif not isinstance(value, str) or not value.strip():
                problems.append(
                    InputProblem(
                        f"filter.{key}", f"expected a non-empty string, got {describe(value)}"
                    )
                )
            else:
                clean[key] = value
        body["filter"] = clean
    if fields is not None:
        if isinstance(fields, str):
            fields = [fields]
        for i, field in enumerate(fields):
            if field not in ENRICH_FIELDS:
                guess = closest(str(field), ENRICH_FIELDS)
                hint = f"; did you mean {guess!r}?" if guess else ""
                problems.append(
                    InputProblem(f"fields[{i}]", f"{field!r} is not a documented field{hint}")
                )
        body["fields"] = list(fields)
    if request_id is not None:
        check_name(request_id, problems, "request_id")
        body["request_id"] = request_id
    check_bool(is_or_match, problems, "is_or_match")
    if is_or_match is True:
        body["is_or_match"] = True
    _raise_if(problems)
    return Operation("POST", "/enrich", parse=_model(EnrichResult), body=body)


def job_body(
    name: str,
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    operator: str = "OR",
) -> dict[str, Any]:
    """The body of ``POST /enrichments``, checked: known columns, lowercase record keys."""
    problems: list[InputProblem] = []
    check_name(name, problems)
    op = operator.upper() if isinstance(operator, str) else operator
    if op not in ("AND", "OR"):
        problems.append(InputProblem("operator", f"expected 'AND' or 'OR', got {operator!r}"))
    allowed_keys = {c.lower(): c for c in JOB_COLUMNS}
    seen: dict[str, None] = {}
    clean_records: list[dict[str, str]] = []
    given: object = records  # checked at run time: callers without a type checker pass anything
    items: Sequence[object] = []
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        problems.append(
            InputProblem("records", f"expected a list of objects, got {describe(given)}")
        )
    elif not given:
        problems.append(InputProblem("records", "must contain at least one record"))
    else:
        items = given
    for i, record in enumerate(items):
        if not isinstance(record, Mapping):
            problems.append(
                InputProblem(f"records[{i}]", f"expected an object, got {describe(record)}")
            )
            continue
        clean: dict[str, str] = {}
        for key, value in record.items():
            if key not in allowed_keys:
                problems.append(InputProblem(f"records[{i}].{key}", _unknown_record_key(str(key))))
            elif value is None or value == "":
                continue  # missing values are left out rather than sent empty
            elif not isinstance(value, str):
                problems.append(
                    InputProblem(f"records[{i}].{key}", f"expected a string, got {describe(value)}")
                )
            else:
                clean[key] = value
                seen.setdefault(key)
        clean_records.append(clean)
    if columns is None:
        column_list = [allowed_keys[k] for k in seen]
    else:
        column_list = [columns] if isinstance(columns, str) else list(columns)
        for i, column in enumerate(column_list):
            if column not in JOB_COLUMNS:
                problems.append(InputProblem(f"columns[{i}]", _unknown_column(str(column))))
        missing = [k for k in seen if allowed_keys[k] not in column_list]
        if missing:
            problems.append(
                InputProblem(
                    "columns",
                    f"records have {', '.join(missing)} but columns do not list {', '.join(allowed_keys[k] for k in missing)}",
                )
            )
    _raise_if(problems)
    return {"name": name, "records": clean_records, "operator": op, "columns": column_list}


def _unknown_record_key(key: str) -> str:
    if key.upper() in JOB_COLUMNS:
        return f"record keys are lowercase: use {key.lower()!r}"
    if key.lower() in ("phone_number", "phonenumber", "mobile"):
        return "unknown record key; use 'phone'"
    guess = closest(key, [c.lower() for c in JOB_COLUMNS])
    hint = f"did you mean {guess!r}?" if guess else "see the enrichment columns in the README"
    return f"unknown record key; {hint}"


def _unknown_column(column: str) -> str:
    if column.upper() == "PHONE_NUMBER":
        return "'PHONE_NUMBER' is not accepted by the API; use 'PHONE'"
    if column.upper() in JOB_COLUMNS:
        return f"columns are UPPER_SNAKE: use {column.upper()!r}"
    guess = closest(column, JOB_COLUMNS)
    hint = f"; did you mean {guess!r}?" if guess else ""
    return f"{column!r} is not an enrichment column{hint}"


def create_enrichment_job(body: dict[str, Any]) -> Operation[EnrichmentJobCreated]:
    """``body`` from :func:`job_body`. Refuses (never truncates) a body over the request limit."""
    size = len(encode_json(body))
    if size > MAX_JOB_BODY_BYTES:
        raise InputValidationError(
            [
                InputProblem(
                    "records",
                    f"{len(body['records']):,} records make a {size / 2**20:.1f} MiB request, over "
                    f"the {MAX_JOB_BODY_BYTES / 2**20:.0f} MiB limit; use "
                    "client.enrichment.create_jobs(...) to split them into several jobs",
                )
            ]
        )
    return Operation(
        "POST",
        "/enrichments",
        parse=_model(EnrichmentJobCreated),
        body=body,
        safe_to_retry=False,
        unknown_outcome_hint=(
            f"Check client.enrichment.jobs() for a job named {body['name']!r} before creating it again."
        ),
    )


def split_records(records: Sequence[Any], records_per_job: int) -> list[Sequence[Any]]:
    problems: list[InputProblem] = []
    check_positive_int(records_per_job, problems, "records_per_job")
    _raise_if(problems)
    return [records[i : i + records_per_job] for i in range(0, len(records), records_per_job)]


def list_enrichment_jobs(page: int, page_size: int) -> Operation[Page[EnrichmentJob]]:
    return Operation(
        "GET",
        "/enrichments",
        params=paging_params(page, page_size),
        parse=_model(Page[EnrichmentJob]),
    )


def job_id_of(job: str | EnrichmentJob | EnrichmentJobCreated) -> str:
    if isinstance(job, EnrichmentJob):
        return job.id
    if isinstance(job, EnrichmentJobCreated):
        return job.job_id
    path_param(job, "job_id")  # checks it is a non-empty string
    return job


# --- pixels ---------------------------------------------------------------------------------------


def _check_url(value: object, field: str, problems: list[InputProblem]) -> None:
    if not isinstance(value, str):
        problems.append(InputProblem(field, f"expected a URL string, got {describe(value)}"))
        return
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value.strip():
        problems.append(
            InputProblem(
                field,
                f"{value!r} is not a web address; use a full URL such as 'https://example.com'",
            )
        )


def create_pixel(
    website_name: str,
    website_url: str,
    webhook_url: str | None = None,
    version: Literal["v3", "v4"] | None = None,
) -> Operation[PixelCreated]:
    problems: list[InputProblem] = []
    check_name(website_name, problems, "website_name")
    _check_url(website_url, "website_url", problems)
    body: dict[str, Any] = {"websiteName": website_name, "websiteUrl": website_url}
    if webhook_url is not None:
        _check_url(webhook_url, "webhook_url", problems)
        body["webhookUrl"] = webhook_url
    if version is not None:
        if version not in PIXEL_VERSIONS:
            problems.append(InputProblem("version", f"expected 'v3' or 'v4', got {version!r}"))
        body["version"] = version
    _raise_if(problems)
    return Operation(
        "POST",
        "/pixels",
        parse=_model(PixelCreated),
        body=body,
        safe_to_retry=False,
        unknown_outcome_hint=(
            f"Check client.pixels.list() for a pixel on {website_url!r} before creating it again."
        ),
    )


def list_pixels(page: int, page_size: int) -> Operation[Page[Pixel]]:
    return Operation(
        "GET", "/pixels", params=paging_params(page, page_size), parse=_model(Page[Pixel])
    )


def pixel_events(
    pixel_id: str, page: int, page_size: int, event_type: str | None = None, *, v4: bool = False
) -> Operation[EventsPage]:
    path = f"/pixels/{path_param(pixel_id, 'pixel_id')}" + ("/v4" if v4 else "")
    params = paging_params(page, page_size)
    if event_type is not None:
        problems: list[InputProblem] = []
        check_name(event_type, problems, "event_type")
        _raise_if(problems)
        params.append(("event_type", event_type))
    return Operation("GET", path, params=params, parse=_model(EventsPage))


def delete_pixel(pixel_id: str) -> Operation[None]:
    path = f"/pixels/{path_param(pixel_id, 'pixel_id')}"
    return Operation("DELETE", path, parse=lambda r: None, gone_ok_on_retry=True)
