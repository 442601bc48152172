"""``audiencelab audiences ...``: create, list, show, wait, export, delete, preview, custom."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from audiencelab import AudienceTooSmallError, operations
from audiencelab.cli._confirm import YesOpt, confirm
from audiencelab.cli._context import State, get_state
from audiencelab.cli._create_many import create_many_command
from audiencelab.cli._errors import DEFAULT_FLAGS
from audiencelab.cli._exports import (
    CONCURRENCY_OPTION,
    FORMAT_OPTION,
    NEUTRALIZE_OPTION,
    OUTPUT_OPTION,
    OVERWRITE_OPTION,
    PAGE_SIZE_OPTION,
    RESUME_OPTION,
    ExportOptions,
    run_export,
)
from audiencelab.cli._filter_options import (
    VALUES_PANEL,
    AllowUnfilteredOpt,
    NoValueChecksOpt,
    SegmentOpt,
    StrictValuesOpt,
    filter_options,
    segment_list,
    typed_in_filters,
    value_checks,
)
from audiencelab.cli._output import dump_model, record_table, simple_table

__all__ = ["audiences_app"]

audiences_app = typer.Typer(
    help="Create audiences from filters, look at their people, export them.",
    no_args_is_help=True,
)

ColumnOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        "-c",
        help="Column to show (repeatable), e.g. -c FIRST_NAME -c BUSINESS_EMAIL.",
        metavar="COLUMN",
    ),
]
IdArg = Annotated[str, typer.Argument(help="The audience ID (from `audiences create` or `list`).")]


# -- create ----------------------------------------------------------------------------------------


@audiences_app.command("create")
@filter_options
def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Name of the new audience.", metavar="NAME")],
    filters: Any,
    segment: SegmentOpt = None,
    days_back: Annotated[
        int | None,
        typer.Option("--days-back", help="Only people seen in the last N days.", metavar="N"),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Check everything as a send would (against the API's lists too, given a key or "
            "--sandbox), print the exact JSON body that would be sent, and send nothing.",
        ),
    ] = False,
    strict_values: StrictValuesOpt = False,
    no_value_checks: NoValueChecksOpt = False,
    allow_unfiltered: AllowUnfilteredOpt = False,
    min_count: Annotated[
        int | None,
        typer.Option(
            "--min-count",
            help="Preview first; create nothing when fewer than N people match.",
            metavar="N",
            min=0,
            rich_help_panel=VALUES_PANEL,
        ),
    ] = None,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview",
            help="Show how many people match and ask before creating (needs a terminal, or --yes).",
            rich_help_panel=VALUES_PANEL,
        ),
    ] = False,
    yes: YesOpt = False,
) -> None:
    """Create an audience; prints its ID. Its people are built in the background.

    Filter keys and values are checked before anything is sent: a likely typo (an industry
    misspelled...) is refused with the fix; filters that select everyone need --allow-unfiltered.
    """
    st = get_state(ctx)
    policy = value_checks(strict_values, no_value_checks)
    st.hint(source_text=typed_in_filters(filters))
    segments = segment_list(segment)
    if dry_run:
        _dry_run(st, name, filters, segments, days_back, policy, allow_unfiltered)
        return
    # What can be checked without a client first: a mistake is told before any key is needed.
    operations.plan_create_audience(
        name,
        filters,
        segments,
        days_back,
        allow_unfiltered=allow_unfiltered,
        value_checks=policy,
        min_count=min_count,
    ).raise_for_problems()
    client = st.client()
    if preview:
        # The SDK checks everything and builds the exact body before anything is sent.
        op = operations.create_audience(
            name,
            filters,
            segments,
            days_back,
            allow_unfiltered=allow_unfiltered,
            value_checks=policy,
            client=client,
        )
        _preview_and_confirm(st, name, op, min_count, yes)
        min_count = None  # checked on the preview just shown
    created = client.audiences.create(
        name,
        filters,
        segments,
        days_back,
        value_checks=policy,
        allow_unfiltered=allow_unfiltered,
        min_count=min_count,
    )
    if st.json:
        st.out.emit_json(dump_model(created))
        return
    st.out.line(created.audience_id)
    st.out.info(
        f"Created audience {name!r} ({created.audience_id}); its people are being built. "
        f"Export them with: {st.prog} audiences export {created.audience_id} -o people.csv",
        style="green",
    )


def _dry_run(
    st: State,
    name: str,
    filters: Any,
    segments: list[str] | None,
    days_back: int | None,
    policy: Literal["default", "strict", "off"],
    allow_unfiltered: bool,
) -> None:
    """``--dry-run``: the plan a send would run, with the API's lists when a key (or the
    sandbox) is there; the exact bytes, and nothing sent."""
    needed = operations.needed_lists(filters, segments, policy)
    client = st.optional_client() if needed else None
    lists = client.audiences.value_lists(needed) if client is not None else None
    op = operations.create_audience(
        name,
        filters,
        segments,
        days_back,
        allow_unfiltered=allow_unfiltered,
        value_checks=policy,
        lists=lists,
    )
    if lists is not None and lists.found:
        st.out.info(f"Checked against the API's lists of {', '.join(sorted(lists.found))}.")
    st.out.info(f"Dry run: nothing was sent. The body of {op.method} {op.path} would be:")
    st.out.raw_bytes((op.content or b"") + b"\n")


def _preview_and_confirm(
    st: State, name: str, op: operations.Operation[Any], min_count: int | None, yes: bool
) -> None:
    """``--preview``: count the people first, then ask (or refuse without a terminal)."""
    body = op.body
    counted = (
        st.client()
        .audiences.preview(
            body["filters"],
            body.get("segment"),
            min(body.get("days_back", 7), 10),
            limit=0,
            value_checks="off",  # checked once already, when the request was built
        )
        .count
    )
    shown = f"{counted:,}" if counted is not None else "an unknown number of"
    if min_count is not None and (counted is None or counted < min_count):
        raise AudienceTooSmallError(counted or 0, min_count)
    if yes:
        st.out.info(f"{shown} people match.")
    confirm(
        f"{shown} people match. Create audience {name!r}?",
        yes,
        f"audience {name!r}",
        doing=("create", "creating", "created"),
        preface=f"{shown} people match; ",
    )


# -- list, show, wait ------------------------------------------------------------------------------


@audiences_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List your audiences (the API tells only their ID, name and refresh settings)."""
    st = get_state(ctx)
    audiences = list(st.client().audiences.list())
    if st.json:
        st.out.emit_json([dump_model(a) for a in audiences])
        return
    if not audiences:
        st.out.info(
            f"No audiences yet. Create one with: {st.prog} audiences create --name NAME ..."
        )
        return
    st.out.table(
        simple_table(
            ("ID", "Name", "Scheduled refresh", "Refresh interval", "Next refresh"),
            (
                (
                    a.id,
                    a.name,
                    a.scheduled_refresh,
                    a.refresh_interval,
                    a.next_scheduled_refresh,
                )
                for a in audiences
            ),
        )
    )


