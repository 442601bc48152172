"""Studio segment operations: ``GET /segments/{id}``."""

from __future__ import annotations

from audiencelab._columns import RECORD_COLUMNS
from audiencelab._models import SegmentPage
from audiencelab._operations._common import PagedSource, model, paging_params, parse_json, raw
from audiencelab._sansio import Operation, path_param


def segment_records(segment_id: str, page: int, page_size: int) -> Operation[SegmentPage]:
    path = f"/segments/{path_param(segment_id, 'segment_id')}"
    return Operation("GET", path, params=paging_params(page, page_size), parse=model(SegmentPage))


def segment_pages(segment_id: str) -> PagedSource:
    return PagedSource(
        f"segment:{segment_id}",
        lambda n, size: raw(segment_records(segment_id, n, size)),
        segment_page,
        columns=RECORD_COLUMNS,
    )


def segment_page(content: bytes) -> SegmentPage:
    """Read a segment page without validating every cell."""
    body = parse_json(content)
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ValueError("expected a JSON object with a 'data' list")
    page = SegmentPage.model_validate({**body, "data": []})
    return page.model_copy(update={"data": body["data"]})
