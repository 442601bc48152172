"""``audiencelab audiences ...`` and ``audiencelab attributes``."""

from __future__ import annotations

import concurrent.futures
import difflib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

from audiencelab import (
    APIError,
    AudienceLab,
    AuthenticationError,
    InputValidationError,
    PermissionDeniedError,
    SegmentOption,
)
from audiencelab import _operations as ops
from audiencelab._sansio import encode_json
from audiencelab.cli._context import State, get_state
from audiencelab.cli._errors import (
    DEFAULT_FLAGS,
    EXIT_API,
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    Hints,
    describe_error,
)
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
from audiencelab.cli._files import load_document, merge_filters, spec_list
from audiencelab.cli._output import record_table, simple_table

__all__ = ["attributes_command", "audiences_app", "confirm"]

audiences_app = typer.Typer(
    help="Create audiences from filters, look at their people, export them.",
    no_args_is_help=True,
)

FILTERS_PANEL = "Filters (the flags replace the same keys of --filters-file)"

# -- options shared by create and preview ----------------------------------------------------------

CityOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--city", help="City (repeatable).", rich_help_panel=FILTERS_PANEL, metavar="CITY"
    ),
]
StateOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--state",
        help="State code or name, e.g. NY or 'New York' (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="STATE",
    ),
]
ZipOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--zip", help="5-digit ZIP code (repeatable).", rich_help_panel=FILTERS_PANEL, metavar="ZIP"
    ),
]
MinAgeOpt = Annotated[
    int | None,
    typer.Option(
        "--min-age", help="Youngest age, 0-120.", rich_help_panel=FILTERS_PANEL, metavar="AGE"
    ),
]
MaxAgeOpt = Annotated[
    int | None,
    typer.Option(
        "--max-age", help="Oldest age, 0-120.", rich_help_panel=FILTERS_PANEL, metavar="AGE"
    ),
]
GenderOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--gender",
        help="M, F or U (male/female/unknown work too).",
        rich_help_panel=FILTERS_PANEL,
        metavar="M|F|U",
    ),
]
IndustryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--industry",
        help="Industry (repeatable); see `audiencelab attributes industries`.",
        rich_help_panel=FILTERS_PANEL,
        metavar="INDUSTRY",
    ),
]
SeniorityOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--seniority",
        help="Seniority (repeatable); see `audiencelab attributes seniority`.",
        rich_help_panel=FILTERS_PANEL,
        metavar="LEVEL",
    ),
]
JobTitleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--job-title",
        help="Job title (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="TITLE",
    ),
]
ExcludeJobTitleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-job-title",
        help="Job title to leave out (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="TITLE",
    ),
]
CompanyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--company",
        help="Company name (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="NAME",
    ),
]
EducationOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--education",
        help='Education, e.g. "bachelor\'s" (repeatable).',
        rich_help_panel=FILTERS_PANEL,
        metavar="LEVEL",
    ),
]
ExcludeEducationOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-education",
        help="Education to leave out (repeatable).",
        rich_help_panel=FILTERS_PANEL,
        metavar="LEVEL",
    ),
]
FiltersFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--filters-file",
        help="JSON or YAML file holding the API's `filters` object (official keys).",
        metavar="PATH",
        dir_okay=False,
        rich_help_panel=FILTERS_PANEL,
    ),
]
SegmentOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--segment",
        help="Segment ID such as b2c_1253 (repeatable); see `audiencelab attributes segments`.",
        metavar="ID",
    ),
]
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
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def filters_from(path: Path | None, **flags: Any) -> Any:
    """The ``filters`` to send: the file (if any) with the flags merged in."""
    base = load_document(path, "filters file") if path is not None else None
    return merge_filters(base, flags)


def _segments(values: list[str] | None) -> list[str] | None:
    return list(values) if values else None


def confirm(question: str, yes: bool, what: str) -> None:
    """Ask before destroying something; refuse rather than hang when nobody can answer."""
    if yes:
        return
    import sys

    if not sys.stdin.isatty():
        raise CliError(
            f"not deleting {what} without confirmation: there is no terminal to ask on. "
            "Add --yes to delete it.",
            EXIT_USAGE,
        )
    if not typer.confirm(question, default=False, err=True):
        raise CliError(f"{what} was not deleted.", EXIT_USAGE)


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True)


# -- create ----------------------------------------------------------------------------------------


