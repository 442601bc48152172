"""Audience operations: create, list, read records, delete, custom audiences, preview, attributes."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from audiencelab._catalogue import ATTRIBUTE_NAMES
from audiencelab._columns import RECORD_COLUMNS
from audiencelab._exceptions import (
    APIResponseValidationError,
    AudienceNotReadyError,
    AudienceTooSmallError,
    CallMethod,
    InputProblem,
    WaitTimeoutError,
)
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
from audiencelab._plan import (
    NO_LISTS,
    PREVIEW_DAYS_BACK_DEFAULT,
    PREVIEW_DAYS_BACK_MAX,
    FiltersInput,
    Plan,
    SegmentInput,
    ValueLists,
    needed_lists,
    plan_create,
    plan_preview,
)
from audiencelab._sansio import Operation, Response, path_param
from audiencelab._validate import check_choice, check_name
from audiencelab._value_checks import ValueChecks, warn_user

T = TypeVar("T")
#: Response headers in which the sandbox explains filters that will match oddly.
SANDBOX_WARNING_HEADERS = ("x-sandbox-filter-warnings", "x-sandbox-ignored-filters")


class ListSource(Protocol):
    """A (sync) client, as :func:`create_audience` sees it: it can get the API's value lists."""

    @property
    def audiences(self) -> Any: ...


def value_lists_for(
    client: ListSource | None,
    lists: ValueLists | None,
    filters: object,
    segment: object,
    value_checks: object,
) -> ValueLists:
    """The live lists a request needs: given, or fetched through ``client``, or none."""
    if lists is not None:
        return lists
    if client is None:
        return NO_LISTS
    names = needed_lists(filters, segment, value_checks)
    if not names:
        return ValueLists()
    found: ValueLists = client.audiences.value_lists(names)
    return found


def create_audience(
    name: str,
    filters: FiltersInput,
    segment: SegmentInput = None,
    days_back: int | None = None,
    *,
    allow_unfiltered: bool = False,
    value_checks: ValueChecks = "default",
    client: ListSource | None = None,
    lists: ValueLists | None = None,
) -> Operation[AudienceCreated]:
    """``POST /audiences``: every argument checked, the exact body built; nothing is sent.

    The plan of :func:`audiencelab.operations.plan_create_audience` is run: refused with every
    problem (:class:`FilterValidationError`), or built with the warnings issued as
    :class:`FilterValueWarning` s. The values whose lists the API serves (industries, segments...)
    are checked against the lists of ``client`` (a sync client, which fetches them), or
    ``lists`` (from ``await client.audiences.value_lists(...)``); with neither, against the
    bundled lists alone, and a warning says which values were not checked.
    """
    plan = plan_create(
        name,
        filters,
        segment,
        days_back,
        allow_unfiltered=allow_unfiltered,
        value_checks=value_checks,
        lists=value_lists_for(client, lists, filters, segment, value_checks),
    )
    return create_operation(plan)


def create_operation(plan: Plan, *, warn: bool = True) -> Operation[AudienceCreated]:
    """The create of a plan: refused with every problem, or built (its warnings issued unless
    ``warn=False``: ``create_many`` issues those of every spec together)."""
    if warn:
        return _create_operation(plan.checked_body())
    plan.raise_for_problems()
    assert plan.body is not None
    return _create_operation(plan.body)


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
    client: ListSource | None = None,
    lists: ValueLists | None = None,
) -> Operation[AudiencePreview]:
    """``POST /audiences/preview``, checked like :func:`create_audience` (an unfiltered
    preview is allowed: it only counts)."""
    plan = plan_preview(
        filters,
        segment,
        days_back,
        limit,
        score,
        include_dnc,
        value_checks=value_checks,
        lists=value_lists_for(client, lists, filters, segment, value_checks),
    )
    return preview_operation(plan)


def preview_operation(plan: Plan) -> Operation[AudiencePreview]:
    """The preview of a plan: refused with every problem, or built (warnings issued)."""
    return _preview_operation(plan.checked_body())


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
        attributes = json_object(response).get("attributes")
        block = attributes.get(name) if isinstance(attributes, dict) else None
        if not isinstance(block, dict):
            raise ValueError(f"no attributes.{name} object in the answer")
        values = block.get("data")
        if values is None:
            values = []
        if not isinstance(values, list):
            raise ValueError(f"attributes.{name}.data is {type(values).__name__}, not a list")
        count = block.get("count")
        return attribute_values(name, values, count if isinstance(count, int) else None)

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
