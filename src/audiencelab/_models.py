"""Typed responses. Tolerant: the API adds fields over time, so unknown fields are kept, not refused.

Record rows (people) are plain ``dict[str, Any]`` of UPPER_SNAKE columns: they are many and wide, and
validating each cell would cost more than fetching them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

__all__ = [
    "APIModel",
    "AttributeValues",
    "Audience",
    "AudienceCreated",
    "AudienceDeleted",
    "AudiencePreview",
    "AudienceReady",
    "CustomAudienceCreated",
    "EnrichResult",
    "EnrichmentJob",
    "EnrichmentJobCreated",
    "EventsPage",
    "Page",
    "Pixel",
    "PixelCreated",
    "PixelEvent",
    "Record",
    "RecordsPage",
    "SegmentOption",
    "SegmentPage",
]

ItemT = TypeVar("ItemT")
Record = dict[str, Any]


class APIModel(BaseModel):
    """Base of every response model: extra fields kept (``model_extra``), both spellings accepted."""

    # Built on first use, not at import: most programs touch a few of these models.
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True, defer_build=True)


class Page(APIModel, Generic[ItemT]):
    """One page of a list. ``total_records`` is read from ``total_records`` or ``total``."""

    data: list[ItemT]
    page: int = 1
    page_size: int | None = None
    total_records: int | None = Field(None, validation_alias=AliasChoices("total_records", "total"))
    total_pages: int | None = None
    has_more: bool | None = None

    @property
    def items(self) -> list[ItemT]:
        return self.data

    def next_page(self) -> int | None:
        """The page to fetch after this one, or None at the end.

        Robust to every envelope seen: stops on an empty page, on ``has_more: false``, and once
        ``page >= total_pages``.
        """
        if not self.data or self.has_more is False:
            return None
        if self.total_pages is not None and self.page >= self.total_pages:
            return None
        return self.page + 1


class RecordsPage(Page[Record]):
    """A page of people from ``GET /audiences/{id}``: rows of UPPER_SNAKE columns (strings)."""


class SegmentPage(Page[Record]):
    """A page of a Studio segment (``GET /segments/{id}``)."""

    segment_id: str | None = None
    segment_name: str | None = None


class AudienceCreated(APIModel):
    """Answer to ``POST /audiences``: only the new audience's ID (its records come later)."""

    audience_id: str = Field(alias="audienceId", min_length=1)


class Audience(APIModel):
    """An item of ``GET /audiences`` (the API gives only these six fields: no size or status)."""

    id: str
    name: str | None = None
    next_scheduled_refresh: str | None = None
    scheduled_refresh: bool | None = None
    refresh_interval: str | None = None
    webhook_url: str | None = None


class AudienceReady(APIModel):
    """An audience whose records can be read: what :meth:`wait_until_ready` returns."""

    audience_id: str
    total_records: int | None = None
    waited_seconds: float = 0.0


class AudienceDeleted(APIModel):
    """Answer to ``DELETE /audiences/{id}``; the API's body (if any) is kept in the extra fields."""

    id: str
    deleted: bool = True


class CustomAudienceCreated(APIModel):
    """Answer to ``POST /audiences/custom``: ``{"status": "processing"}``."""

    status: str


class AudiencePreview(APIModel):
    """Answer to ``POST /audiences/preview``: the count and sample rows (``result``)."""

    job_id: str | None = None
    count: int | None = None
    result: list[Record] = Field(default_factory=list)
    field_coverage: dict[str, float] = Field(default_factory=dict)


class SegmentOption(APIModel):
    """An item of ``GET /audiences/attributes/segments``."""

    id: str
    name: str | None = None
    b2b: bool | None = None


class AttributeValues(APIModel):
    """Answer to ``GET /audiences/attributes/{name}``: the allowed values of one filter."""

    name: str
    count: int
    values: list[Any]


class EnrichResult(APIModel):
    """Answer to ``POST /enrich``: ``found`` matches in ``result`` (UPPER_SNAKE rows)."""

    request_id: str | None = None
    timestamp: int | None = None
    found: int = 0
    result: list[Record] = Field(default_factory=list)


class EnrichmentJobCreated(APIModel):
    """Answer to ``POST /enrichments`` (202): the job's ID and first status."""

    job_id: str = Field(alias="jobId", min_length=1)
    status: str


class EnrichmentJob(APIModel):
    """An item of ``GET /enrichments``."""

    id: str
    name: str | None = None
    status: str
    csv_url: str | None = None
    total: int | None = None
    created_at: datetime | None = None

    #: Statuses after which the job will not change any more.
    FINAL_STATUSES: ClassVar[frozenset[str]] = frozenset({"COMPLETED", "FAILED", "NO_DATA"})

    @property
    def done(self) -> bool:
        return self.status.upper() in self.FINAL_STATUSES


class PixelCreated(APIModel):
    """Answer to ``POST /pixels``: ``pixel_id`` and ``install_url`` (other fields kept as extras)."""

    pixel_id: str = Field(min_length=1)
    install_url: str | None = None


class Pixel(APIModel):
    """An item of ``GET /pixels``."""

    id: str
    website_name: str | None = None
    website_url: str | None = None
    install_url: str | None = None
    webhook_url: str | None = None


class PixelEvent(APIModel):
    """A visitor event from ``GET /pixels/{id}`` (v3) or ``/v4``; ``resolution`` holds the person."""

    pixel_id: str | None = None
    event_type: str | None = Field(None, validation_alias=AliasChoices("event_type", "event"))
    event_timestamp: str | None = None
    hem_sha256: str | None = None
    resolution: Record | None = None

    # The other documented keys (reference §6.6) are kept as extra fields, so that an event
    # dumps to exactly what the API sent (its ``event_key`` is a hash of that); these read them.
    def _extra(self, *names: str) -> str | None:
        extra = self.model_extra or {}
        for name in names:
            value = extra.get(name)
            if isinstance(value, str):
                return value
        return None

    @property
    def ip_address(self) -> str | None:
        """The visitor's IP address (``ip_address``, or ``ip`` in some payloads)."""
        return self._extra("ip_address", "ip")

    @property
    def user_agent(self) -> str | None:
        return self._extra("user_agent")

    @property
    def page_url(self) -> str | None:
        """The page the event happened on (v3 ``page_url``/``landing_url``, v4 ``full_url``)."""
        return self._extra("page_url", "full_url", "landing_url")

    @property
    def api_version(self) -> str:
        """``"v4"`` for an event of the v4 shape (``edid``, ``full_url`` or ``referrer_url``),
        else ``"v3"``: the version its ``event_key`` is computed for."""
        extra = self.model_extra or {}
        return "v4" if any(k in extra for k in ("edid", "full_url", "referrer_url")) else "v3"


class EventsPage(Page[PixelEvent]):
    """A page of pixel events: the list is under ``events`` instead of ``data``."""

    data: list[PixelEvent] = Field(validation_alias=AliasChoices("events", "data"))
