"""Where output goes: results on stdout, everything for people (sentences, progress) on stderr.

* ``--json``: stdout carries exactly one JSON document and nothing else.
* Progress bars and spinners are drawn only when both stdout and stderr are terminals and neither
  ``--quiet`` nor ``--json`` is given, so piped or redirected output is never corrupted.
* Colours only where Rich detects a terminal (and never with ``NO_COLOR``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["Output", "dump_model", "record_table", "simple_table"]

# The most useful columns of a person, in display order (reference §8).
PEOPLE_COLUMNS = (
    "FIRST_NAME",
    "LAST_NAME",
    "PERSONAL_CITY",
    "PERSONAL_STATE",
    "AGE",
    "JOB_TITLE",
    "COMPANY_NAME",
    "PERSONAL_EMAILS",
)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Output:
    """The two consoles of one command run, and the rules for using them."""

    def __init__(self, *, json_mode: bool = False, quiet: bool = False) -> None:
        self.json = json_mode
        self.quiet = quiet
        self.stdout: IO[str] = sys.stdout
        self.stderr: IO[str] = sys.stderr
        # Piped tables keep their natural width instead of wrapping at 80 columns.
        wide = None if _isatty(self.stdout) or os.environ.get("COLUMNS") else 100_000
        self.out = Console(file=self.stdout, highlight=False, emoji=False, width=wide)
        self.err = Console(file=self.stderr, highlight=False, emoji=False)
        self.interactive = (
            not quiet and not json_mode and _isatty(self.stdout) and _isatty(self.stderr)
        )
        self.redact: tuple[str, ...] = ()
        #: Addresses not to show in errors (a --sandbox command's own sandbox, gone when it
        #: ends), and the address to show instead in links elsewhere.
        self.origins: tuple[str, ...] = ()
        self.links: tuple[tuple[str, str], ...] = ()

    # -- stderr ---------------------------------------------------------------------------------

    def _scrub(self, text: str, *, error: bool = False) -> str:
        for secret in self.redact:
            text = text.replace(secret, "[API key hidden]")
        if error:
            for origin in self.origins:
                text = text.replace(origin, "")
        return self._relink(text)

    def _relink(self, text: str) -> str:
        for old, new in self.links:
            text = text.replace(old, new)
        return text

    @property
    def chatty(self) -> bool:
        """Sentences for people on stderr: not with --quiet or --json."""
        return not (self.quiet or self.json)

    def info(self, text: str, *, style: str = "") -> None:
        if self.chatty:
            self.err.print(Text(self._scrub(text), style=style), soft_wrap=True)

    def warning(self, text: str) -> None:
        if not self.quiet:
            line = Text("warning: ", style="bold yellow") + Text(self._scrub(text))
            self.err.print(line, soft_wrap=True)

    def error(self, text: str) -> None:
        line = Text("error: ", style="bold red") + Text(self._scrub(text, error=True), style="red")
        self.err.print(line, soft_wrap=True)

    def raw_error(self, text: str) -> None:
        """Pre-formatted text (a traceback with --verbose), secrets hidden."""
        self.stderr.write(self._scrub(text))
        self.stderr.flush()

    @contextlib.contextmanager
    def status(self, text: str) -> Iterator[None]:
        """A spinner on stderr while something slow happens (only on a terminal)."""
        if self.interactive:
            with self.err.status(Text(text)):
                yield
        else:
            yield

    # -- stdout ---------------------------------------------------------------------------------

    def line(self, text: str) -> None:
        """A plain result line (an ID, a value) on stdout: what `ID=$(...)` captures."""
        self.stdout.write(self._relink(text) + "\n")
        self.stdout.flush()

    def raw_bytes(self, data: bytes) -> None:
        """Exact bytes on stdout (``--dry-run``)."""
        self.stdout.flush()
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:  # pragma: no cover - a text-only stream
            self.stdout.write(data.decode("utf-8"))
            self.stdout.flush()

    def emit_json(self, value: Any) -> None:
        """The one JSON document of ``--json``."""
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        self.stdout.write(self._relink(text) + "\n")
        self.stdout.flush()

    def table(self, table: Table) -> None:
        self.out.print(table)


def dump_model(model: Any) -> Any:
    """A response model as JSON data, with the API's own field names (``audienceId``...)."""
    return model.model_dump(mode="json", by_alias=True)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def simple_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    table = Table()
    for name in columns:
        is_id = name.lower() in ("id", "audience id", "job id", "pixel id")
        table.add_column(name, no_wrap=is_id, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell(v)) for v in row))
    return table


def choose_columns(
    rows: Sequence[Mapping[str, Any]], wanted: Sequence[str] | None = None
) -> list[str]:
    """The columns to show: the ones asked for, else the most useful ones present."""
    present: dict[str, None] = {}
    for row in rows:
        present.update(dict.fromkeys(row))
    if wanted:
        return list(wanted)
    chosen = [c for c in PEOPLE_COLUMNS if c in present]
    return chosen or list(present)[: len(PEOPLE_COLUMNS)]


def record_table(rows: Sequence[Mapping[str, Any]], wanted: Sequence[str] | None = None) -> Table:
    """People as a table of their most useful columns."""
    columns = choose_columns(rows, wanted)
    return simple_table(columns, ([row.get(c) for c in columns] for row in rows))
