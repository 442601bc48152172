"""Checkpoint and resume: the state saved after every page, and reopening a partial export.

Files
-----
Everything is written to ``<path>.part`` beside the target. After every page a checkpoint
``<path>.part.json`` is atomically replaced (temporary file + :func:`os.replace`) recording the
next page to fetch, the rows written, the byte length of ``.part`` at that point, the columns and
a CRC of the last page's bytes. :meth:`ExportSink.finish` moves ``.part`` into place with
:func:`os.replace` and deletes the checkpoint, so the target path only ever holds a complete
export. Two exports to the same path at the same time are not detected: don't.

Durability: each page's bytes are flushed to the operating system before the checkpoint is
replaced, but nothing is ``fsync``-ed (far too slow per page). That survives the process being
killed at any moment (SIGKILL, Ctrl-C, a crash): the OS still holds everything that was flushed.
It does not survive a power loss or kernel crash; after one, resuming usually finds ``.part``
shorter than, or different from, what its checkpoint recorded, and refuses with a message to
delete both files and start over.

Resuming truncates ``.part`` to the checkpointed length (dropping any partial page written after
the last checkpoint) and carries on appending, so a resumed export is byte-for-byte the export an
uninterrupted run would have written.
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from audiencelab._exceptions import InputProblem, InputValidationError, PassArgument
from audiencelab._export.formats import FORMATS, ExportFormat, problem

__all__ = [
    "Checkpoint",
    "check_same_export",
    "load_checkpoint",
    "reopen_part",
    "save_checkpoint",
    "sibling",
    "unlink",
]

CHECKPOINT_KIND = "audiencelab-export-checkpoint"
CHECKPOINT_VERSION = 1


@dataclass
class Checkpoint:
    """Where an export stands, as saved in ``<path>.part.json`` after every page."""

    source: str
    format: ExportFormat
    page_size: int
    neutralize_formulas: bool
    next_page: int = 1
    rows_written: int = 0
    offset: int = 0
    columns: list[str] | None = None  # CSV/Parquet: the header once fixed; JSONL: keys seen
    dropped_columns: list[str] | None = None
    last_page_offset: int = 0  # where the last page's bytes start, and their CRC-32
    last_page_crc: int = 0

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": CHECKPOINT_KIND,
                "version": CHECKPOINT_VERSION,
                "source": self.source,
                "format": self.format,
                "page_size": self.page_size,
                "neutralize_formulas": self.neutralize_formulas,
                "next_page": self.next_page,
                "rows_written": self.rows_written,
                "offset": self.offset,
                "columns": self.columns,
                "dropped_columns": self.dropped_columns or [],
                "last_page_offset": self.last_page_offset,
                "last_page_crc": self.last_page_crc,
            },
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != CHECKPOINT_KIND:
            raise ValueError("not an audiencelab export checkpoint")
        if data.get("version") != CHECKPOINT_VERSION:
            raise ValueError(f"unsupported checkpoint version {data.get('version')!r}")

        def get(key: str, kind: type | tuple[type, ...]) -> Any:
            value = data.get(key)
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
                raise ValueError(f"bad or missing {key!r}")
            return value

        columns = data.get("columns")
        if columns is not None and not (
            isinstance(columns, list) and all(isinstance(c, str) for c in columns)
        ):
            raise ValueError("bad 'columns'")
        dropped = get("dropped_columns", list)
        if not all(isinstance(c, str) for c in dropped):
            raise ValueError("bad 'dropped_columns'")
        fmt = get("format", str)
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        state = cls(
            source=get("source", str),
            format=fmt,
            page_size=get("page_size", int),
            neutralize_formulas=get("neutralize_formulas", bool),
            next_page=get("next_page", int),
            rows_written=get("rows_written", int),
            offset=get("offset", int),
            columns=columns,
            dropped_columns=dropped,
            last_page_offset=get("last_page_offset", int),
            last_page_crc=get("last_page_crc", int),
        )
        if state.next_page < 1 or state.rows_written < 0 or state.offset < 0:
            raise ValueError("negative counters")
        if not 0 <= state.last_page_offset <= state.offset:
            raise ValueError("bad 'last_page_offset'")
        return state


def sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def load_checkpoint(checkpoint: Path, part: Path) -> Checkpoint:
    try:
        return Checkpoint.from_json(checkpoint.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise problem(
            "resume",
            f"cannot resume: the checkpoint {checkpoint} is unreadable ({exc}); delete it "
            f"and {part} to start over",
        ) from None


def save_checkpoint(checkpoint: Path, state: Checkpoint) -> None:
    """Replace the checkpoint atomically (a temporary file, then :func:`os.replace`)."""
    tmp = sibling(checkpoint, ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(state.to_json())
    os.replace(tmp, checkpoint)


def check_same_export(
    state: Checkpoint,
    checkpoint: Path,
    source: str,
    format: ExportFormat,
    page_size: int,
    neutralize_formulas: bool,
) -> None:
    """Refuse to resume a different export: every difference is a problem with its remedy."""
    problems: list[InputProblem] = []
    start_over = f"(or delete {checkpoint} and its .part file to start over)"

    def differs(name: str, was: Any, now: Any, why: str = "") -> None:
        problems.append(
            InputProblem(
                name,
                f"the interrupted export used {was!r}, not {now!r}{why} {start_over}",
                remedy=PassArgument(name, was, "as the interrupted export did"),
            )
        )

    if state.source != source:
        problems.append(
            InputProblem(
                "source",
                f"the interrupted export was of {state.source!r}, not {source!r} {start_over}",
            )
        )
    if state.format != format:
        differs("format", state.format, format)
    if state.page_size != page_size:
        differs("page_size", state.page_size, page_size, "; page numbers would no longer line up")
    if format == "csv" and state.neutralize_formulas != neutralize_formulas:
        differs(
            "neutralize_formulas",
            state.neutralize_formulas,
            neutralize_formulas,
            "; the file would mix both",
        )
    if problems:
        raise InputValidationError(
            [
                InputProblem("resume", "this is not the export the checkpoint belongs to"),
                *problems,
            ]
        )


def reopen_part(state: Checkpoint, checkpoint: Path, part: Path) -> IO[bytes]:
    """The partial file, checked against its checkpoint and cut back to its last complete page."""
    start_over = f"delete {checkpoint} and {part} to start over"
    try:
        file = open(part, "r+b")  # noqa: SIM115 - closed by the sink
    except FileNotFoundError:
        raise problem("resume", f"cannot resume: {part} is missing; {start_over}") from None
    try:
        size = os.fstat(file.fileno()).st_size
        if size < state.offset:
            raise problem(
                "resume",
                f"cannot resume: {part} is shorter ({size} bytes) than its checkpoint "
                f"records ({state.offset}); was the machine restarted? {start_over}",
            )
        file.seek(state.last_page_offset)
        tail = file.read(state.offset - state.last_page_offset)
        if zlib.crc32(tail) != state.last_page_crc:
            raise problem(
                "resume",
                f"cannot resume: the last page in {part} does not match its checkpoint "
                f"(the file was changed, or the machine restarted); {start_over}",
            )
        file.truncate(state.offset)
        file.seek(state.offset)
    except BaseException:
        file.close()
        raise
    return file
