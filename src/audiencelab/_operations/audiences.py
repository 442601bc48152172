"""Audience operations: create, list, read records, delete, custom audiences, preview, attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audiencelab._columns import RECORD_COLUMNS
from audiencelab._exceptions import (
    AudienceNotReadyError,
    CallMethod,
    FilterValidationError,
    InputProblem,
    WaitTimeoutError,
)
from audiencelab._filters import AudienceFilters, parse_filters
from audiencelab._models import (
    AttributeValues,
    Audience,
    AudienceCreated,
    AudienceDeleted,
    AudiencePreview,
    AudienceReady,
    CustomAudienceCreated,
    Page,
    RecordsPage,
    SegmentOption,
)
from audiencelab._operations._common import (
    PagedSource,
    json_object,
    model,
    paging_params,
    parse_json,
    raise_if,
    raw,
)
from audiencelab._sansio import Operation, Response, path_param
from audiencelab._validate import (
    check_bool,
    check_name,
    check_positive_int,
    closest,
    normalize_segments,
)

FiltersInput = AudienceFilters | Mapping[str, Any]
SegmentInput = str | Sequence[str] | None

#: The filters whose allowed values ``GET /audiences/attributes/{name}`` lists.
ATTRIBUTE_NAMES = ("segments", "industries", "departments", "seniority", "sic", "gender")
#: ``days_back`` of a preview: required by the API, 1-10 (reference §3.6).
PREVIEW_DAYS_BACK_MAX = 10
PREVIEW_LIMIT_MAX = 500


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
    """``POST /audiences``: every argument checked, the exact body built; nothing is sent."""
    problems: list[InputProblem] = []
    check_name(name, problems)
    body = {"name": name, **audience_body(problems, filters, segment, days_back)}
    raise_if(problems, FilterValidationError)
    return Operation(
        "POST",
        "/audiences",
        parse=lambda r: AudienceCreated.model_validate(r.json()),
        body=body,
        safe_to_retry=False,
        check_outcome=CallMethod(
            "audiences.list",
            purpose=f"to see whether an audience named {name!r} exists before creating it again",
        ),
    )


def list_audiences(page: int, page_size: int) -> Operation[Page[Audience]]:
    return Operation(
        "GET", "/audiences", params=paging_params(page, page_size), parse=model(Page[Audience])
    )


def audience_records(audience_id: str, page: int, page_size: int) -> Operation[RecordsPage]:
    path = f"/audiences/{path_param(audience_id, 'audience_id')}"

    def parse(response: Response) -> RecordsPage:
        return records_page(audience_id, response.content)

    return Operation("GET", path, params=paging_params(page, page_size), parse=parse)


def audience_pages(audience_id: str) -> PagedSource:
    return PagedSource(
        f"audience:{audience_id}",
        lambda n, size: raw(audience_records(audience_id, n, size)),
        lambda content: records_page(audience_id, content),
        lambda waited: audience_wait_timeout(audience_id, waited),
        RECORD_COLUMNS,
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
    raise_if(problems)
    return Operation(
        "POST",
        "/audiences/custom",
        parse=model(CustomAudienceCreated),
        body={"topic": topic, "description": description},
        safe_to_retry=False,
        # No endpoint lists custom topics: only the dashboard shows them.
        unknown_outcome_note=(
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
    """``POST /audiences/preview``, checked like :func:`create_audience`."""
    problems: list[InputProblem] = []
    body = audience_body(problems, filters, segment, days_back, days_back_max=PREVIEW_DAYS_BACK_MAX)
    if limit is not None:
        check_positive_int(limit, problems, "limit", minimum=0, maximum=PREVIEW_LIMIT_MAX)
        body["limit"] = limit
    for name, flag in (("score", score), ("include_dnc", include_dnc)):
        if flag is not None:
            check_bool(flag, problems, name)
            body[name] = flag
    raise_if(problems, FilterValidationError)
    return Operation("POST", "/audiences/preview", parse=model(AudiencePreview), body=body)


def audience_attributes(name: str) -> Operation[AttributeValues]:
    if name not in ATTRIBUTE_NAMES:
        raise_if(
            [
                InputProblem(
                    "name",
                    f"{name!r} is not one of {', '.join(ATTRIBUTE_NAMES)}",
                    closest(str(name), ATTRIBUTE_NAMES, cutoff=0.6),
                )
            ]
        )

    def parse(response: Response) -> AttributeValues:
        block = json_object(response)["attributes"][name]
        values: list[Any] = list(block.get("data") or [])
        if name == "segments":
            values = [SegmentOption(**v) if isinstance(v, dict) else v for v in values]
        return AttributeValues(name=name, count=block.get("count", len(values)), values=values)

    return Operation("GET", f"/audiences/attributes/{name}", parse=parse)


def audience_ready(audience_id: str, page: RecordsPage, waited: float) -> AudienceReady:
    """What ``wait_until_ready`` returns once a records page came back."""
    return AudienceReady(
        audience_id=audience_id, total_records=page.total_records, waited_seconds=waited
    )


def audience_wait_timeout(audience_id: str, waited: float) -> WaitTimeoutError:
    return WaitTimeoutError(
        f"audience {audience_id} still had no data after {waited:.0f} s: it may still be "
        "building (large audiences take longer), or it may have matched nobody"
    )