@audiences_app.command("create")
def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Name of the new audience.", metavar="NAME")],
    city: CityOpt = None,
    state_: StateOpt = None,
    zip_: ZipOpt = None,
    min_age: MinAgeOpt = None,
    max_age: MaxAgeOpt = None,
    gender: GenderOpt = None,
    industry: IndustryOpt = None,
    seniority: SeniorityOpt = None,
    job_title: JobTitleOpt = None,
    exclude_job_title: ExcludeJobTitleOpt = None,
    company: CompanyOpt = None,
    education: EducationOpt = None,
    exclude_education: ExcludeEducationOpt = None,
    filters_file: FiltersFileOpt = None,
    segment: SegmentOpt = None,
    days_back: Annotated[
        int | None,
        typer.Option("--days-back", help="Only people seen in the last N days.", metavar="N"),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print the exact JSON body that would be sent, and send nothing.",
        ),
    ] = False,
) -> None:
    """Create an audience; prints its ID. Its people are built in the background."""
    st = get_state(ctx)
    filters = filters_from(
        filters_file,
        city=city,
        state=state_,
        zip=zip_,
        min_age=min_age,
        max_age=max_age,
        gender=gender,
        industry=industry,
        seniority=seniority,
        job_title=job_title,
        exclude_job_title=exclude_job_title,
        company=company,
        education=education,
        exclude_education=exclude_education,
    )
    # The SDK checks everything and builds the exact body before anything is sent.
    op = ops.create_audience(name, filters, _segments(segment), days_back)
    if dry_run:
        st.out.info(f"Dry run: nothing was sent. The body of {op.method} {op.path} would be:")
        st.out.raw_bytes(encode_json(op.body) + b"\n")
        return
    created = st.client().audiences.create(name, filters, _segments(segment), days_back)
    if st.json:
        st.out.emit_json(_dump(created))
        return
    st.out.line(created.audience_id)
    st.out.info(
        f"Created audience {name!r} ({created.audience_id}); its people are being built. "
        f"Export them with: {st.prog} audiences export {created.audience_id} -o people.csv",
        style="green",
    )


# -- create-many -----------------------------------------------------------------------------------

SPEC_KEYS = ("name", "filters", "segment", "days_back")


@dataclass
class _Result:
    index: int
    name: str
    status: str = "not_sent"  # created | failed | unknown | not_sent
    audience_id: str | None = None
    error: str | None = None
    auth_failed: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "status": self.status,
            "audienceId": self.audience_id,
            "error": self.error,
        }


_STATUS_TEXT = {
    "created": ("created", "green"),
    "failed": ("failed", "red"),
    "unknown": ("outcome unknown — check before retrying", "yellow"),
    "not_sent": ("not sent", "dim"),
}


def _spec_args(spec: Mapping[str, Any]) -> tuple[Any, Any, Any, Any]:
    """name, filters, segment and days_back of a spec, as given (the SDK checks them)."""
    return spec.get("name"), spec.get("filters"), spec.get("segment"), spec.get("days_back")


def _spec_label(index: int, spec: Any) -> str:
    name = spec.get("name") if isinstance(spec, Mapping) else None
    return f"spec {index}" + (f" ({name!r})" if isinstance(name, str) and name else "")


def _check_specs(specs: Sequence[Any]) -> list[str]:
    """Every problem of every spec, found by the SDK (and unknown spec keys, found here)."""
    problems: list[str] = []
    for index, spec in enumerate(specs, start=1):
        label = _spec_label(index, spec)
        if not isinstance(spec, Mapping):
            problems.append(
                f"{label}: expected an object with name and filters, got {type(spec).__name__}"
            )
            continue
        for key in spec:
            if key not in SPEC_KEYS:
                guess = difflib.get_close_matches(str(key), SPEC_KEYS, n=1, cutoff=0.6)
                hint = f"did you mean {guess[0]!r}?" if guess else f"use {', '.join(SPEC_KEYS)}"
                problems.append(f"{label}: {key}: unknown key; {hint}")
        try:
            ops.create_audience(*_spec_args(spec))
        except InputValidationError as exc:
            problems.extend(f"{label}: {p}" for p in exc.problems)
    return problems


def _create_one(
    client: AudienceLab,
    spec: Mapping[str, Any],
    result: _Result,
    stop: threading.Event,
    started: set[int],
    prog: str,
) -> _Result:
    if stop.is_set():
        result.error = "not sent: the API key was refused for an earlier audience"
        return result
    started.add(result.index)
    try:
        created = client.audiences.create(*_spec_args(spec))
    except (AuthenticationError, PermissionDeniedError) as exc:
        stop.set()
        result.status, result.auth_failed = "failed", True
        result.error = describe_error(exc, Hints(flags=None), prog)
    except APIError as exc:
        result.status = "unknown" if exc.outcome_unknown else "failed"
        result.error = describe_error(exc, Hints(flags=None), prog)
    except Exception as exc:  # the request may have been sent: never claim it was not
        result.status = "unknown"
        result.error = f"{type(exc).__name__}: {exc}"
    else:
        result.status, result.audience_id = "created", created.audience_id
    return result


