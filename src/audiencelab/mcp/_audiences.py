"""The audience tools: build (preview, create), find (list), read (records, wait), export, delete;
and the attribute lists that say how the API spells industries, departments, segments..."""

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import Field, WithJsonSchema

from audiencelab import (
    APIError,
    AudienceNotReadyError,
    ExportProgress,
    ExportSummary,
    FilterValidationError,
    InputProblem,
    InputValidationError,
    WaitTimeoutError,
    operations,
)
from audiencelab.mcp._guards import CreateCheck, Population, nearly_everyone_warning
from audiencelab.mcp._paths import export_path
from audiencelab.mcp._policy import Consent
from audiencelab.mcp._progress import Work, poll_until
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
from audiencelab.mcp._schema import ATTRIBUTE_FILTERS, filters_schema
from audiencelab.mcp._segments import segment_problems
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
    coverage_of,
    page_info,
    select_columns,
    value_warnings,
)
from audiencelab.mcp._vocabulary import LIST_NAMES, attribute_values, bundled_use_in

__all__ = ["audience_tools"]

# `filters` is taken as any object and checked by the SDK, which names every problem with a
# suggestion; the published schema tells the model every key.
Filters = Annotated[dict[str, Any], WithJsonSchema(filters_schema())]
Segment = Annotated[
    list[str] | None,
    Field(
        max_length=100,
        description='Intent segment IDs, b2c_ or b2b_ prefixed, e.g. ["b2c_1253"]; find them by '
        'name with list_attribute_values(name="segments", query=...).',
    ),
]
AudienceId = Annotated[Id, Field(description="From create_audience or list_audiences.")]
Answer = ElicitationResult[Consent]
if TYPE_CHECKING:
    AttributeName = str
else:  # the SDK's lists, as an enum in the tool's schema
    AttributeName = Literal[LIST_NAMES]  # the API's lists, then the bundled ones
MAX_VALUES = 200

FIND_AUDIENCE = "Call list_audiences to find the right audience ID."
STILL_BUILDING = "Call wait_for_audience, then export_audience again."

CREATE = """Create an audience of the people matching `filters` (and intent `segment`s); it costs \
credits{cost}. Checked first (a refusal lists every problem with a fix), then previewed: a count \
of 0 is refused unless allow_empty=true, and the user may be asked. dry_run=true shows the exact \
request. Next: wait_for_audience. On an unknown outcome call list_audiences before retrying."""

PREVIEW = """Count the people matching `filters` and show a few (`limit`, default 3; `columns`) \
with each column's coverage, creating nothing. Checked like create_audience. Use it to tune the \
filters: a count in the millions usually means a filter is too loose."""

LIST = """List this API key's audiences (ID, name), a page at a time. Use it to find an ID, and \
after create_audience reported an unknown outcome, before creating again."""

RECORDS = """Read one page of an audience's people (default 25, at most 50) with a few columns \
(`columns` to choose, ["*"] for all). Not ready yet: call wait_for_audience. For everyone, use \
export_audience."""

WAIT = """Wait until a new audience can be read (they build in the background, seconds to \
minutes), reporting progress. ready=false after `timeout_seconds`: call it again."""

EXPORT = """Write every person of an audience to a file in the export folder: `path` relative to \
it, format from the suffix (.csv, .jsonl, .parquet). Returns the path and counts, not the people. \
Waits for an audience still building (progress reported). overwrite=true replaces a file; \
resume=true continues an interrupted export."""

DELETE = """Delete an audience for good (it cannot be undone; export it first if needed). Confirm \
with the user first; the server may ask them too. list_audiences finds the ID."""

CUSTOM = """Ask AudienceLab for a custom intent audience from a topic and a description of who is \
interested. Uses a custom-audience credit; the result appears in the dashboard. On an unknown \
outcome, have the user check the dashboard before asking again."""

ATTRIBUTES = """Allowed values of industries, departments, seniority, sic and gender (the \
filters.businessProfile keys and filters.gender), of segments (the `segment` argument; searched \
by name and ID), and of the lists bundled from the dashboard's labels (education, income_range, \
net_worth, employee_count, company_revenue, credit_rating...; `use_in` says which filter). Look \
them up with a `query` and use them exactly as listed."""


def _building(audience_id: str, waited: float, timeout: float) -> str:
    return f"Audience {audience_id} is still being built ({waited:.0f} s of {timeout:g} s)."


def _next_for(audience_id: str) -> str:
    return (
        f'The audience is being built: call wait_for_audience(audience_id="{audience_id}"), '
        "then get_audience_records or export_audience."
    )