def _not_found_hint(st: State) -> str:
    return f"Check the ID; list your audiences with: {st.prog} audiences list"


@audiences_app.command("show")
def show_command(
    ctx: typer.Context,
    audience_id: IdArg,
    rows: Annotated[
        int, typer.Option("--rows", "-n", help="How many people to show (1-1000).", metavar="N")
    ] = 10,
    column: ColumnOpt = None,
) -> None:
    """Show the first people of an audience (all their columns with --json)."""
    st = get_state(ctx)
    st.hint(not_found=_not_found_hint(st), flags={**DEFAULT_FLAGS, "page_size": "--rows"})
    operations.audience_records(audience_id, 1, rows)  # checked first: no sandbox for a typo
    page = st.client().audiences.get(audience_id, page=1, page_size=rows)
    if st.json:
        st.out.emit_json(dump_model(page))
        return
    total = f"{page.total_records:,}" if page.total_records is not None else "?"
    if not page.data:
        st.out.info(f"Audience {audience_id} has no people.")
        return
    st.out.table(record_table(page.data, column))
    st.out.info(f"Showing {len(page.data):,} of {total} people in audience {audience_id}.")


@audiences_app.command("wait")
def wait_command(
    ctx: typer.Context,
    audience_id: IdArg,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Give up after S seconds.", metavar="S", min=0)
    ] = 600,
) -> None:
    """Wait until an audience has finished building (exit 1 if it has not after --timeout)."""
    st = get_state(ctx)
    st.hint(
        not_found=_not_found_hint(st),
        timeout=f"Wait longer with: {st.prog} audiences wait {audience_id} --timeout SECONDS",
    )
    client = st.client()
    with st.out.status(f"Waiting for audience {audience_id} to finish building…"):
        ready = client.audiences.wait_until_ready(audience_id, timeout=timeout)
    if st.json:
        st.out.emit_json(dump_model(ready))
        return
    total = f"{ready.total_records:,}" if ready.total_records is not None else "its"
    st.out.info(
        f"Audience {audience_id} is ready: {total} people (waited {ready.waited_seconds:.0f} s).",
        style="green",
    )


# -- export, delete --------------------------------------------------------------------------------


