"""The tools beyond audiences: enrichment (one contact, bulk jobs), pixels, Studio segments."""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from audiencelab import EnrichmentJob, InputProblem, InputValidationError, PassArgument, operations
from audiencelab.mcp._paths import export_path
from audiencelab.mcp._results import (
    DownloadResult,
    EnrichContactResult,
    EnrichmentJobCreatedResult,
    EnrichmentJobInfo,
    EnrichmentJobList,
    PixelCreatedResult,
    PixelDeletedResult,
    PixelEventsResult,
    PixelInfo,
    PixelList,
    SegmentRecordsResult,
)
from audiencelab.mcp._tools import (
    Columns,
    Page,
    PageSize,
    ToolContext,
    ToolSpec,
    check_column_names,
    page_info,
    select_columns,
)

__all__ = ["service_tools"]

MatchKeys = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "description": "What is known about the person: at least one match key, as strings.",
            "properties": {key: {"type": "string"} for key in operations.ENRICH_MATCH_KEYS},
            "additionalProperties": False,
            "minProperties": 1,
        }
    ),
]
EnrichFields = Annotated[
    list[str] | None,
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "enum": list(operations.ENRICH_FIELDS)},
            "description": "Only these fields of the people found (all when omitted).",
        }
    ),
]
JobRecords = Annotated[
    list[dict[str, Any]],
    WithJsonSchema(
        {
            "type": "array",
            "minItems": 1,
            "description": (
                "The contacts to enrich: objects with lowercase keys, e.g. "
                '{"email": "ann@example.com", "first_name": "Ann"}. Keys: '
                + ", ".join(c.lower() for c in operations.JOB_COLUMNS)
                + "."
            ),
            "items": {
                "type": "object",
                "properties": {c.lower(): {"type": "string"} for c in operations.JOB_COLUMNS},
                "additionalProperties": False,
            },
        }
    ),
]
JobId = Annotated[str, Field(description="The job's ID (from create_enrichment_job).")]
PixelId = Annotated[str, Field(description="The pixel's ID (from create_pixel or list_pixels).")]
FIND_JOB = "Call list_enrichment_jobs to find the right job ID."
FIND_PIXEL = "Call list_pixels to find the right pixel ID."

ENRICH = """Look up one person from what is known about them (email, name and company, phone...) \
and return the matching people with their details. Uses enrichment credits for each match. For \
many contacts use create_enrichment_job instead. Unknown match keys and fields are refused with a \
suggestion (nothing is sent)."""

CREATE_JOB = """Start a bulk enrichment job for a list of contacts (lowercase keys such as email, \
first_name, phone). Uses enrichment credits. Every record is checked first; a refusal names the \
record and key (records[3].phone) and nothing is sent. The job runs in the background: call \
get_enrichment_job until it is done, then download_enrichment_result. If the outcome is reported \
unknown, call list_enrichment_jobs before creating it again."""

LIST_JOBS = """List the enrichment jobs of this API key with their status, one page at a time. \
Reads only. Use it to find a job's ID, and after create_enrichment_job reported an unknown \
outcome, to see whether the job exists before creating it again."""

GET_JOB = """The current status of one enrichment job (IN_QUEUE, PROCESSING, COMPLETED, FAILED, \
NO_DATA). Jobs take minutes: while done is false, call it again later. When has_result is true, \
call download_enrichment_result. Reads only."""

DOWNLOAD = """Save a finished enrichment job's result file (CSV) in the server's export folder. \
`path` is relative to that folder (e.g. "enriched.csv"); paths outside it are refused, and an \
existing file is replaced only with overwrite=true. Returns the file's path and size, not its \
contents."""

CREATE_PIXEL = """Create a website pixel, which identifies visitors of a site. Returns the pixel's \
ID and the script URL to install on the site. Not repeated automatically: if the outcome is \
reported unknown, call list_pixels before creating it again."""

LIST_PIXELS = """List the pixels of this API key (ID, website, install URL), one page at a time. \
Reads only. Use it to find a pixel's ID for get_pixel_events, and after create_pixel reported an \
unknown outcome."""

