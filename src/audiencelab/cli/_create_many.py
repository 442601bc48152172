"""``audiencelab audiences create-many``: many audiences from a file, in parallel, never twice.

The SDK's ``audiences.create_many`` checks every spec, creates them in parallel and reports each;
this module reads the file, shows progress and the result table, and picks the exit status.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

from audiencelab import (
    AuthenticationError,
    CreateResult,
    FilterValidationError,
    FilterValueWarning,
    PermissionDeniedError,
    operations,
)
from audiencelab.cli._context import State, get_state
from audiencelab.cli._errors import (
    EXIT_API,
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    Hints,
    describe_error,
    render_problems,
)
from audiencelab.cli._files import load_document, spec_list
from audiencelab.cli._filter_options import (
    AllowUnfilteredOpt,
    NoValueChecksOpt,
    StrictValuesOpt,
    value_checks,
)

__all__ = ["create_many_command"]

_STATUS_TEXT = {
    "created": ("created", "green"),
    "failed": ("failed", "red"),
    "unknown": ("outcome unknown — check before retrying", "yellow"),
    "not_sent": ("not sent", "dim"),
}


def _spec_label(specs: Sequence[Any], index: int) -> str:
    spec = specs[index] if index < len(specs) else None
    name = spec.get("name") if isinstance(spec, Mapping) else None
    return f"spec {index + 1}" + (f" ({name!r})" if isinstance(name, str) and name else "")


def _refused(exc: FilterValidationError, specs: Sequence[Any], prog: str) -> CliError:
    """Every problem of every spec, each named by its spec (``spec 2 ('Texas'): filters...``)."""

    def where(loc: tuple[str | int, ...]) -> str | None:
        if len(loc) < 2 or loc[0] != "specs" or not isinstance(loc[1], int):
            return None
        rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[2:])
        return _spec_label(specs, loc[1]) + (f": {rest.lstrip('.')}" if rest else "")

    bad = {p.loc[1] for p in exc.problems if len(p.loc) > 1}
    lines = render_problems(exc.problems, Hints(flags=None, locate=where), prog).splitlines()
    if len(exc.problems) == 1:
        lines = ["", f"  - {lines[0]}"]
    verb = "has" if len(bad) == 1 else "have"
    lines[0] = f"{len(bad)} of {len(specs)} specs {verb} problems (nothing was sent):"
    return CliError("\n".join(lines), EXIT_USAGE)


def _as_json(result: CreateResult, error: str | None) -> dict[str, Any]:
    return {
        "index": result.index + 1,
        "name": result.name,
        "status": result.status,
        "audienceId": result.audience_id,
        "error": error,
    }


def _results_table(results: Sequence[CreateResult], errors: Sequence[str | None]) -> Table:
    table = Table()
    table.add_column("#", justify="right")
    table.add_column("Name", overflow="fold")
    table.add_column("Status")
    table.add_column("Audience ID / error", overflow="fold")
    for r, error in zip(results, errors, strict=True):
        text, style = _STATUS_TEXT[r.status]
        detail = r.audience_id if r.status == "created" else error
        table.add_row(str(r.index + 1), Text(r.name), Text(text, style=style), Text(detail or ""))
    return table


def _error_text(result: CreateResult, prog: str) -> str | None:
    if result.error is None:
        return None
    if isinstance(result.error, (KeyboardInterrupt, SystemExit)):
        return "interrupted while being created: check before retrying"
    if result.status == "not_sent":
        return "not sent: the API key was refused for an earlier audience"
    return describe_error(result.error, Hints(flags=None), prog)


def _run(
    st: State,
    specs: Sequence[Any],
    concurrency: int,
    policy: Literal["default", "strict", "off"],
    allow_unfiltered: bool,
) -> tuple[list[CreateResult], bool]:
    """Create with a progress bar on a terminal; the results, and whether Ctrl-C stopped it."""
    client = st.client()
    results: dict[int, CreateResult] = {}
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
        progress.start()
    task = progress.add_task("create", total=len(specs)) if progress is not None else None

    def on_result(result: CreateResult) -> None:
        results[result.index] = result
        if progress is not None and task is not None:
            progress.advance(task)

    interrupted = False
    try:
        client.audiences.create_many(
            specs,
            concurrency=concurrency,
            on_result=on_result,
            value_checks=policy,
            allow_unfiltered=allow_unfiltered,
        )
    except KeyboardInterrupt:
        interrupted = True  # the SDK reported every spec: in flight (unknown) or not sent
    finally:
        if progress is not None:
            progress.stop()
    return [results[i] for i in sorted(results)], interrupted


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
    strict_values: StrictValuesOpt = False,
    no_value_checks: NoValueChecksOpt = False,
    allow_unfiltered: AllowUnfilteredOpt = False,
) -> None:
    """Create many audiences from a file, in parallel, with a result table.

    Every spec is checked first: if any is bad, nothing is sent. An audience whose creation had an
    unknown outcome is never retried (it may exist); check for it before running again.
    """
    st = get_state(ctx)
    st.hint(flags=None)
    policy = value_checks(strict_values, no_value_checks)
    specs = spec_list(load_document(specs_file, "specs file"), specs_file)
    if dry_run:
        # Every spec checked as a send would (against the API's lists too, with a key or the
        # sandbox: each list fetched once); nothing sent.
        try:
            bodies = operations.create_many(
                specs,
                value_checks=policy,
                allow_unfiltered=allow_unfiltered,
                client=st.optional_client(),
            )
        except FilterValidationError as exc:
            raise _refused(exc, specs, st.prog) from None
        st.out.info(f"Dry run: all {len(specs)} specs are valid; nothing was sent. Bodies:")
        for op in bodies:
            st.out.raw_bytes((op.content or b"") + b"\n")
        return
    try:
        # What can be checked without a client first: a mistake is told before any key is
        # needed (the warnings come with the real check, against the API's lists).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FilterValueWarning)
            operations.create_many(specs, value_checks=policy, allow_unfiltered=allow_unfiltered)
        results, interrupted = _run(st, specs, concurrency, policy, allow_unfiltered)
    except FilterValidationError as exc:
        raise _refused(exc, specs, st.prog) from None
    errors = [_error_text(r, st.prog) for r in results]
    if st.json:
        st.out.emit_json([_as_json(r, e) for r, e in zip(results, errors, strict=True)])
    else:
        st.out.table(_results_table(results, errors))
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
    if any(isinstance(r.error, (AuthenticationError, PermissionDeniedError)) for r in results):
        raise typer.Exit(EXIT_AUTH)
    if counts["created"] != len(results):
        raise typer.Exit(EXIT_API)
