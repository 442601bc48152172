"""The audience tools: build (preview, create), find (list), read (records, wait), export, delete;
and the attribute lists that say how the API spells industries, departments, segments..."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from audiencelab import WaitTimeoutError, operations
from audiencelab.mcp._paths import export_path
from audiencelab.mcp._results import (
    AttributeValuesResult,
    AudienceCreatedResult,
    AudienceDeletedResult,
    AudienceInfo,
    AudienceList,
    AudiencePreviewResult,
    AudienceReadyResult,
    CustomAudienceResult,
    ExportResult,
    RecordsResult,
    RequestPreview,
    SegmentValue,
)
from audiencelab.mcp._schema import ATTRIBUTE_FILTERS, SEGMENT_DESCRIPTION, filters_schema
from audiencelab.mcp._tools import (
    Columns,
    Page,
    PageSize,
    ToolContext,
    ToolSpec,
    check_column_names,
    page_info,
    select_columns,
    value_warnings,
)
from audiencelab.mcp._vocabulary import attribute_values

__all__ = ["audience_tools"]

# `filters` is taken as any object and checked by the SDK, which names every problem with a
# suggestion; the published schema tells the model every key.
Filters = Annotated[dict[str, Any], WithJsonSchema(filters_schema())]
Segment = Annotated[list[str] | None, Field(description=SEGMENT_DESCRIPTION)]
AudienceId = Annotated[
    str, Field(description="The audience's ID (from create_audience or list_audiences).")
]
if TYPE_CHECKING:
    AttributeName = str
else:  # the SDK's lists, as an enum in the tool's schema
    AttributeName = Literal[tuple(operations.ATTRIBUTE_NAMES)]
MAX_VALUES = 200

FIND_AUDIENCE = "Call list_audiences to find the right audience ID."
STILL_BUILDING = "Call wait_for_audience, then export_audience again."

CREATE = """Create an audience: the people matching `filters` (and, optionally, intent `segment`s). \
Every argument is checked before anything is sent; a refusal lists each problem with its path and \
a suggested fix, and nothing is sent. Creating an audience uses AudienceLab credits{cost}, so \
call preview_audience first to check the count, look up industry/department/seniority/segment \
values with list_attribute_values, and pass dry_run=true to see the exact request without \
sending it. The audience is built in the background: call wait_for_audience next, then \
get_audience_records or export_audience. If the outcome is reported unknown, call list_audiences \
before creating it again: a second call would create a second audience."""

PREVIEW = """Count the people matching `filters` and show a few of them, without creating \
anything. Checked exactly like create_audience (a refusal lists each problem with a fix; nothing \
is sent). Use it to tune the filters before create_audience: a count in the millions usually \
means a filter is too loose. `limit` sample people (default 5), `columns` to keep them short."""

LIST = """List the audiences of this API key (ID and name), one page at a time. Reads only. Use \
it to find an audience's ID, and always after create_audience reported an unknown outcome, to see \
whether the audience exists before creating it again."""

RECORDS = """Read one page of an audience's people (25 by default, at most 100), as UPPER_SNAKE \
columns. Pass `columns` to get only what you need (e.g. ["FIRST_NAME", "LAST_NAME", \
"JOB_TITLE"]). Reads only. An audience still being built is reported as not ready: call \
wait_for_audience. To get every person into a file, use export_audience instead of paging here."""

WAIT = """Wait until a new audience's people can be read: audiences are built in the background \
(seconds to minutes). Returns ready=true with total_records, or ready=false after \
`timeout_seconds` (default 60): then call it again. Reads only."""

EXPORT = """Write every person of an audience to a file in the server's export folder. `path` is \
relative to that folder (e.g. "nyc-engineers.csv"); the format follows the suffix: .csv, .jsonl \
or .parquet. Returns the file's absolute path and how many rows and pages were written, not the \
people themselves, so a large audience does not flood the conversation. Waits up to \
`wait_timeout_seconds` for an audience still being built. An existing file is replaced only with \
overwrite=true; an interrupted export continues with resume=true. Paths outside the export \
folder are refused."""

DELETE = """Delete an audience for good: it cannot be undone, and its people can no longer be \
read or exported (export them first if they are needed). Confirm with the user before calling it. \
Call list_audiences to find the ID."""

CUSTOM = """Ask AudienceLab to build a custom intent audience from a topic and a description of \
the people interested in it. Uses a custom-audience credit. The answer is only "processing": the \
result appears in the AudienceLab dashboard (no tool lists custom topics). If the outcome is \
reported unknown, have the user check the dashboard before submitting it again."""

ATTRIBUTES = """List the allowed values of the filters whose values the API defines: \
industries (filters.businessProfile.industry), departments (filters.businessProfile.department), \
seniority (filters.businessProfile.seniority), sic (filters.businessProfile.sic), gender \
(filters.gender) and segments (the `segment` argument of create_audience and preview_audience). \
Call it before using those filters, with a `query` to search (e.g. "software"), and use the \
values exactly as listed. Reads only."""


