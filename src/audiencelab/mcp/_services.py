"""The tools beyond audiences: enrichment (one contact, bulk jobs), pixels, Studio segments."""

from itertools import islice
from typing import Annotated, Any, Literal

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import Field, WithJsonSchema

from audiencelab import (
    APIError,
    EnrichmentJob,
    InputProblem,
    InputValidationError,
    PassArgument,
    WaitTimeoutError,
    operations,
)
from audiencelab.mcp._paths import DOWNLOAD_SIBLINGS, export_path
from audiencelab.mcp._policy import Consent
from audiencelab.mcp._progress import Work, poll_until
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
    DEFAULT_COLUMNS,
    Columns,
    Id,
    Name,
    Page,
    PageSize,
    PeoplePageSize,
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
            "description": "What is known about the person (at least one key).",
            # propertyNames + additionalProperties: the same rule as one property per key, in
            # fewer bytes of every tools/list
            "propertyNames": {"enum": list(operations.ENRICH_MATCH_KEYS)},
            "additionalProperties": {"type": "string"},
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
            "description": "Only these fields of the people found (default: all).",
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
                'The contacts to enrich, e.g. {"email": "ann@example.com", "first_name": "Ann"}.'
            ),
            "items": {
                "type": "object",
                "propertyNames": {"enum": [c.lower() for c in operations.JOB_COLUMNS]},
                "additionalProperties": {"type": "string"},
            },
        }
    ),
]
JobId = Annotated[Id, Field(description="From create_enrichment_job or list_enrichment_jobs.")]
PixelId = Annotated[Id, Field(description="From create_pixel or list_pixels.")]
Answer = ElicitationResult[Consent]
FIND_JOB = "Call list_enrichment_jobs to find the right job ID."
FIND_PIXEL = "Call list_pixels to find the right pixel ID."

ENRICH = """Look up one person from what is known (email, name and company, phone...) and return \
the matches. Uses enrichment credits per match; for many contacts use create_enrichment_job. \
The user may be asked first."""

CREATE_JOB = """Start a bulk enrichment job for contacts (lowercase keys: email, first_name, \
phone...). Uses credits; every record is checked first. Then get_enrichment_job(wait_seconds=...) \
and download_enrichment_result. On an unknown outcome call list_enrichment_jobs first."""

LIST_JOBS = """List this API key's enrichment jobs with their status, a page at a time. Use it to \
find a job's ID, and after create_enrichment_job reported an unknown outcome."""

GET_JOB = """One enrichment job's status (IN_QUEUE, PROCESSING, COMPLETED, FAILED, NO_DATA); \
`wait_seconds` waits for it to finish, reporting progress. When has_result is true, call \
download_enrichment_result."""

DOWNLOAD = """Save a finished enrichment job's result CSV in the export folder (`path` relative to \
it; overwrite=true replaces a file). Returns the path and size, not the contents."""

CREATE_PIXEL = """Create a website pixel that identifies a site's visitors; returns its ID and the \
script URL to install. On an unknown outcome call list_pixels before creating again."""

LIST_PIXELS = """List this API key's pixels (ID, website, install URL), a page at a time. Use it to \
find a pixel's ID for get_pixel_events."""

EVENTS = """Read one page of a pixel's visitor events (page views, clicks, forms...); `resolution` \
holds the identified person. version v3 (can filter by event_type) or v4 (richer person data)."""

DELETE_PIXEL = """Delete (archive) a pixel: the site's script stops working and visitors are no \
longer identified. Confirm with the user first; the server may ask them too."""

