"""Audience operations: create, list, read records, delete, custom audiences, preview, attributes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from audiencelab._columns import RECORD_COLUMNS
from audiencelab._exceptions import (
    APIResponseValidationError,
    AudienceNotReadyError,
    AudienceTooSmallError,
    CallMethod,
    FilterValidationError,
    InputProblem,
    PassArgument,
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
    check_choice,
    check_name,
    check_positive_int,
    describe,
    normalize_segments,
)
from audiencelab._value_checks import (
    VALUE_CHECKS,
    ValueChecks,
    check_values,
    geography_problems,
    warn_user,
)
from audiencelab._vocabularies import BUNDLED, Vocabulary

T = TypeVar("T")
FiltersInput = AudienceFilters | Mapping[str, Any]
SegmentInput = str | Sequence[str] | None

#: The filters whose allowed values ``GET /audiences/attributes/{name}`` lists.
ATTRIBUTE_NAMES = ("segments", "industries", "departments", "seniority", "sic", "gender")
#: ``days_back`` of a preview: required by the API, 1-10 (reference §3.6).
PREVIEW_DAYS_BACK_MAX = 10
PREVIEW_DAYS_BACK_DEFAULT = 7
PREVIEW_LIMIT_MAX = 500
#: Response headers in which the sandbox explains filters that will match oddly.
SANDBOX_WARNING_HEADERS = ("x-sandbox-filter-warnings", "x-sandbox-ignored-filters")


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


def check_policy(value_checks: object, problems: list[InputProblem]) -> None:
    if value_checks not in VALUE_CHECKS:
        problems.append(
            InputProblem(
                "value_checks",
                f"expected one of {', '.join(map(repr, VALUE_CHECKS))}, got {describe(value_checks)}",
            )
        )


def _checked_values(
    body: dict[str, Any],
    problems: list[InputProblem],
    vocabularies: Mapping[str, Vocabulary],
    value_checks: ValueChecks,
) -> dict[str, Any]:
    """The body with its values checked against ``vocabularies`` (problems appended), and the
    warnings issued. Only a body without other problems is checked: one thing at a time."""
    if problems or value_checks not in VALUE_CHECKS:
        return body
    problems.extend(geography_problems(body, value_checks))
    report = check_values(body, vocabularies, value_checks)
    problems.extend(report.problems)
    if not problems:
        warn_user(report.warnings)
    return report.body


def create_audience(
    name: str,
    filters: FiltersInput,
    segment: SegmentInput = None,
    days_back: int | None = None,
    *,
    allow_unfiltered: bool = False,
    value_checks: ValueChecks = "default",
) -> Operation[AudienceCreated]:
    """``POST /audiences``: every argument checked, the exact body built; nothing is sent.

    Refused: filters that select nothing in particular (no filter and no segment) unless
    ``allow_unfiltered``; ZIP codes in another state than every state given; values of the
    bundled vocabularies that are unknown (see :mod:`audiencelab._value_checks` for the
    ``value_checks`` policies). The clients also check the values of the live vocabularies.
    """
    problems: list[InputProblem] = []
    check_name(name, problems)
    check_bool(allow_unfiltered, problems, "allow_unfiltered")
    check_policy(value_checks, problems)
    body = {"name": name, **audience_body(problems, filters, segment, days_back)}
    if "filters" in body and not body["filters"] and "segment" not in body and not allow_unfiltered:
        problems.append(
            InputProblem(
                "filters",
                "no filter and no segment: this would build an unfiltered audience of everyone",
                remedy=PassArgument("allow_unfiltered", True, "if that is what you want"),
            )
        )
    body = _checked_values(body, problems, BUNDLED, value_checks)
    raise_if(problems, FilterValidationError)
    return _create_operation(body)


def _create_operation(body: dict[str, Any]) -> Operation[AudienceCreated]:
    name = body["name"]
    return Operation(
        "POST",
        "/audiences",
        parse=lambda r: AudienceCreated.model_validate(_sandbox_warned(r).json()),
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
    days_back: int = PREVIEW_DAYS_BACK_DEFAULT,
    limit: int | None = None,
    score: bool | None = None,
    include_dnc: bool | None = None,
    *,
    value_checks: ValueChecks = "default",
) -> Operation[AudiencePreview]:
    """``POST /audiences/preview``, checked like :func:`create_audience` (an unfiltered
    preview is allowed: it only counts)."""
    problems: list[InputProblem] = []
    check_policy(value_checks, problems)
    body = audience_body(problems, filters, segment, days_back, days_back_max=PREVIEW_DAYS_BACK_MAX)
    if limit is not None:
        check_positive_int(limit, problems, "limit", minimum=0, maximum=PREVIEW_LIMIT_MAX)
        body["limit"] = limit
    for name, flag in (("score", score), ("include_dnc", include_dnc)):
        if flag is not None:
            check_bool(flag, problems, name)
            body[name] = flag
    body = _checked_values(body, problems, BUNDLED, value_checks)
    raise_if(problems, FilterValidationError)
    return _preview_operation(body)


def _preview_operation(body: dict[str, Any]) -> Operation[AudiencePreview]:
    return Operation(
        "POST",
        "/audiences/preview",
        parse=lambda r: AudiencePreview.model_validate(_sandbox_warned(r).json()),
        body=body,
    )


def _sandbox_warned(response: Response) -> Response:
    """The sandbox explains filters that will match oddly in headers: pass them on as warnings."""
    notes = [
        note.strip()
        for name in SANDBOX_WARNING_HEADERS
        for note in (response.headers.get(name) or "").split(";")
        if note.strip()
    ]
    warn_user([f"the sandbox says: {note}" for note in notes])
    return response


def with_values_checked(
    op: Operation[T], vocabularies: Mapping[str, Vocabulary], value_checks: ValueChecks
) -> Operation[T]:
    """``op`` (a create or a preview) with its values checked against more vocabularies (the
    live ones): refused with every problem, or sent with the values in their known spelling."""
    if not vocabularies or value_checks == "off" or not isinstance(op.body, dict):
        return op
    problems: list[InputProblem] = []
    report = check_values(op.body, vocabularies, value_checks)
    problems.extend(report.problems)
    raise_if(problems, FilterValidationError)
    warn_user(report.warnings)
    return dataclasses.replace(op, body=report.body)


def check_min_count(min_count: object) -> None:
    problems: list[InputProblem] = []
    check_positive_int(min_count, problems, "min_count", minimum=0)
    raise_if(problems, FilterValidationError)


def enough_people(preview: AudiencePreview, min_count: int) -> None:
    """Refuse to create when the preview counted fewer than ``min_count`` people."""
    if preview.count is None:
        raise APIResponseValidationError(
            "the preview answered without a count, so min_count cannot be checked; nothing "
            "was created",
            method="POST",
            url="/audiences/preview",
        )
    if preview.count < min_count:
        raise AudienceTooSmallError(preview.count, min_count)


def preview_of(create: Operation[AudienceCreated]) -> Operation[AudiencePreview]:
    """The preview of the audience ``create`` would build: its filters, segment and look-back
    (a preview looks back at most 10 days), without sample rows."""
    body = create.body
    assert isinstance(body, dict)
    days_back = min(body.get("days_back", PREVIEW_DAYS_BACK_DEFAULT), PREVIEW_DAYS_BACK_MAX)
    preview: dict[str, Any] = {"filters": body["filters"]}
    if "segment" in body:
        preview["segment"] = body["segment"]
    preview.update(days_back=days_back, limit=0)
    return _preview_operation(preview)


def audience_attributes(name: str) -> Operation[AttributeValues]:
    problems: list[InputProblem] = []
    check_choice(name, ATTRIBUTE_NAMES, problems, "name", kind="an attribute")
    raise_if(problems)

    def parse(response: Response) -> AttributeValues:
        block = json_object(response)["attributes"][name]
        values = list(block.get("data") or [])
        return attribute_values(name, values, block.get("count"))

    return Operation("GET", f"/audiences/attributes/{name}", parse=parse)


def attribute_values(name: str, values: list[Any], count: int | None = None) -> AttributeValues:
    """The values of an attribute list as the API (or the cache) gave them."""
    if name == "segments":
        values = [SegmentOption(**v) if isinstance(v, dict) else v for v in values]
    return AttributeValues(name=name, count=len(values) if count is None else count, values=values)


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