def _next_for(audience_id: str) -> str:
    return (
        f'The audience is being built: call wait_for_audience(audience_id="{audience_id}"), '
        "then get_audience_records or export_audience."
    )


def audience_tools(ctx: ToolContext) -> list[ToolSpec]:
    """The audience tools, bound to one client and export folder."""
    audiences = ctx.client.audiences

    def create_audience(
        name: Annotated[
            str, Field(description='A name for the audience, e.g. "NYC software engineers 25-45".')
        ],
        filters: Filters,
        segment: Segment = None,
        days_back: Annotated[
            int | None,
            Field(
                description="Days of recent intent data to draw from (the API's default when omitted)."
            ),
        ] = None,
        dry_run: Annotated[
            bool, Field(description="Check and return the exact request without sending it.")
        ] = False,
        allow_unfiltered: Annotated[
            bool,
            Field(
                description="Set to true only when the user wants everyone: without any filter "
                "or segment, the audience is refused, as it would not be filtered at all."
            ),
        ] = False,
        min_count: Annotated[
            int | None,
            Field(
                ge=0,
                description="Preview first and create nothing when fewer people than this match.",
            ),
        ] = None,
    ) -> AudienceCreatedResult:
        if dry_run:
            # The plan a send runs, against the same lists: a dry run refuses what a send
            # refuses, and shows the bytes it would send.
            with value_warnings() as warned:
                op = operations.create_audience(
                    name,
                    filters,
                    segment,
                    days_back,
                    allow_unfiltered=allow_unfiltered,
                    client=ctx.client,
                )
            return AudienceCreatedResult(
                audience_id=None,
                dry_run=True,
                request=RequestPreview(
                    method=op.method,
                    path=op.path,
                    body=op.body,
                    content=(op.content or b"").decode("utf-8"),
                ),
                warnings=warned,
                next_step="Nothing was sent. Call create_audience without dry_run to create it.",
            )
        with value_warnings() as warned:
            created = audiences.create(
                name,
                filters,
                segment,
                days_back,
                allow_unfiltered=allow_unfiltered,
                min_count=min_count,
            )
        return AudienceCreatedResult(
            audience_id=created.audience_id,
            dry_run=False,
            warnings=warned,
            next_step=_next_for(created.audience_id),
        )

    def preview_audience(
        filters: Filters,
        segment: Segment = None,
        days_back: Annotated[
            int, Field(ge=1, le=10, description="Days of recent intent data, 1-10.")
        ] = 7,
        limit: Annotated[
            int, Field(ge=0, le=100, description="How many sample people to return, 0-100.")
        ] = 5,
        columns: Columns = None,
    ) -> AudiencePreviewResult:
        check_column_names(columns)
        with value_warnings() as warned:
            preview = audiences.preview(filters, segment, days_back, limit)
        _, sample = select_columns(preview.result[:limit], columns)
        return AudiencePreviewResult(
            count=preview.count,
            sample=sample,
            field_coverage=preview.field_coverage,
            warnings=warned,
            next_step=(
                "If the count looks right, call create_audience with the same filters; else "
                "adjust them and preview again."
            ),
        )

    def list_audiences(page: Page = 1, page_size: PageSize = 25) -> AudienceList:
        result = audiences.list(page=page, page_size=page_size)
        items = [
            AudienceInfo(
                id=a.id,
                name=a.name,
                scheduled_refresh=a.scheduled_refresh,
                refresh_interval=a.refresh_interval,
                next_scheduled_refresh=a.next_scheduled_refresh,
            )
            for a in result.data
        ]
        return AudienceList(audiences=items, **page_info(result, page, page_size, len(items)))

    def get_audience_records(
        audience_id: AudienceId, page: Page = 1, page_size: PageSize = 25, columns: Columns = None
    ) -> RecordsResult:
        check_column_names(columns)
        result = audiences.get(audience_id, page=page, page_size=page_size)
        names, rows = select_columns(result.data, columns)
        return RecordsResult(
            audience_id=audience_id,
            columns=names,
            rows=rows,
            **page_info(result, page, page_size, len(rows)),
        )

    def wait_for_audience(
        audience_id: AudienceId,
        timeout_seconds: Annotated[
            float, Field(ge=0, le=600, description="How long to wait at most, in seconds.")
        ] = 60,
    ) -> AudienceReadyResult:
        try:
            ready = audiences.wait_until_ready(audience_id, timeout=timeout_seconds)
        except WaitTimeoutError:
            return AudienceReadyResult(
                audience_id=audience_id,
                ready=False,
                waited_seconds=timeout_seconds,
                next_step=(
                    "Still being built (or it matched nobody): call wait_for_audience again, "
                    "or preview_audience with its filters to check the count."
                ),
            )
        return AudienceReadyResult(
            audience_id=audience_id,
            ready=True,
            total_records=ready.total_records,
            waited_seconds=round(ready.waited_seconds, 3),
            next_step="Call get_audience_records to look at its people, or export_audience.",
        )

    def export_audience(
        audience_id: AudienceId,
        path: Annotated[
            str,
            Field(
                description='File name inside the export folder, e.g. "people.csv" (.csv, .jsonl or .parquet).'
            ),
        ],
        overwrite: Annotated[bool, Field(description="Replace an existing file.")] = False,
        resume: Annotated[
            bool, Field(description="Continue an interrupted export into the same file.")
        ] = False,
        wait_timeout_seconds: Annotated[
            float,
            Field(ge=0, le=600, description="How long to wait for an audience still being built."),
        ] = 60,
    ) -> ExportResult:
        target = export_path(ctx.export_dir, path)
        # The SDK checks the file (suffix, existing file) and opens it before it waits or sends
        # anything; an audience still building after the wait leaves no file behind.
        summary = audiences.export(
            audience_id,
            target,
            wait_timeout=wait_timeout_seconds,
            overwrite=overwrite,
            resume=resume,
        )
        return ExportResult(
            audience_id=audience_id,
            path=str(summary.path),
            format=summary.format,
            rows=summary.rows,
            pages=summary.pages,
            columns=list(summary.columns),
            seconds=round(summary.seconds, 3),
        )

    def delete_audience(audience_id: AudienceId) -> AudienceDeletedResult:
        audiences.delete(audience_id)
        return AudienceDeletedResult(audience_id=audience_id, deleted=True)

    def create_custom_audience(
        topic: Annotated[str, Field(description='The interest topic, e.g. "home solar panels".')],
        description: Annotated[
            str, Field(description="Who is interested in the topic, in a sentence or two.")
        ],
    ) -> CustomAudienceResult:
        created = audiences.create_custom(topic, description)
        return CustomAudienceResult(
            status=created.status,
            next_step="The custom audience is processed by AudienceLab; follow it in the dashboard.",
        )

    def list_attribute_values(
        name: Annotated[
            AttributeName,
            Field(description="Which list: the filter it is for is in the description."),
        ],
        query: Annotated[
            str | None,
            Field(description='Only values containing this text, any case (e.g. "software").'),
        ] = None,
    ) -> AttributeValuesResult:
        listed = attribute_values(ctx.client, name)
        needle = (query or "").strip().lower()
        values: list[str] = []
        segments: list[SegmentValue] = []
        for item in listed.values:
            if name == "segments":
                found = SegmentValue.model_validate(item, from_attributes=True)
                text = f"{found.id} {found.name or ''}"
                if needle in text.lower():
                    segments.append(found)
            elif needle in str(item).lower():
                values.append(str(item))
        matched = len(segments) + len(values)
        return AttributeValuesResult(
            name=name,
            use_in=ATTRIBUTE_FILTERS[name],
            total=listed.count,
            matched=matched,
            values=values[:MAX_VALUES],
            segments=segments[:MAX_VALUES],
            truncated=matched > MAX_VALUES,
        )

    return [
        ToolSpec("list_attribute_values", list_attribute_values, ATTRIBUTES, read_only=True),
        ToolSpec(
            "preview_audience",
            preview_audience,
            PREVIEW,
            read_only=True,
            check=lambda filters, segment=None, days_back=7, limit=5, **_: (
                operations.plan_preview_audience(
                    filters, segment, days_back, limit
                ).raise_for_problems()
            ),
        ),
        ToolSpec(
            "create_audience",
            create_audience,
            CREATE.format(
                cost=" (none here: this server uses the local sandbox)" if ctx.sandbox else ""
            ),
            read_only=False,
            check=lambda name, filters, segment=None, days_back=None, **_: (
                operations.plan_create_audience(
                    name, filters, segment, days_back
                ).raise_for_problems()
            ),
        ),
        ToolSpec("list_audiences", list_audiences, LIST, read_only=True),
        ToolSpec(
            "wait_for_audience", wait_for_audience, WAIT, read_only=True, not_found=FIND_AUDIENCE
        ),
        ToolSpec(
            "get_audience_records",
            get_audience_records,
            RECORDS,
            read_only=True,
            not_found=FIND_AUDIENCE,
        ),
        ToolSpec(
            "export_audience",
            export_audience,
            EXPORT,
            read_only=False,
            destructive=True,  # with overwrite=true it replaces a file
            idempotent=True,
            not_found=FIND_AUDIENCE,
            timeout=STILL_BUILDING,
        ),
        ToolSpec(
            "delete_audience",
            delete_audience,
            DELETE,
            read_only=False,
            destructive=True,
            idempotent=True,
            not_found=FIND_AUDIENCE,
        ),
        ToolSpec("create_custom_audience", create_custom_audience, CUSTOM, read_only=False),
    ]
