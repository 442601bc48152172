"""What ``audiencelab load`` shows on a terminal while it runs: each step of dlt's with a spinner,
and while the audiences are read, each audience's rows and pages with a bar, as an export shows
them. Off a terminal (and with ``--json`` or ``--quiet``) it shows nothing."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column
from rich.text import Text

from audiencelab.cli._output import Output

__all__ = ["LoadView"]


class _RowsColumn(ProgressColumn):
    """``12,000/30,000 rows, page 12/30`` of an audience being read (nothing for a step)."""

    def __init__(self, page_size: int) -> None:
        super().__init__(table_column=Column(no_wrap=True))
        self.page_size = page_size

    def render(self, task: Task) -> Text:
        pages = task.fields.get("pages")
        if pages is None:
            return Text("")
        rows = f"{int(task.completed):,}"
        if task.total is None:
            return Text(f"{rows} rows, page {pages:,}", style="progress.download")
        last = max(1, math.ceil(task.total / self.page_size))
        return Text(
            f"{rows}/{int(task.total):,} rows, page {pages:,}/{last:,}", style="progress.download"
        )


class _RateColumn(ProgressColumn):
    """Rows per second of an audience being read."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(no_wrap=True))

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if task.fields.get("pages") is None or speed is None:
            return Text("")
        return Text(f"{speed:,.0f} rows/s", style="progress.data.speed")


class LoadView:
    """The terminal's view of one ``load`` run (a context manager around the run)."""

    def __init__(self, out: Output, destination: str, *, page_size: int) -> None:
        self.destination = destination
        self.live = out.interactive
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            _RowsColumn(page_size),
            _RateColumn(),
            TimeElapsedColumn(),
            console=out.err,
            transient=False,
            redirect_stdout=False,  # stdout is for results only
            disable=not self.live,
        )
        self._audiences: dict[str, TaskID] = {}

    def __enter__(self) -> LoadView:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        """A line with a spinner while the step runs, full when it is done."""
        task = self._progress.add_task(text, total=None)
        yield
        self._progress.update(task, total=1, completed=1)

    def on_records(self, progress: Any) -> None:
        """The source's ``on_progress``: an audience's rows and pages so far (RecordsProgress)."""
        task = self._audiences.get(progress.audience_id)
        if task is None:
            label = (
                f"  audience {progress.audience}/{progress.audiences} {progress.audience_id[:8]}"
            )
            task = self._progress.add_task(label, total=progress.total_records, pages=0)
            self._audiences[progress.audience_id] = task
        self._progress.update(
            task, total=progress.total_records, completed=progress.rows, pages=progress.pages
        )
