"""Exports with a progress bar (rows, rows/s, ETA) on stderr, and the summary at the end.

Before anything is sent (before the sandbox of a ``--sandbox`` run starts), the output is checked
here: its format must be known from ``--format`` or the file's suffix, and the two must agree
(``-o people.csv --format parquet`` is refused, not written as Parquet under a ``.csv`` name).
``-o -`` writes to standard output: the export goes to a temporary file first (exports are
written page by page and checkpointed), which is then copied to stdout and removed.
``--resume`` takes the page size from the checkpoint when ``--page-size`` is not given.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
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
from audiencelab.cli._errors import EXIT_USAGE, CliError
from audiencelab.cli._output import _isatty

__all__ = ["FORMATS", "STDOUT", "ExportOptions", "complete_format", "run_export", "summary_json"]

OnProgress = Callable[[ExportProgress], None]
#: ``-o -``: standard output.
STDOUT = Path("-")
#: The export formats, and the other names ``--format`` takes for them.
FORMATS = ("csv", "jsonl", "parquet")
FORMAT_NAMES = {"csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "parquet": "parquet",
                "pq": "parquet"}  # fmt: skip
SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                  ".pq": "parquet"}  # fmt: skip
SUFFIX_OF = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
CHECKPOINT_KIND = "audiencelab-export-checkpoint"  # what the SDK writes beside <file>.part


def complete_format(incomplete: str) -> list[str]:
    """Shell completion of ``--format``."""
    return [name for name in FORMATS if name.startswith(incomplete.lower())]


def checkpoint_page_size(output: Path) -> int | None:
    """The page size an interrupted export to ``output`` used, from its checkpoint, if readable
    (if not, the SDK says what is wrong with it when resuming)."""
    try:
        data = json.loads((output.parent / f"{output.name}.part.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("kind") != CHECKPOINT_KIND:
        return None
    size = data.get("page_size")
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    output: Path
    format: str | None
    page_size: int | None
    concurrency: int | None
    resume: bool
    overwrite: bool
    neutralize_formulas: bool

    @property
    def to_stdout(self) -> bool:
        return self.output == STDOUT

    def check(self, state: State) -> str:
        """The format of the export, or a :class:`CliError` (exit 2) for an output that cannot
        be right; nothing is sent and no sandbox is started before this."""
        given = None
        if self.format is not None:
            given = FORMAT_NAMES.get(self.format.strip().lower())
            if given is None:
                raise CliError(
                    f"--format: unknown export format {self.format!r}; choose one of: "
                    f"{', '.join(FORMATS)}",
                    EXIT_USAGE,
                )
        if self.to_stdout:
            return self._check_stdout(state, given or "csv")
        name = self.output.name
        suffix = self.output.suffix.lower()
        by_suffix = SUFFIX_FORMATS.get(suffix)
        if given is not None and by_suffix is not None and given != by_suffix:
            raise CliError(
                f"--format {self.format} does not match the file name {name!r}, which says "
                f"{by_suffix}: name the file {self.output.stem}{SUFFIX_OF[given]}, or drop "
                "--format",
                EXIT_USAGE,
            )
        if given is None and by_suffix is None:
            if suffix == ".json":
                why = (
                    "exports are JSON Lines (one object per line), not one JSON document: name "
                    f"the file {self.output.stem}.jsonl, or add --format jsonl to keep the name"
                )
            else:
                shown = f"the suffix {suffix!r}" if suffix else "no suffix"
                why = (
                    f"{shown} does not tell the format: name the file .csv, .jsonl or .parquet, "
                    "or add --format csv, jsonl or parquet"
                )
            raise CliError(f"--output {name!r}: {why}", EXIT_USAGE)
        return given or by_suffix or "csv"

    def _check_stdout(self, state: State, fmt: str) -> str:
        if self.resume:
            raise CliError(
                "--resume needs a file to continue: standard output (-o -) cannot be resumed; "
                "write to a file with -o FILE",
                EXIT_USAGE,
            )
        if state.json:
            raise CliError(
                "--json and -o - both write to standard output: drop --json (the summary is "
                "on stderr), or write to a file",
                EXIT_USAGE,
            )
        if fmt == "parquet" and _isatty(state.out.stdout):
            raise CliError(
                "--format parquet to a terminal: Parquet is binary; redirect the output "
                "(-o - > people.parquet) or write to a file with -o people.parquet",
                EXIT_USAGE,
            )
        return fmt

    def sdk_kwargs(self, fmt: str | None = None) -> dict[str, Any]:
        """Arguments for ``export()``; options left out keep the SDK's defaults (the page size
        of a resumed export: the checkpoint's)."""
        kwargs: dict[str, Any] = {
            "format": fmt or self.format,
            "resume": self.resume,
            "overwrite": self.overwrite or self.to_stdout,
            "neutralize_formulas": self.neutralize_formulas,
        }
        page_size = self.page_size
        if page_size is None and self.resume:
            page_size = checkpoint_page_size(self.output)
        if page_size is not None:
            kwargs["page_size"] = page_size
        if self.concurrency is not None:
            kwargs["concurrency"] = self.concurrency
        return kwargs


