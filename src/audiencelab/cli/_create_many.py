"""``audiencelab audiences create-many``: many audiences from a file, in parallel, never twice."""

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
    operations,
)
from audiencelab.cli._context import get_state
from audiencelab.cli._errors import (
    EXIT_API,
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    Hints,
    describe_error,
)
from audiencelab.cli._files import load_document, spec_list

__all__ = ["create_many_command"]

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
            operations.create_audience(*_spec_args(spec))
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
            st.out.raw_bytes(operations.create_audience(*_spec_args(spec)).content or b"")
            st.out.raw_bytes(b"\n")
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
