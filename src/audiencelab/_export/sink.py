"""The export sink: pages in, in order, to ``<path>.part``; a checkpoint after each; the file
moved into place only when complete (see :mod:`.checkpoint` for the files and guarantees)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from audiencelab._exceptions import (
    AudienceLabError,
    InputProblem,
    InputValidationError,
    PassArgument,
)
from audiencelab._export.checkpoint import (
    Checkpoint,
    check_same_export,
    load_checkpoint,
    reopen_part,
    save_checkpoint,
    sibling,
    unlink,
)
from audiencelab._export.formats import (
    FORMATS,
    ExportFormat,
    columns_of,
    convert_to_parquet,
    csv_text,
    encode_utf8,
    jsonl_page,
    parquet_staging_page,
    problem,
    require_pyarrow,
)
from audiencelab._logging import log

__all__ = ["ExportSink", "ExportStateError", "ExportSummary"]

_CSV_SLICE_ROWS = 200


class ExportStateError(AudienceLabError, RuntimeError):
    """An :class:`ExportSink` was used out of order (a bug in the calling code, not bad input).

    For example a page written twice or out of order, or a write after :meth:`ExportSink.finish`.
    """


@dataclass(frozen=True)
class ExportSummary:
    """What a finished export wrote. ``rows`` and ``pages`` count the whole file, resumes included.

    ``resumed_from_page`` is the first page written by this run when it resumed an interrupted
    export, else None. ``dropped_columns`` are keys first seen after the CSV header / Parquet
    schema was fixed, whose values are therefore not in the file (always empty for JSON Lines).
    """

    path: Path
    format: ExportFormat
    rows: int
    pages: int
    seconds: float
    resumed_from_page: int | None
    columns: tuple[str, ...]
    dropped_columns: tuple[str, ...]


class ExportSink:
    """Writes an export page by page; see the module docstring for formats and guarantees.

    Use :meth:`open`, then :meth:`write_page` for page :attr:`next_page`, ..., then
    :meth:`finish`. On error or interrupt call :meth:`close` (or leave the ``with`` block): the
    partial file and checkpoint stay so a later ``open(..., resume=True)`` can continue.
    """

    def __init__(
        self,
        *,
        path: Path,
        state: Checkpoint,
        file: IO[bytes],
        resumed_from_page: int | None,
    ) -> None:
        # Private: use ExportSink.open().
        self.path = path
        self.part_path = sibling(path, ".part")
        self.checkpoint_path = sibling(path, ".part.json")
        self.resumed_from_page = resumed_from_page
        self._state = state
        self._file: IO[bytes] | None = file
        self._finished = False
        self._broken = False
        self._header_set: frozenset[str] = frozenset(state.columns or ())
        self._reported_dropped: set[str] = set(state.dropped_columns or ())

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        format: ExportFormat,
        *,
        source: str,
        page_size: int,
        neutralize_formulas: bool = True,
        resume: bool = False,
        overwrite: bool = False,
    ) -> ExportSink:
        """Start (or, with ``resume=True`` and a checkpoint present, continue) an export.

        Raises :class:`InputValidationError` before writing anything when the target exists and
        ``overwrite`` is False, when a checkpoint exists and ``resume`` is False, or when the
        checkpoint belongs to a different export (source, page size, format or formula
        setting). ``resume=True`` without a checkpoint starts afresh.
        """
        target = Path(os.fspath(path))
        problems: list[InputProblem] = []
        if format not in FORMATS:
            problems.append(
                InputProblem(
                    "format",
                    f"unknown export format {format!r}; choose one of: csv, jsonl, parquet",
                )
            )
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            problems.append(
                InputProblem("page_size", f"must be a positive integer, got {page_size!r}")
            )
        if not isinstance(source, str) or not source:
            problems.append(InputProblem("source", "must be a non-empty string"))
        if problems:
            raise InputValidationError(problems)
        if format == "parquet":
            require_pyarrow()

        if target.is_dir():
            raise problem("path", f"{target} is a directory; give the path of the file to write")
        parent = target.parent
        if not parent.is_dir():
            raise problem("path", f"directory {parent} does not exist")
        if target.exists() and not overwrite:
            raise problem(
                "path",
                f"{target} already exists",
                PassArgument("overwrite", True, "to replace it"),
            )

        part = sibling(target, ".part")
        checkpoint = sibling(target, ".part.json")
        if checkpoint.exists():
            if not resume:
                raise problem(
                    "resume",
                    f"an interrupted export to {target} left a checkpoint ({checkpoint}); delete "
                    f"{checkpoint} and {part} to start over",
                    PassArgument("resume", True, "to continue it"),
                )
            state = load_checkpoint(checkpoint, part)
            check_same_export(state, checkpoint, source, format, page_size, neutralize_formulas)
            file = reopen_part(state, checkpoint, part)
            log(
                logging.INFO,
                "export_resumed",
                "Resuming export to %s at page %d (%d rows already written)",
                target,
                state.next_page,
                state.rows_written,
            )
            return cls(path=target, state=state, file=file, resumed_from_page=state.next_page)

        state = Checkpoint(
            source=source,
            format=format,
            page_size=page_size,
            neutralize_formulas=neutralize_formulas,
        )
        # A .part without a checkpoint holds no complete page: start it over.
        file = open(part, "wb")  # noqa: SIM115 - closed by finish() or close()
        return cls(path=target, state=state, file=file, resumed_from_page=None)

    # -- state --------------------------------------------------------------------------------

    @property
    def format(self) -> ExportFormat:
        return self._state.format

    @property
    def next_page(self) -> int:
        """The page the caller must fetch and write next (1 on a fresh export)."""
        return self._state.next_page

    @property
    def rows_written(self) -> int:
        """Rows in the file so far, including those written before a resume."""
        return self._state.rows_written

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._state.columns or ())

    @property
    def dropped_columns(self) -> tuple[str, ...]:
        return tuple(self._state.dropped_columns or ())

    # -- writing -----------------------------------------------------------------------------

    def _usable_file(self, action: str) -> IO[bytes]:
        if self._finished:
            raise ExportStateError(f"cannot {action}: the export to {self.path} is finished")
        if self._broken:
            raise ExportStateError(
                f"cannot {action}: an earlier write to {self.part_path} failed; close this sink "
                "and resume the export"
            )
        if self._file is None:
            raise ExportStateError(f"cannot {action}: the export to {self.path} was closed")
        return self._file

    def write_page(self, page: int, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append page ``page`` (which must be :attr:`next_page`) and checkpoint it.

        When this returns, the page is durable for resume purposes (see the module docstring).
        """
        file = self._usable_file("write a page")
        state = self._state
        if page != state.next_page:
            raise ExportStateError(
                f"write_page(page={page}) but the next page to write is {state.next_page}: pages "
                "must be written in order, each exactly once"
            )
        columns = state.columns
        header_set = self._header_set
        new_dropped: list[str] = []
        parts: list[bytes]
        if state.format == "jsonl":
            data, columns, header_set = jsonl_page(rows, columns, header_set)
            parts = [data]
        else:
            header = b""
            if columns is None and rows:
                columns = list(dict.fromkeys(chain.from_iterable(rows)))
                header_set = frozenset(columns)
                if state.format == "csv":
                    header = encode_utf8(
                        csv_text([[c] for c in columns], 1, state.neutralize_formulas)
                    )
            if columns is None:  # nothing written yet, and an empty page
                parts = []
            elif state.format == "csv":
                # In slices: several ~0.5 MB pieces instead of one ~2.5 MB string and its bytes,
                # which keeps a long export's heap from fragmenting (flat memory).
                parts = [header] if header else []
                extras = []
                for start in range(0, len(rows), _CSV_SLICE_ROWS):
                    some_rows = rows[start : start + _CSV_SLICE_ROWS]
                    cells, some_extras, _ = columns_of(some_rows, columns, header_set)
                    extras += [c for c in some_extras if c not in extras]
                    parts.append(
                        encode_utf8(csv_text(cells, len(some_rows), state.neutralize_formulas))
                    )
                new_dropped = [c for c in extras if c not in self._reported_dropped]
            else:
                cells, extras, exact = columns_of(rows, columns, header_set)
                new_dropped = [c for c in extras if c not in self._reported_dropped]
                parts = [parquet_staging_page(rows, columns, cells, exact)]

        offset = state.offset
        size = sum(map(len, parts))
        crc = 0
        for piece in parts:
            crc = zlib.crc32(piece, crc)
        try:
            if size:
                for piece in parts:
                    file.write(piece)
                file.flush()
            if new_dropped:
                self._reported_dropped.update(new_dropped)
                log(
                    logging.WARNING,
                    "columns_dropped",
                    "Export to %s: column(s) %s first appeared on page %d, after the %s was "
                    "fixed; their values are not in the file",
                    self.path,
                    ", ".join(new_dropped),
                    page,
                    "CSV header" if state.format == "csv" else "Parquet schema",
                )
            new_state = Checkpoint(
                source=state.source,
                format=state.format,
                page_size=state.page_size,
                neutralize_formulas=state.neutralize_formulas,
                next_page=page + 1,
                rows_written=state.rows_written + len(rows),
                offset=offset + size,
                columns=columns,
                dropped_columns=[*(state.dropped_columns or ()), *new_dropped],
                last_page_offset=offset if size else state.last_page_offset,
                last_page_crc=crc if size else state.last_page_crc,
            )
            save_checkpoint(self.checkpoint_path, new_state)
        except BaseException:
            self._broken = True
            raise
        self._state = new_state
        self._header_set = header_set

    # -- finishing -----------------------------------------------------------------------------

    def finish(self, seconds: float, columns_if_empty: Sequence[str] = ()) -> ExportSummary:
        """Move the complete file into place, delete the checkpoint and return the summary.

        ``seconds`` is the caller's measurement of the export's duration, reported back as is.
        When no page had a row, a CSV still gets a header and a Parquet file a schema, from
        ``columns_if_empty`` (the columns records are known to have).
        """
        file = self._usable_file("finish")
        state = self._state
        if state.columns is None and columns_if_empty and state.format != "jsonl":
            state = dataclasses.replace(state, columns=list(columns_if_empty))
            if state.format == "csv":
                header = csv_text([[c] for c in columns_if_empty], 1, state.neutralize_formulas)
                file.write(encode_utf8(header))
        self._file = None
        file.close()
        if state.format == "parquet":
            tmp = sibling(self.path, ".tmp")
            try:
                convert_to_parquet(self.part_path, tmp, state.columns or [])
                self._move_into_place(tmp, state)
            except BaseException:
                unlink(tmp)
                raise
            unlink(self.part_path)
        else:
            self._move_into_place(self.part_path, state)
        unlink(sibling(self.checkpoint_path, ".tmp"))  # left by a crash mid-checkpoint
        self._finished = True
        return ExportSummary(
            path=self.path,
            format=state.format,
            rows=state.rows_written,
            pages=state.next_page - 1,
            seconds=seconds,
            resumed_from_page=self.resumed_from_page,
            columns=tuple(state.columns or ()),
            dropped_columns=tuple(state.dropped_columns or ()),
        )

    def _move_into_place(self, done: Path, state: Checkpoint) -> None:
        # The checkpoint goes first: a crash between the two steps leaves a finished .part
        # without a checkpoint, which the next run simply redoes; never a checkpoint whose .part
        # is gone. If the move fails (rather than the process dying), the checkpoint is put back.
        unlink(self.checkpoint_path)
        try:
            os.replace(done, self.path)
        except BaseException:
            if state.next_page > 1:
                with contextlib.suppress(OSError):
                    save_checkpoint(self.checkpoint_path, state)
            raise

    def close(self) -> None:
        """Stop without finishing. The partial file and checkpoint stay so the export can be
        resumed; only a fresh export that has not written a single page removes its empty
        ``.part``. Safe to call more than once, and after :meth:`finish`."""
        file, self._file = self._file, None
        if file is None:
            return
        try:
            file.close()
        finally:
            if (
                not self._finished
                and self.resumed_from_page is None
                and self._state.next_page == 1
                and not self._broken
            ):
                unlink(self.part_path)

    def __enter__(self) -> ExportSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