OUTPUT_OPTION = typer.Option(
    "--output",
    "-o",
    help=(
        "File to write; the format follows its suffix: .csv, .jsonl (or .ndjson), .parquet. "
        "- writes to standard output."
    ),
    metavar="FILE",
    dir_okay=False,
)
FORMAT_OPTION = typer.Option(
    "--format",
    help="csv, jsonl or parquet, when the file name does not tell (-o -: default csv).",
    metavar="FORMAT",
    autocompletion=complete_format,
)
PAGE_SIZE_OPTION = typer.Option(
    "--page-size",
    help="Records per request, 1-1000 (default 1000; with --resume, the interrupted export's).",
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


Export = Callable[[Path, "OnProgress | None"], ExportSummary]
#: How long an export runs before its progress bar is drawn: the checks of its file take
#: milliseconds, and a refusal should not follow a bar (or "Waiting for...") already drawn.
BAR_DELAY_SECONDS = 0.3


def run_export(
    state: State,
    label: str,
    options: ExportOptions,
    export: Export,
    waiting: str | None = None,
) -> None:
    """Run ``export(path, on_progress)`` (which calls the SDK) with a progress bar when on a
    terminal; report it. With ``-o -`` the path is a temporary file copied to stdout at the end.

    ``waiting`` labels the bar until the first page is written (the SDK may first wait for an
    audience still being built). The bar appears only after :data:`BAR_DELAY_SECONDS`.

    The SDK itself warns (on the ``audiencelab`` logger, shown on stderr) about columns left out
    of a CSV header and about a row count that differs from the one the API announced.
    """
    if not options.to_stdout:
        state.hint(
            interrupted="Run the same command again with --resume to continue where it stopped."
        )
        _report(state, _with_progress(state, label, waiting, options.output, export))
        return
    with _temporary_file(options) as path:
        summary = _with_progress(state, label, waiting, path, export)
        with path.open("rb") as f:
            state.out.stdout.flush()
            target = getattr(state.out.stdout, "buffer", None)
            if target is None:  # pragma: no cover - a text-only stream
                state.out.stdout.write(f.read().decode("utf-8"))
            else:
                shutil.copyfileobj(f, target, 1 << 20)
                target.flush()
    _report(state, summary, shown="standard output")


@contextlib.contextmanager
def _temporary_file(options: ExportOptions) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="audiencelab-export-"))
    fmt = FORMAT_NAMES.get((options.format or "csv").strip().lower(), "csv")
    try:
        yield folder / f"export{SUFFIX_OF[fmt]}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _with_progress(
    state: State, label: str, waiting: str | None, path: Path, export: Export
) -> ExportSummary:
    if not state.out.interactive:
        return export(path, None)
    progress = _progress(state)
    lock = threading.Lock()
    tasks: list[Any] = []

    def show() -> Any:
        with lock:
            if not tasks:
                progress.start()
                tasks.append(progress.add_task(waiting or label, total=None))
            return tasks[0]

    timer = threading.Timer(BAR_DELAY_SECONDS, show)
    timer.daemon = True
    started: list[bool] = []

    def on_progress(p: ExportProgress) -> None:
        task = show()
        if not started:
            # A resumed export starts with rows already written: they must not count
            # towards the rate, so the first page resets the task instead of advancing it.
            started.append(True)
            progress.reset(task, total=p.total_records, completed=p.rows, description=label)
        else:
            progress.update(task, total=p.total_records, completed=p.rows)

    timer.start()
    try:
        summary = export(path, on_progress)
        task = show()
        progress.update(task, total=summary.rows, completed=summary.rows)
    finally:
        timer.cancel()
        with lock:
            if tasks:
                progress.stop()
    return summary


def _report(state: State, summary: ExportSummary, shown: str | None = None) -> None:
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
        f"Exported {summary.rows:,} {'row' if summary.rows == 1 else 'rows'} ({pages}{resumed}) "
        f"to {shown or summary.path} as "
        f"{summary.format} in {summary.seconds:.1f} s.",
        style="green",
    )