SEGMENT = """Read one page of a Studio segment's people (its ID is shown under its name in \
Studio), default 25, at most 50, with a few columns (`columns` to choose, ["*"] for all)."""


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
    """The enrichment, pixel and segment tools, bound to one client, export folder and policy."""
    client = ctx.client
    policy = ctx.policy

    def _creating(tool: str, send: Any) -> Any:
        """``send()``, counted against the policy's limit of creates."""
        policy.reserve_create(tool)
        try:
            return send()
        except BaseException as exc:
            if not (isinstance(exc, APIError) and exc.outcome_unknown):
                policy.release_create()
            raise

    async def confirm_enrich(
        filter: dict[str, Any],
        fields: list[str] | None,
        is_or_match: bool,
        context: Context[Any, Any],
    ) -> Consent | Elicit[Consent]:
        operations.enrich_contact(filter, fields, is_or_match)  # refused before anyone is asked
        keys = ", ".join(sorted(filter)) or "nothing"
        return policy.question(
            context,
            "spend",
            f"Look up one contact in AudienceLab (by {keys})? Each person found uses "
            "enrichment credits.",
        )

    def enrich_contact(
        filter: MatchKeys,
        fields: EnrichFields = None,
        is_or_match: Annotated[bool, Field(description="Match any key instead of all.")] = False,
        *,
        answer: Annotated[Answer, Resolve(confirm_enrich)],
    ) -> EnrichContactResult:
        policy.require(answer, "look up the contact")
        found = client.enrichment.enrich(filter, fields, is_or_match)
        return EnrichContactResult(found=found.found, rows=found.result)

    async def confirm_job(
        name: str, records: list[dict[str, Any]], context: Context[Any, Any]
    ) -> Consent | Elicit[Consent]:
        policy.check_creates("create_enrichment_job")
        return policy.question(
            context,
            "spend",
            f"Start the AudienceLab enrichment job {name!r} for {len(records):,} contacts? Each "
            "person found uses enrichment credits.",
        )

    def create_enrichment_job(
        name: Annotated[Name, Field(description="A name for the job.")],
        records: JobRecords,
        columns: Annotated[
            list[str] | None,
            Field(description="UPPER_SNAKE keys to send (default: those present)."),
        ] = None,
        operator: Annotated[
            Literal["AND", "OR"], Field(description="Match all keys (AND) or any (OR).")
        ] = "OR",
        *,
        answer: Annotated[Answer, Resolve(confirm_job)],
    ) -> EnrichmentJobCreatedResult:
        policy.require(answer, f"start the enrichment job {name!r}")
        created = _creating(
            "create_enrichment_job",
            lambda: client.enrichment.create_job(name, records, columns, operator),
        )
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

    def get_enrichment_job(
        job_id: JobId,
        context: Context[Any, Any],
        wait_seconds: Annotated[
            float,
            Field(ge=0, le=600, description="Seconds to wait for it to finish."),
        ] = 0,
    ) -> EnrichmentJobInfo:
        if wait_seconds == 0:
            return _job_info(client.enrichment.get_job(job_id))

        def finished() -> EnrichmentJob | None:
            try:
                return client.enrichment.wait(job_id, timeout=0)
            except WaitTimeoutError:
                return None

        job = poll_until(
            Work(context),
            wait_seconds,
            finished,
            lambda s: (
                f"Enrichment job {job_id} is still running ({s:.0f} s of {wait_seconds:g} s)."
            ),
            first_delay=2.0,
            max_delay=30.0,
        )
        return _job_info(job if job is not None else client.enrichment.get_job(job_id))

    def download_enrichment_result(
        job_id: JobId,
        path: Annotated[str, Field(description='E.g. "enriched.csv".')],
        overwrite: Annotated[bool, Field(description="Replace an existing file.")] = False,
    ) -> DownloadResult:
        target = export_path(ctx.export_dir, path, siblings=DOWNLOAD_SIBLINGS)
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

    async def confirm_pixel(
        website_url: str, context: Context[Any, Any]
    ) -> Consent | Elicit[Consent]:
        policy.check_creates("create_pixel")
        return policy.question(
            context, "create", f"Create an AudienceLab website pixel for {website_url!r}?"
        )

    def create_pixel(
        website_name: Annotated[Name, Field(description="The website's name.")],
        website_url: Annotated[
            Name, Field(description='Where the pixel is installed, e.g. "https://example.com".')
        ],
        webhook_url: Annotated[
            str | None,
            Field(max_length=2000, description="A URL that receives each event, if wanted."),
        ] = None,
        version: Annotated[
            Literal["v3", "v4"] | None, Field(description="Pixel version (the API's default: v3).")
        ] = None,
        *,
        answer: Annotated[Answer, Resolve(confirm_pixel)],
    ) -> PixelCreatedResult:
        policy.require(answer, f"create a pixel for {website_url!r}")
        created = _creating(
            "create_pixel",
            lambda: client.pixels.create(website_name, website_url, webhook_url, version),
        )
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
            str | None,
            Field(max_length=100, description='Only this kind of v3 event, e.g. "page_view".'),
        ] = None,
        page: Page = 1,
        page_size: Annotated[int, Field(ge=1, le=20, description="Events per page.")] = 10,
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

    async def confirm_delete_pixel(
        pixel_id: str, context: Context[Any, Any]
    ) -> Consent | Elicit[Consent]:
        return policy.question(
            context,
            "delete",
            f"Delete the AudienceLab pixel {pixel_id}? It stops identifying the website's "
            "visitors, and the script installed on the site stops working.",
        )

    def delete_pixel(
        pixel_id: PixelId, *, answer: Annotated[Answer, Resolve(confirm_delete_pixel)]
    ) -> PixelDeletedResult:
        policy.require(answer, f"delete the pixel {pixel_id}")
        client.pixels.delete(pixel_id)
        return PixelDeletedResult(pixel_id=pixel_id, deleted=True)

    def get_segment_records(
        segment_id: Annotated[Id, Field(description="The Studio segment's ID.")],
        page: Page = 1,
        page_size: PeoplePageSize = 25,
        columns: Columns = None,
    ) -> SegmentRecordsResult:
        check_column_names(columns)
        result = client.segments.get(segment_id, page=page, page_size=page_size)
        names, rows = select_columns(result.data, columns or DEFAULT_COLUMNS)
        return SegmentRecordsResult(
            segment_id=segment_id,
            segment_name=result.segment_name,
            columns=names,
            rows=rows,
            **page_info(result, page, page_size, len(rows)),
        )

    return [
        ToolSpec("enrich_contact", enrich_contact, ENRICH, read_only=False, effect="spend"),
        ToolSpec(
            "create_enrichment_job",
            create_enrichment_job,
            CREATE_JOB,
            read_only=False,
            effect="spend",
        ),
        ToolSpec("list_enrichment_jobs", list_enrichment_jobs, LIST_JOBS, read_only=True),
        ToolSpec(
            "get_enrichment_job", get_enrichment_job, GET_JOB, read_only=True, not_found=FIND_JOB
        ),
        ToolSpec(
            "download_enrichment_result",
            download_enrichment_result,
            DOWNLOAD,
            read_only=False,
            idempotent=True,  # writes only inside the export folder (overwrite only when told)
            not_found=FIND_JOB,
            effect="write",
        ),
        ToolSpec("create_pixel", create_pixel, CREATE_PIXEL, read_only=False, effect="create"),
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
            effect="delete",
        ),
        ToolSpec(
            "get_segment_records",
            get_segment_records,
            SEGMENT,
            read_only=True,
            not_found="Check the segment ID: it is shown under the segment's name in Studio.",
        ),
    ]