def _results_table(results: Sequence[_Result]) -> Table:
    table = Table()
    table.add_column("#", justify="right")
    table.add_column("Name", overflow="fold")
    table.add_column("Status")
    table.add_column("Audience ID / error", overflow="fold")
    for r in results:
        text, style = _STATUS_TEXT[r.status]
        detail = r.audience_id if r.status == "created" else (r.error or "")
        table.add_row(str(r.index), Text(r.name), Text(text, style=style), Text(detail or ""))
    return table


@audiences_app.command("create-many")
def create_many_command(
    ctx: typer.Context,
    specs_file: Annotated[
        Path,
        typer.Argument(
            help="YAML or JSON list of specs: name, filters (the API's object), and optionally "
            "segment and days_back.",
            metavar="SPECS",
            dir_okay=False,
        ),
    ],
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", "-j", help="Audiences created at once.", min=1, max=32),
    ] = 4,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Check every spec and print the exact bodies; send nothing."
        ),
    ] = False,
) -> None:
    """Create many audiences from a file, in parallel, with a result table.

    Every spec is checked first: if any is bad, nothing is sent. An audience whose creation had an
    unknown outcome is never retried (it may exist); check for it before running again.
    """
    st = get_state(ctx)
    st.hint(flags=None)
    specs = spec_list(load_document(specs_file, "specs file"), specs_file)
    problems = _check_specs(specs)
    if problems:
        bad = len({p.split(":", 1)[0] for p in problems})
        lines = [f"{bad} of {len(specs)} specs have problems (nothing was sent):"]
        lines += [f"  - {p}" for p in problems]
        raise CliError("\n".join(lines), EXIT_USAGE)
    if dry_run:
        st.out.info(f"Dry run: all {len(specs)} specs are valid; nothing was sent. Bodies:")
        for spec in specs:
            op = ops.create_audience(*_spec_args(spec))
            st.out.raw_bytes(encode_json(op.body) + b"\n")
        return

    client = st.client()
    results = [_Result(i, str(spec["name"])) for i, spec in enumerate(specs, start=1)]
    stop = threading.Event()
    started: set[int] = set()
    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=concurrency, thread_name_prefix="audiencelab-create"
    )
    progress: Progress | None = None
    if st.out.interactive:
        progress = Progress(
            SpinnerColumn(),
            TextColumn("Creating audiences"),
            BarColumn(),
            MofNCompleteColumn(),
            console=st.out.err,
            redirect_stdout=False,
        )
    interrupted = False
    try:
        if progress is not None:
            progress.start()
        task = progress.add_task("create", total=len(specs)) if progress is not None else None
        futures = [
            pool.submit(_create_one, client, spec, result, stop, started, st.prog)
            for spec, result in zip(specs, results, strict=True)
        ]
        for _ in concurrent.futures.as_completed(futures):
            if progress is not None and task is not None:
                progress.advance(task)
    except KeyboardInterrupt:
        interrupted = True
        for result in results:
            if result.status == "not_sent" and result.index in started:
                result.status = "unknown"
                result.error = "interrupted while being created: check before retrying"
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        if progress is not None:
            progress.stop()

    if st.json:
        st.out.emit_json([r.as_json() for r in results])
    else:
        st.out.table(_results_table(results))
    counts = {s: sum(r.status == s for r in results) for s in _STATUS_TEXT}
    summary = f"Created {counts['created']} of {len(results)} audiences"
    details = [
        f"{counts[s]} {label}"
        for s, label in (
            ("failed", "failed"),
            ("unknown", "with unknown outcome"),
            ("not_sent", "not sent"),
        )
        if counts[s]
    ]
    st.out.info(summary + (f"; {', '.join(details)}." if details else "."))
    if interrupted:
        st.out.error("interrupted: the audiences marked unknown may exist; check before retrying")
        raise typer.Exit(EXIT_INTERRUPTED)
    if any(r.auth_failed for r in results):
        raise typer.Exit(EXIT_AUTH)
    if counts["created"] != len(results):
        raise typer.Exit(EXIT_API)


# -- list, show, wait ------------------------------------------------------------------------------