EVENTS = """Read one page of a pixel's visitor events (page views, clicks, form submissions...); \
`resolution` holds the identified person. version "v3" (default; can filter by event_type) or \
"v4" (richer person data). Page n reads the n pages before it. Reads only."""

DELETE_PIXEL = """Delete (archive) a pixel: it stops identifying the website's visitors, and the \
script installed on the site stops working. Confirm with the user before calling it. Call \
list_pixels to find the ID."""

SEGMENT = """Read one page of a Studio segment's people (the segment ID is shown under the \
segment's name in AudienceLab Studio), 25 by default, at most 100. Pass `columns` to get only \
what you need. Reads only."""


def _job_info(job: EnrichmentJob) -> EnrichmentJobInfo:
    return EnrichmentJobInfo(
        id=job.id,
        name=job.name,
        status=job.status,
        done=job.done,
        total=job.total,
        created_at=job.created_at.isoformat() if job.created_at else None,
        has_result=job.done and bool(job.csv_url),
    )


def service_tools(ctx: ToolContext) -> list[ToolSpec]:
    """The enrichment, pixel and segment tools, bound to one client and export folder."""
    client = ctx.client

    def enrich_contact(
        filter: MatchKeys,
        fields: EnrichFields = None,
        is_or_match: Annotated[
            bool, Field(description="Match any of the keys instead of all of them.")
        ] = False,
    ) -> EnrichContactResult:
        found = client.enrichment.enrich(filter, fields, is_or_match)
        return EnrichContactResult(found=found.found, rows=found.result)

    def create_enrichment_job(
        name: Annotated[str, Field(description="A name for the job.")],
        records: JobRecords,
        columns: Annotated[
            list[str] | None,
            Field(description="UPPER_SNAKE names of the keys sent (default: those present)."),
        ] = None,
        operator: Annotated[
            Literal["AND", "OR"], Field(description="Match all keys (AND) or any (OR).")
        ] = "OR",
    ) -> EnrichmentJobCreatedResult:
        created = client.enrichment.create_job(name, records, columns, operator)
        return EnrichmentJobCreatedResult(
            job_id=created.job_id,
            status=created.status,
            next_step=(
                f'Call get_enrichment_job(job_id="{created.job_id}") until done, then '
                "download_enrichment_result."
            ),
        )

    def list_enrichment_jobs(page: Page = 1, page_size: PageSize = 25) -> EnrichmentJobList:
        result = client.enrichment.jobs(page=page, page_size=page_size)
        jobs = [_job_info(job) for job in result.data]
        return EnrichmentJobList(jobs=jobs, **page_info(result, page, page_size, len(jobs)))

    def get_enrichment_job(job_id: JobId) -> EnrichmentJobInfo:
        return _job_info(client.enrichment.get_job(job_id))

    def download_enrichment_result(
        job_id: JobId,
        path: Annotated[
            str, Field(description='File name inside the export folder, e.g. "enriched.csv".')
        ],
        overwrite: Annotated[bool, Field(description="Replace an existing file.")] = False,
    ) -> DownloadResult:
        target = export_path(ctx.export_dir, path)
        if target.exists() and not overwrite:  # before anything is sent
            raise InputValidationError(
                [
                    InputProblem(
                        "path",
                        f"{path!r} already exists",
                        remedy=PassArgument("overwrite", True, "to replace it"),
                    )
                ]
            )
        summary = client.enrichment.download(job_id, target, overwrite=overwrite)
        return DownloadResult(job_id=job_id, path=str(summary.path), bytes=summary.bytes_written)

    def create_pixel(
        website_name: Annotated[str, Field(description="The website's name.")],
        website_url: Annotated[
            str, Field(description='Where the pixel is installed, e.g. "https://example.com".')
        ],
        webhook_url: Annotated[
            str | None, Field(description="A URL that receives each event, if wanted.")
        ] = None,
        version: Annotated[
            Literal["v3", "v4"] | None, Field(description="Pixel version (the API's default: v3).")
        ] = None,
    ) -> PixelCreatedResult:
        created = client.pixels.create(website_name, website_url, webhook_url, version)
        return PixelCreatedResult(
            pixel_id=created.pixel_id,
            install_url=created.install_url,
            next_step="Install the script (install_url) on the website; then get_pixel_events.",
        )

    def list_pixels(page: Page = 1, page_size: PageSize = 25) -> PixelList:
        result = client.pixels.list(page=page, page_size=page_size)
        pixels = [
            PixelInfo(
                id=p.id,
                website_name=p.website_name,
                website_url=p.website_url,
                install_url=p.install_url,
                webhook_url=p.webhook_url,
            )
            for p in result.data
        ]
        return PixelList(pixels=pixels, **page_info(result, page, page_size, len(pixels)))

    def get_pixel_events(
        pixel_id: PixelId,
        version: Annotated[
            Literal["v3", "v4"], Field(description="v3 events, or v4 (richer person data).")
        ] = "v3",
        event_type: Annotated[
            str | None, Field(description='Only this kind of v3 event, e.g. "page_view".')
        ] = None,
        page: Page = 1,
        page_size: Annotated[int, Field(ge=1, le=100, description="Events per page, 1-100.")] = 10,
    ) -> PixelEventsResult:
        if version == "v4":
            if event_type is not None:
                raise InputValidationError(
                    [
                        InputProblem(
                            "event_type",
                            "only v3 events can be filtered by type",
                            remedy=PassArgument("version", "v3", "to filter by type"),
                        )
                    ]
                )
            pager = client.pixels.events_v4(pixel_id, page_size=page_size)
        else:
            pager = client.pixels.events(pixel_id, event_type=event_type, page_size=page_size)
        # The SDK pages from the first page on: page n costs n requests (n is small in practice).
        found = next(islice(pager.pages(), page - 1, page), None)
        events = [e.model_dump(mode="json", exclude_none=True) for e in found.data] if found else []
        return PixelEventsResult(
            pixel_id=pixel_id,
            version=version,
            page=page,
            page_size=page_size,
            has_more=found is not None and found.next_page() is not None,
            events=events,
        )

    def delete_pixel(pixel_id: PixelId) -> PixelDeletedResult:
        client.pixels.delete(pixel_id)
        return PixelDeletedResult(pixel_id=pixel_id, deleted=True)

    def get_segment_records(
        segment_id: Annotated[str, Field(description="The Studio segment's ID.")],
        page: Page = 1,
        page_size: PageSize = 25,
        columns: Columns = None,
    ) -> SegmentRecordsResult:
        check_column_names(columns)
        result = client.segments.get(segment_id, page=page, page_size=page_size)
        names, rows = select_columns(result.data, columns)
        return SegmentRecordsResult(
            segment_id=segment_id,
            segment_name=result.segment_name,
            columns=names,
            rows=rows,
            **page_info(result, page, page_size, len(rows)),
        )

    return [
        ToolSpec("enrich_contact", enrich_contact, ENRICH, read_only=False),
        ToolSpec("create_enrichment_job", create_enrichment_job, CREATE_JOB, read_only=False),
        ToolSpec("list_enrichment_jobs", list_enrichment_jobs, LIST_JOBS, read_only=True),
        ToolSpec(
            "get_enrichment_job", get_enrichment_job, GET_JOB, read_only=True, not_found=FIND_JOB
        ),
        ToolSpec(
            "download_enrichment_result",
            download_enrichment_result,
            DOWNLOAD,
            read_only=False,
            destructive=True,  # with overwrite=true it replaces a file
            idempotent=True,
            not_found=FIND_JOB,
        ),
        ToolSpec("create_pixel", create_pixel, CREATE_PIXEL, read_only=False),
        ToolSpec("list_pixels", list_pixels, LIST_PIXELS, read_only=True),
        ToolSpec(
            "get_pixel_events", get_pixel_events, EVENTS, read_only=True, not_found=FIND_PIXEL
        ),
        ToolSpec(
            "delete_pixel",
            delete_pixel,
            DELETE_PIXEL,
            read_only=False,
            destructive=True,
            idempotent=True,
            not_found=FIND_PIXEL,
        ),
        ToolSpec(
            "get_segment_records",
            get_segment_records,
            SEGMENT,
            read_only=True,
            not_found="Check the segment ID: it is shown under the segment's name in Studio.",
        ),
    ]