@audiences_app.command("export")
def export_command(
    ctx: typer.Context,
    audience_id: IdArg,
    output: Annotated[Path, OUTPUT_OPTION],
    format: Annotated[str | None, FORMAT_OPTION] = None,
    page_size: Annotated[int | None, PAGE_SIZE_OPTION] = None,
    concurrency: Annotated[int | None, CONCURRENCY_OPTION] = None,
    resume: Annotated[bool, RESUME_OPTION] = False,
    overwrite: Annotated[bool, OVERWRITE_OPTION] = False,
    neutralize_formulas: Annotated[bool, NEUTRALIZE_OPTION] = True,
    wait_timeout: Annotated[
        float,
        typer.Option(
            "--wait-timeout",
            help="Wait up to S seconds for an audience that is still building (0: do not wait).",
            metavar="S",
            min=0,
        ),
    ] = 600,
) -> None:
    """Write every person of an audience to a CSV, JSON Lines or Parquet file."""
    st = get_state(ctx)
    st.hint(
        not_found=_not_found_hint(st),
        timeout=(
            f"Try again later, or wait longer with --wait-timeout SECONDS (or first: "
            f"{st.prog} audiences wait {audience_id} --timeout SECONDS)"
        ),
    )
    options = ExportOptions(
        output, format, page_size, concurrency, resume, overwrite, neutralize_formulas
    )
    fmt = options.check(st)  # before the client: a wrong name starts no sandbox
    client = st.client()
    # The SDK waits for an audience still being built with its first page as the probe: a
    # ready audience costs no extra request.
    run_export(
        st,
        "Exporting",
        options,
        lambda path, on_progress: client.audiences.export(
            audience_id,
            path,
            wait_timeout=wait_timeout,
            on_progress=on_progress,
            **options.sdk_kwargs(fmt),
        ),
        waiting="Waiting for the audience to be built" if wait_timeout > 0 else None,
    )


@audiences_app.command("delete")
def delete_command(ctx: typer.Context, audience_id: IdArg, yes: YesOpt = False) -> None:
    """Delete an audience (asks first unless --yes)."""
    st = get_state(ctx)
    st.hint(not_found=_not_found_hint(st))
    client = st.client()  # first, so that the sandbox notice comes before the question
    shown = audience_id
    if not yes:
        name = next((a.name for a in client.audiences.list() if a.id == audience_id), None)
        shown = f"{name!r} ({audience_id})" if name else audience_id
    confirm(f"Delete audience {shown}? This cannot be undone.", yes, f"audience {shown}")
    deleted = client.audiences.delete(audience_id)
    if st.json:
        st.out.emit_json(dump_model(deleted))
        return
    st.out.info(f"Deleted audience {audience_id}.", style="green")


# -- preview, custom -------------------------------------------------------------------------------


@audiences_app.command("preview")
@filter_options
def preview_command(
    ctx: typer.Context,
    filters: Any,
    segment: SegmentOpt = None,
    days_back: Annotated[
        int | None,
        typer.Option("--days-back", help="Look back N days, 1-10 (default 7).", metavar="N"),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", help="How many people to show (0-500).", metavar="N"),
    ] = 10,
    column: ColumnOpt = None,
    strict_values: StrictValuesOpt = False,
    no_value_checks: NoValueChecksOpt = False,
) -> None:
    """Count the people matching filters and show a sample, without creating an audience."""
    st = get_state(ctx)
    policy = value_checks(strict_values, no_value_checks)
    st.hint(source_text=typed_in_filters(filters))
    extra: dict[str, Any] = {} if days_back is None else {"days_back": days_back}
    # What can be checked without a client first: a mistake starts no sandbox, needs no key.
    operations.plan_preview_audience(
        filters, segment_list(segment), limit=limit, value_checks=policy, **extra
    ).raise_for_problems()
    preview = st.client().audiences.preview(
        filters, segment_list(segment), limit=limit, value_checks=policy, **extra
    )
    if st.json:
        st.out.emit_json(dump_model(preview))
        return
    count = f"{preview.count:,}" if preview.count is not None else "An unknown number of"
    st.out.line(f"{count} {'person matches' if preview.count == 1 else 'people match'}.")
    if preview.result:
        st.out.table(record_table(preview.result, column))
    limit_size = st.sandbox_audience_limit
    if limit_size is not None and preview.count is not None and preview.count > limit_size:
        st.out.info(
            f"An audience created from these filters stops at {limit_size:,} people: the local "
            "sandbox's size limit (sandbox serve --max-audience-size). The count is of everyone "
            "who matches."
        )


@audiences_app.command("custom")
def custom_command(
    ctx: typer.Context,
    topic: Annotated[str, typer.Option("--topic", help="The interest topic.", metavar="TOPIC")],
    description: Annotated[
        str, typer.Option("--description", help="Who is interested in the topic.", metavar="TEXT")
    ],
) -> None:
    """Ask AudienceLab for a custom audience on a topic (uses a custom-audience credit)."""
    st = get_state(ctx)
    operations.create_custom_audience(topic, description)  # checked before any sandbox starts
    created = st.client().audiences.create_custom(topic, description)
    if st.json:
        st.out.emit_json(dump_model(created))
        return
    st.out.line(created.status)
    st.out.info(
        f"Custom audience topic {topic!r} submitted ({created.status}); it appears in the "
        "dashboard once it is ready.",
        style="green",
    )


audiences_app.command("create-many")(create_many_command)
