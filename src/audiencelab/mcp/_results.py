"""What each tool returns: pydantic models, published as the tools' output schemas.

They are the server's own (not the SDK's response models), so that the schema a model sees stays
small and stable: only the fields a model needs, each described.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AttributeValuesResult",
    "AudienceCreatedResult",
    "AudienceDeletedResult",
    "AudienceInfo",
    "AudienceList",
    "AudiencePreviewResult",
    "AudienceReadyResult",
    "CustomAudienceResult",
    "DownloadResult",
    "EnrichContactResult",
    "EnrichmentJobCreatedResult",
    "EnrichmentJobInfo",
    "EnrichmentJobList",
    "ExportResult",
    "PixelCreatedResult",
    "PixelDeletedResult",
    "PixelEventsResult",
    "PixelInfo",
    "PixelList",
    "RecordsResult",
    "RequestPreview",
    "SegmentRecordsResult",
    "SegmentValue",
]

Row = dict[str, Any]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class _PageInfo(_Result):
    page: int = Field(description="This page's number (1-based).")
    page_size: int = Field(description="Items per page asked for.")
    total_records: int | None = Field(None, description="Items on all pages, when the API says.")
    total_pages: int | None = Field(None, description="Number of pages, when the API says.")
    has_more: bool = Field(description="Whether a next page exists: call again with page + 1.")


class RequestPreview(_Result):
    method: str = Field(description="HTTP method.")
    path: str = Field(description="Request path under the API's base URL.")
    body: dict[str, Any] = Field(description="The JSON body, exactly as it would be sent.")
    content: str = Field(description="The body's exact bytes, as text.")


_WARNINGS = (
    "Filter values sent although they are not among the values the API lists (they may match "
    "nobody): check them with list_attribute_values."
)


class AudienceCreatedResult(_Result):
    audience_id: str | None = Field(description="The new audience's ID (None on a dry run).")
    dry_run: bool = Field(description="True when nothing was sent.")
    request: RequestPreview | None = Field(None, description="The request (dry runs only).")
    count: int | None = Field(None, description="How many people its preview counted.")
    warnings: list[str] = Field(default_factory=list, description=_WARNINGS)
    next_step: str = Field(description="What to do next.")


class AudiencePreviewResult(_Result):
    count: int | None = Field(description="How many people match.")
    sample: list[Row] = Field(description="Sample people (UPPER_SNAKE columns).")
    field_coverage: dict[str, float] = Field(
        description="Share of matching people (0-1) who have a value in each sample column."
    )
    warnings: list[str] = Field(default_factory=list, description=_WARNINGS)
    next_step: str = Field(description="What to do next.")


class AudienceInfo(_Result):
    id: str = Field(description="Audience ID.")
    name: str | None = Field(None, description="Audience name.")
    scheduled_refresh: bool | None = Field(None, description="Whether it refreshes on a schedule.")
    refresh_interval: str | None = Field(None, description="Refresh interval, if any.")
    next_scheduled_refresh: str | None = Field(None, description="Next refresh, if any.")


class AudienceList(_PageInfo):
    audiences: list[AudienceInfo] = Field(description="The audiences on this page.")


class RecordsResult(_PageInfo):
    audience_id: str = Field(description="The audience.")
    columns: list[str] = Field(description="The columns of the rows returned.")
    rows: list[Row] = Field(description="People, as UPPER_SNAKE columns (strings).")


class AudienceReadyResult(_Result):
    audience_id: str = Field(description="The audience.")
    ready: bool = Field(description="True when its records can be read and exported.")
    total_records: int | None = Field(None, description="How many people it holds, when ready.")
    waited_seconds: float = Field(description="How long this call waited.")
    next_step: str = Field(description="What to do next.")


class ExportResult(_Result):
    audience_id: str = Field(description="The audience exported.")
    path: str = Field(description="Absolute path of the file written.")
    format: str = Field(description="csv, jsonl or parquet (from the file's suffix).")
    rows: int = Field(description="People written.")
    pages: int = Field(description="Pages read from the API.")
    columns: list[str] = Field(description="Columns of the file.")
    seconds: float = Field(description="How long the export took.")


class AudienceDeletedResult(_Result):
    audience_id: str = Field(description="The audience deleted.")
    deleted: bool = Field(description="True.")


class CustomAudienceResult(_Result):
    status: str = Field(description="The request's status (e.g. processing).")
    next_step: str = Field(description="What to do next.")


class SegmentValue(_Result):
    id: str = Field(description="Segment ID to pass in the segment argument.")
    name: str | None = Field(None, description="What the segment is.")
    b2b: bool | None = Field(None, description="True for business segments.")


class AttributeValuesResult(_Result):
    name: str = Field(description="The attribute list.")
    use_in: str = Field(description="Where these values go.")
    total: int = Field(description="How many values the API lists.")
    matched: int = Field(description="How many match the query (all, without one).")
    values: list[str] = Field(description="The matching values, spelled as the API wants them.")
    segments: list[SegmentValue] = Field(description="The matching segments (name=segments).")
    truncated: bool = Field(description="True when more matched than are shown (use a query).")


class EnrichContactResult(_Result):
    found: int = Field(description="How many matching people were found.")
    rows: list[Row] = Field(description="The people found (UPPER_SNAKE columns).")


class EnrichmentJobCreatedResult(_Result):
    job_id: str = Field(description="The job's ID.")
    status: str = Field(description="Its first status (IN_QUEUE).")
    next_step: str = Field(description="What to do next.")


class EnrichmentJobInfo(_Result):
    id: str = Field(description="Job ID.")
    name: str | None = Field(None, description="Job name.")
    status: str = Field(description="IN_QUEUE, PROCESSING, COMPLETED, FAILED or NO_DATA.")
    done: bool = Field(description="True when the status will not change any more.")
    total: int | None = Field(None, description="Records in the job, when known.")
    created_at: str | None = Field(None, description="When it was created (ISO 8601).")
    has_result: bool = Field(description="True when a result file can be downloaded.")


class EnrichmentJobList(_PageInfo):
    jobs: list[EnrichmentJobInfo] = Field(description="The jobs on this page.")


class DownloadResult(_Result):
    job_id: str = Field(description="The job.")
    path: str = Field(description="Absolute path of the file written.")
    bytes: int = Field(description="Size of the file.")


class PixelCreatedResult(_Result):
    pixel_id: str = Field(description="The new pixel's ID.")
    install_url: str | None = Field(None, description="Script URL to install on the website.")
    next_step: str = Field(description="What to do next.")


class PixelInfo(_Result):
    id: str = Field(description="Pixel ID.")
    website_name: str | None = Field(None, description="Website name.")
    website_url: str | None = Field(None, description="Website URL.")
    install_url: str | None = Field(None, description="Script URL to install.")
    webhook_url: str | None = Field(None, description="Webhook receiving its events, if any.")


class PixelList(_PageInfo):
    pixels: list[PixelInfo] = Field(description="The pixels on this page.")


class PixelEventsResult(_Result):
    pixel_id: str = Field(description="The pixel.")
    version: str = Field(description="v3 or v4 events.")
    page: int = Field(description="This page's number (1-based).")
    page_size: int = Field(description="Events per page asked for.")
    has_more: bool = Field(description="Whether a next page exists.")
    events: list[Row] = Field(description="Visitor events; resolution holds the person.")


class PixelDeletedResult(_Result):
    pixel_id: str = Field(description="The pixel deleted.")
    deleted: bool = Field(description="True.")


class SegmentRecordsResult(_PageInfo):
    segment_id: str = Field(description="The Studio segment.")
    segment_name: str | None = Field(None, description="Its name.")
    columns: list[str] = Field(description="The columns of the rows returned.")
    rows: list[Row] = Field(description="People, as UPPER_SNAKE columns.")