@audiences_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List your audiences (the API tells only their ID, name and refresh settings)."""
    st = get_state(ctx)
    audiences = list(st.client().audiences.list())
    if st.json:
        st.out.emit_json([_dump(a) for a in audiences])
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
    page = st.client().audiences.get(audience_id, page=1, page_size=rows)
    if st.json:
        st.out.emit_json(_dump(page))
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
        st.out.emit_json(_dump(ready))
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
    client = st.client()
    if wait_timeout > 0:
        with st.out.status(f"Waiting for audience {audience_id} to finish building…"):
            client.audiences.wait_until_ready(audience_id, timeout=wait_timeout)
    run_export(
        st,
        "Exporting",
        lambda on_progress: client.audiences.export(
            audience_id,
            output,
            wait_timeout=0,
            on_progress=on_progress,
            **options.sdk_kwargs(),
        ),
    )


@audiences_app.command("delete")
def delete_command(ctx: typer.Context, audience_id: IdArg, yes: YesOpt = False) -> None:
    """Delete an audience (asks first unless --yes)."""
    st = get_state(ctx)
    st.hint(not_found=_not_found_hint(st))
    confirm(
        f"Delete audience {audience_id}? This cannot be undone.",
        yes,
        f"audience {audience_id}",
    )
    deleted = st.client().audiences.delete(audience_id)
    if st.json:
        st.out.emit_json(_dump(deleted))
        return
    st.out.info(f"Deleted audience {audience_id}.", style="green")


# -- preview, custom -------------------------------------------------------------------------------


@audiences_app.command("preview")
def preview_command(
    ctx: typer.Context,
    city: CityOpt = None,
    state_: StateOpt = None,
    zip_: ZipOpt = None,
    min_age: MinAgeOpt = None,
    max_age: MaxAgeOpt = None,
    gender: GenderOpt = None,
    industry: IndustryOpt = None,
    seniority: SeniorityOpt = None,
    job_title: JobTitleOpt = None,
    exclude_job_title: ExcludeJobTitleOpt = None,
    company: CompanyOpt = None,
    education: EducationOpt = None,
    exclude_education: ExcludeEducationOpt = None,
    filters_file: FiltersFileOpt = None,
    segment: SegmentOpt = None,
    days_back: Annotated[
        int | None,
        typer.Option("--days-back", help="Look back N days, 1-10 (default 7).", metavar="N"),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Sample people to show (0-500).", metavar="N")
    ] = 10,
    column: ColumnOpt = None,
) -> None:
    """Count the people matching filters and show a sample, without creating an audience."""
    st = get_state(ctx)
    filters = filters_from(
        filters_file,
        city=city,
        state=state_,
        zip=zip_,
        min_age=min_age,
        max_age=max_age,
        gender=gender,
        industry=industry,
        seniority=seniority,
        job_title=job_title,
        exclude_job_title=exclude_job_title,
        company=company,
        education=education,
        exclude_education=exclude_education,
    )
    extra: dict[str, Any] = {} if days_back is None else {"days_back": days_back}
    preview = st.client().audiences.preview(filters, _segments(segment), limit=limit, **extra)
    if st.json:
        st.out.emit_json(_dump(preview))
        return
    count = f"{preview.count:,}" if preview.count is not None else "An unknown number of"
    st.out.line(f"{count} people match.")
    if preview.result:
        st.out.table(record_table(preview.result, column))


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
    created = st.client().audiences.create_custom(topic, description)
    if st.json:
        st.out.emit_json(_dump(created))
        return
    st.out.line(created.status)
    st.out.info(
        f"Custom audience topic {topic!r} submitted ({created.status}); it appears in the "
        "dashboard once it is ready.",
        style="green",
    )


# -- attributes ------------------------------------------------------------------------------------


def _attribute_names(incomplete: str) -> list[str]:
    return [n for n in ops.ATTRIBUTE_NAMES if n.startswith(incomplete)]


def attributes_command(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            help="segments, industries, departments, seniority, sic or gender.",
            autocompletion=_attribute_names,
        ),
    ],
) -> None:
    """List the allowed values of a filter (e.g. industries), or the segments."""
    st = get_state(ctx)
    st.hint(flags={**DEFAULT_FLAGS, "name": "NAME"})
    values = st.client().audiences.attributes(name)
    if st.json:
        st.out.emit_json(_dump(values))
        return
    if values.values and all(isinstance(v, SegmentOption) for v in values.values):
        st.out.table(
            simple_table(
                ("ID", "Name", "B2B"),
                ((v.id, v.name, v.b2b) for v in values.values if isinstance(v, SegmentOption)),
            )
        )
    else:
        for value in values.values:
            st.out.line(str(value))
    st.out.info(f"{values.count:,} {name}.")
