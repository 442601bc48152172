"""Exports with a progress bar (rows, rows/s, ETA) on stderr, and the summary at the end."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from audiencelab import ExportProgress, ExportSummary
from audiencelab.cli._context import State

__all__ = ["ExportOptions", "run_export", "summary_json"]

OnProgress = Callable[[ExportProgress], None]


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    output: Path
    format: str | None
    page_size: int | None
    concurrency: int | None
    resume: bool
    overwrite: bool
    neutralize_formulas: bool

    def sdk_kwargs(self) -> dict[str, Any]:
        """Arguments for ``export()``; options left out keep the SDK's defaults."""
        kwargs: dict[str, Any] = {
            "format": self.format,
            "resume": self.resume,
            "overwrite": self.overwrite,
            "neutralize_formulas": self.neutralize_formulas,
        }
        if self.page_size is not None:
            kwargs["page_size"] = self.page_size
        if self.concurrency is not None:
            kwargs["concurrency"] = self.concurrency
        return kwargs


OUTPUT_OPTION = typer.Option(
    "--output",
    "-o",
    help="File to write; the format follows its suffix: .csv, .jsonl (or .ndjson), .parquet.",
    metavar="FILE",
    dir_okay=False,
)
FORMAT_OPTION = typer.Option(
    "--format",
    help="csv, jsonl or parquet, when the file name does not tell.",
    metavar="FORMAT",
)
PAGE_SIZE_OPTION = typer.Option(
    "--page-size",
    help="Records per request, 1-1000 (default 1000). Keep it the same when resuming.",
    metavar="N",
)
CONCURRENCY_OPTION = typer.Option(
    "--concurrency",
    help="Pages fetched at once, 1-64 (default 8); halved automatically when rate-limited.",
    metavar="N",
)
RESUME_OPTION = typer.Option(
    "--resume",
    help="Continue an interrupted export to the same file where it stopped.",
)
OVERWRITE_OPTION = typer.Option(
    "--overwrite",
    "--force",
    help="Replace FILE if it exists.",
)
NEUTRALIZE_OPTION = typer.Option(
    "--neutralize-formulas/--no-neutralize-formulas",
    help=(
        "CSV: prefix cells starting with = + - @ with ' so spreadsheets show them as text "
        "instead of running them (on by default; note that it also applies to +1... phone numbers)."
    ),
)


class _RowsColumn(ProgressColumn):
    """``1,000/10,000 rows`` (or ``1,000 rows`` while the total is unknown)."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(no_wrap=True))

    def render(self, task: Task) -> Text:
        done = f"{int(task.completed):,}"
        if task.total is None:
            return Text(f"{done} rows", style="progress.download")
        return Text(f"{done}/{int(task.total):,} rows", style="progress.download")


class _RateColumn(ProgressColumn):
    """Rows per second."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(no_wrap=True))

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("", style="progress.data.speed")
        return Text(f"{speed:,.0f} rows/s", style="progress.data.speed")


def _progress(state: State) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        _RowsColumn(),
        _RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=state.out.err,
        transient=False,
        redirect_stdout=False,  # stdout is for results only
    )


def summary_json(summary: ExportSummary) -> dict[str, Any]:
    data = dataclasses.asdict(summary)
    data["path"] = str(summary.path)
    data["columns"] = list(summary.columns)
    data["dropped_columns"] = list(summary.dropped_columns)
    return data


def run_export(
    state: State,
    label: str,
    export: Callable[[OnProgress | None], ExportSummary],
    waiting: str | None = None,
) -> None:
    """Run ``export`` (which calls the SDK) with a progress bar when on a terminal; report it.

    ``waiting`` labels the bar until the first page is written (the SDK may first wait for an
    audience still being built).

    The SDK itself warns (on the ``audiencelab`` logger, shown on stderr) about columns left out
    of a CSV header and about a row count that differs from the one the API announced.
    """
    state.hint(interrupted="Run the same command again with --resume to continue where it stopped.")
    if not state.out.interactive:
        _report(state, export(None))
        return
    with _progress(state) as progress:
        task = progress.add_task(waiting or label, total=None)
        started: list[bool] = []

        def on_progress(p: ExportProgress) -> None:
            if not started:
                # A resumed export starts with rows already written: they must not count
                # towards the rate, so the first page resets the task instead of advancing it.
                started.append(True)
                progress.reset(task, total=p.total_records, completed=p.rows, description=label)
            else:
                progress.update(task, total=p.total_records, completed=p.rows)

        summary = export(on_progress)
        progress.update(task, total=summary.rows, completed=summary.rows)
    _report(state, summary)


def _report(state: State, summary: ExportSummary) -> None:
    if state.json:
        state.out.emit_json(summary_json(summary))
        return
    resumed = (
        f", resumed from page {summary.resumed_from_page}"
        if summary.resumed_from_page is not None
        else ""
    )
    pages = f"{summary.pages:,} page{'s' if summary.pages != 1 else ''}"
    state.out.info(
        f"Exported {summary.rows:,} rows ({pages}{resumed}) to {summary.path} as "
        f"{summary.format} in {summary.seconds:.1f} s.",
        style="green",
    )