def audience_tools(ctx: ToolContext) -> list[ToolSpec]:
    """The audience tools, bound to one client, export folder and policy."""
    audiences = ctx.client.audiences
    policy = ctx.policy
    population = Population()

    def check_first(check: Callable[[], object], segment: list[str] | None) -> None:
        """The SDK's pure checks and the segments against the API's list: every problem at
        once, before anything is sent."""
        problems: list[InputProblem] = []
        try:
            check()
        except InputValidationError as exc:
            problems.extend(exc.problems)
        problems = segment_problems(ctx.client, segment, problems)
        if problems:
            raise FilterValidationError(problems)

    def check_create(
        name: str,
        filters: dict[str, Any],
        segment: list[str] | None,
        days_back: int | None,
        dry_run: bool,
        allow_unfiltered: bool,
        allow_empty: bool,
        min_count: int | None,
    ) -> CreateCheck:
        """Before a create (not a dry run): the policy's limit, the checks, then the preview."""
        if dry_run:
            return CreateCheck()
        policy.check_creates("create_audience")
        check_first(
            lambda: operations.create_audience(
                name, filters, segment, days_back, allow_unfiltered=allow_unfiltered
            ),
            segment,
        )
        with value_warnings() as warned:
            preview = audiences.preview(filters, segment, min(days_back or 7, 10), 0)
        return CreateCheck.of(
            preview.count,
            warned,
            population.count(ctx.client),
            allow_empty=allow_empty,
            min_count=min_count,
        )

    async def confirm_create(
        checked: Annotated[CreateCheck, Resolve(check_create)],
        name: str,
        context: Context[Any, Any],
    ) -> Consent | Elicit[Consent]:
        if not checked.previewed or checked.refusal is not None:
            return Consent(confirm=True)  # nothing will be sent: nothing to ask
        return policy.question(context, "spend", checked.question(name))

    def create_audience(
        name: Annotated[Name, Field(description='E.g. "NYC software engineers 25-45".')],
        filters: Filters,
        segment: Segment = None,
        days_back: Annotated[
            int | None,
            Field(description="Days of intent data (default: the API's)."),
        ] = None,
        dry_run: Annotated[
            bool, Field(description="Return the exact request; send nothing.")
        ] = False,
        allow_unfiltered: Annotated[
            bool,
            Field(description="True only if the user wants everyone (no filter nor segment)."),
        ] = False,
        allow_empty: Annotated[
            bool,
            Field(
                description="True only if the user wants it although its preview counts 0 people."
            ),
        ] = False,
        min_count: Annotated[
            int | None,
            Field(ge=0, description="Create nothing when the preview counts fewer people."),
        ] = None,
        *,
        checked: Annotated[CreateCheck, Resolve(check_create)],
        answer: Annotated[Answer, Resolve(confirm_create)],
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
        if checked.refusal is not None:
            raise checked.refusal
        policy.require(answer, f"create the audience {name!r}")
        policy.reserve_create("create_audience")
        try:
            with value_warnings() as warned:
                created = audiences.create(
                    name, filters, segment, days_back, allow_unfiltered=allow_unfiltered
                )
        except BaseException as exc:
            if not (isinstance(exc, APIError) and exc.outcome_unknown):
                policy.release_create()  # refused or never sent: it made nothing
            raise
        return AudienceCreatedResult(
            audience_id=created.audience_id,
            dry_run=False,
            count=checked.count,
            warnings=[*checked.warnings, *warned],
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
        ] = 3,
        columns: Columns = None,
    ) -> AudiencePreviewResult:
        check_column_names(columns)
        check_first(
            lambda: operations.preview_audience(filters, segment, days_back, limit), segment
        )
        with value_warnings() as warned:
            preview = audiences.preview(filters, segment, days_back, limit)
        names, sample = select_columns(preview.result[:limit], columns or DEFAULT_COLUMNS)
        nearly = nearly_everyone_warning(preview.count, population.count(ctx.client))
        if preview.count == 0:
            step = "Nobody matches: loosen the filters (check values with list_attribute_values)."
        else:
            step = (
                "If the count looks right, call create_audience with the same filters; else "
                "adjust them and preview again."
            )
        return AudiencePreviewResult(
            count=preview.count,
            sample=sample,
            field_coverage=coverage_of(preview.field_coverage, names),
            warnings=[*warned, *([nearly] if nearly else [])],
            next_step=step,
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
        audience_id: AudienceId,
        page: Page = 1,
        page_size: PeoplePageSize = 25,
        columns: Columns = None,
    ) -> RecordsResult:
        check_column_names(columns)
        result = audiences.get(audience_id, page=page, page_size=page_size)
        names, rows = select_columns(result.data, columns or DEFAULT_COLUMNS)
        return RecordsResult(
            audience_id=audience_id,
            columns=names,
            rows=rows,
            **page_info(result, page, page_size, len(rows)),
        )

    def wait_for_audience(
        audience_id: AudienceId,
        context: Context[Any, Any],
        timeout_seconds: Annotated[
            float, Field(ge=0, le=600, description="Seconds, at most.")
        ] = 60,
    ) -> AudienceReadyResult:
        def ready_now() -> Any:
            try:
                return audiences.wait_until_ready(audience_id, timeout=0)
            except WaitTimeoutError:
                return None

        work = Work(context)
        started = time.monotonic()
        ready = poll_until(
            work, timeout_seconds, ready_now, lambda s: _building(audience_id, s, timeout_seconds)
        )
        waited = round(time.monotonic() - started, 3)
        if ready is None:
            return AudienceReadyResult(
                audience_id=audience_id,
                ready=False,
                waited_seconds=waited,
                next_step=(
                    "Still being built (or it matched nobody): call wait_for_audience again, "
                    "or preview_audience with its filters to check the count."
                ),
            )
        return AudienceReadyResult(
            audience_id=audience_id,
            ready=True,
            total_records=ready.total_records,
            waited_seconds=waited,
            next_step="Call get_audience_records to look at its people, or export_audience.",
        )

    def export_audience(
        audience_id: AudienceId,
        path: Annotated[
            str,
            Field(description='E.g. "people.csv" (.csv, .jsonl or .parquet).'),
        ],
        context: Context[Any, Any],
        overwrite: Annotated[bool, Field(description="Replace an existing file.")] = False,
        resume: Annotated[bool, Field(description="Continue an interrupted export.")] = False,
        wait_timeout_seconds: Annotated[
            float,
            Field(ge=0, le=600, description="Seconds to wait for an audience still being built."),
        ] = 60,
    ) -> ExportResult:
        target = export_path(ctx.export_dir, path)
        work = Work(context)

        def written(progress: ExportProgress) -> None:
            total = f" of {progress.total_records:,}" if progress.total_records else ""
            work.report(
                progress.rows,
                progress.total_records,
                f"{progress.rows:,}{total} people written ({progress.pages} pages)",
            )

        def export_now() -> ExportSummary | None:
            # The SDK checks the file (suffix, existing file) and opens it before it sends
            # anything; an audience still being built leaves no file behind.
            try:
                return audiences.export(
                    audience_id,
                    target,
                    wait_timeout=0,
                    overwrite=overwrite,
                    resume=resume,
                    on_progress=written,
                )
            except AudienceNotReadyError:
                return None

        summary = poll_until(
            work,
            wait_timeout_seconds,
            export_now,
            lambda s: _building(audience_id, s, wait_timeout_seconds),
        )
        if summary is None:
            raise WaitTimeoutError(
                f"audience {audience_id} was still being built after {wait_timeout_seconds:g} s; "
                "nothing was written"
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

    async def confirm_delete(
        audience_id: str, context: Context[Any, Any]
    ) -> Consent | Elicit[Consent]:
        return policy.question(
            context,
            "delete",
            f"Delete the AudienceLab audience {audience_id} for good? Its people can no longer "
            "be read or exported; this cannot be undone.",
        )

    def delete_audience(
        audience_id: AudienceId, *, answer: Annotated[Answer, Resolve(confirm_delete)]
    ) -> AudienceDeletedResult:
        policy.require(answer, f"delete the audience {audience_id}")
        audiences.delete(audience_id)
        return AudienceDeletedResult(audience_id=audience_id, deleted=True)

    async def confirm_custom(topic: str, context: Context[Any, Any]) -> Consent | Elicit[Consent]:
        policy.check_creates("create_custom_audience")
        return policy.question(
            context,
            "spend",
            f"Ask AudienceLab for a custom intent audience on {topic!r}? It uses a "
            "custom-audience credit.",
        )

    def create_custom_audience(
        topic: Annotated[Name, Field(description='The interest topic, e.g. "home solar panels".')],
        description: Annotated[
            str,
            Field(
                max_length=5000, description="Who is interested in the topic, in a sentence or two."
            ),
        ],
        *,
        answer: Annotated[Answer, Resolve(confirm_custom)],
    ) -> CustomAudienceResult:
        policy.require(answer, f"create the custom audience on {topic!r}")
        policy.reserve_create("create_custom_audience")
        try:
            created = audiences.create_custom(topic, description)
        except BaseException as exc:
            if not (isinstance(exc, APIError) and exc.outcome_unknown):
                policy.release_create()
            raise
        return CustomAudienceResult(
            status=created.status,
            next_step="The custom audience is processed by AudienceLab; follow it in the dashboard.",
        )

    def list_attribute_values(
        name: Annotated[
            AttributeName,
            Field(description="Which list."),
        ],
        query: Annotated[
            str | None,
            Field(description='Text to search for, e.g. "software".'),
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
            use_in=ATTRIBUTE_FILTERS.get(name) or bundled_use_in(name) or "",
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
            effect="spend",
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
            # It writes only inside the export folder, and replaces a file only when told to
            # (overwrite=true): nothing is destroyed that the caller did not name.
            idempotent=True,
            not_found=FIND_AUDIENCE,
            timeout=STILL_BUILDING,
            effect="write",
        ),
        ToolSpec(
            "delete_audience",
            delete_audience,
            DELETE,
            read_only=False,
            destructive=True,
            idempotent=True,
            not_found=FIND_AUDIENCE,
            effect="delete",
        ),
        ToolSpec(
            "create_custom_audience",
            create_custom_audience,
            CUSTOM,
            read_only=False,
            effect="spend",
        ),
    ]
