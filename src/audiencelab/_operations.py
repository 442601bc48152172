"""Every API call as a pure function: check the input, then describe the request and its parser.

Nothing here does I/O. The sync and async resources call these and hand the result to their client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audiencelab._exceptions import FilterValidationError, InputProblem
from audiencelab._filters import AudienceFilters, parse_filters
from audiencelab._models import AudienceCreated
from audiencelab._sansio import Operation, Response
from audiencelab._validate import check_name, check_positive_int, normalize_segments

FiltersInput = AudienceFilters | Mapping[str, Any]
SegmentInput = str | Sequence[str] | None


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
    if problems:
        raise FilterValidationError(problems)
    return Operation(
        "POST",
        "/audiences",
        parse=_parse_created,
        body=body,
        safe_to_retry=False,
        unknown_outcome_hint=(
            f"Check whether an audience named {name!r} exists (client.audiences.list()) "
            "before creating it again."
        ),
    )


def _parse_created(response: Response) -> AudienceCreated:
    return AudienceCreated.model_validate(response.json())
