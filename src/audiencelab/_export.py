"""Streaming, resumable export of audience records to CSV, JSON Lines or Parquet.

The caller fetches pages (possibly concurrently), puts them back in order and hands them to an
:class:`ExportSink` one at a time, strictly in page order. The sink never holds more than the
current page (or, for Parquet's final conversion, one batch) in memory.

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

Formats
-------
CSV
    UTF-8 without BOM, comma-separated, ``"`` as quote character (doubled inside a field),
    records terminated by ``\\n``; a field is quoted only when it contains ``,``, ``"``,
    ``\\r`` or ``\\n`` (RFC 4180 / Excel quoting, i.e. the excel dialect with
    ``lineterminator="\\n"``). The bytes are those of ``csv.writer(f, lineterminator="\\n")``
    with one exception: a field containing ``\\r`` is always quoted, where the ``csv`` module of
    Python 3.11 leaves it bare with that line terminator, and readers then split the record
    there. (The writer is our own for that reason, and because it is faster: it works a column
    at a time and only loops over the fields of columns that need quoting or neutralising.) A
    row made of a single empty field is written ``""`` so that it does not read back as a blank
    line.

    The header is the union of the keys of the first non-empty page, in first-seen order; it
    cannot change mid-file, so a key first seen later is not written: its name is reported in
    :attr:`ExportSummary.dropped_columns` and logged once at WARNING on the ``audiencelab``
    logger. A row missing a header column gets an empty field. ``None`` is written as an empty
    field, ``str`` as is, lists and dicts as compact JSON, anything else with ``str()``.

    Formula injection (OWASP "CSV injection"): with ``neutralize_formulas`` (the default) every
    field, header included, that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading ``'``, so spreadsheets show it as text instead of evaluating it. That
    includes phone numbers such as ``+14155550100`` and negative numbers: the rule is applied
    without exceptions, because a spreadsheet cannot tell ``+1+cmd|...`` from a phone number
    either.

JSON Lines
    One compact JSON object per record and line (``ensure_ascii=False``), UTF-8, keys exactly as
    received; nothing is neutralised or dropped. :attr:`ExportSummary.columns` is the union of
    all keys seen, in first-seen order. (A string holding a lone surrogate, which UTF-8 cannot
    encode, makes that one line fall back to ``\\uXXXX`` escapes; it still decodes to the same
    value.)

Parquet (needs ``pyarrow``, imported only when a Parquet export is asked for)
    All columns are nullable strings; the schema is the header as for CSV (same dropped-column
    rule). Missing keys and ``None`` are null; other values are converted as for CSV, but never
    neutralised (Parquet is not a spreadsheet format). A Parquet file cannot be appended to after
    a crash, so pages are staged in ``.part`` as JSON Lines restricted to the schema (resume works
    exactly as for JSON Lines), and :meth:`ExportSink.finish` converts the staging file batch by
    batch (at most ``_PARQUET_BATCH_BYTES`` of staged JSON at a time, one row group per batch)
    into ``<path>.tmp``, then moves that into place.

CSV and Parquet replace lone surrogates (not encodable as UTF-8) with U+FFFD.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from pathlib import Path
from types import ModuleType, TracebackType
from typing import IO, Any, Literal, cast

from audiencelab._exceptions import AudienceLabError, InputProblem, InputValidationError

__all__ = [
    "ExportFormat",
    "ExportSink",
    "ExportStateError",
    "ExportSummary",
    "infer_format",
]

logger = logging.getLogger("audiencelab")

ExportFormat = Literal["csv", "jsonl", "parquet"]
_CSV_SLICE_ROWS = 200
FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl", "parquet")

_FORMAT_NAMES: dict[str, ExportFormat] = {
    "csv": "csv",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "parquet": "parquet",
    "pq": "parquet",
}
_SUFFIXES: dict[str, ExportFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_COMPRESSED_SUFFIXES = frozenset({".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".br", ".snappy"})
_PARQUET_INSTALL = 'Parquet export needs pyarrow: pip install "audiencelab[parquet]"'

_CHECKPOINT_KIND = "audiencelab-export-checkpoint"
_CHECKPOINT_VERSION = 1

# Staged JSON read back per Parquet batch (one row group each). Module-level so tests can shrink it.
_PARQUET_BATCH_BYTES = 64 * 1024 * 1024
_PARQUET_BLOCK_BYTES = 1 << 20

# Formula injection: a field starting with one of these is prefixed with "'".
_DANGEROUS_FIRST = frozenset(("=", "+", "-", "@", "\t", "\r"))
# Searched in a column's fields joined with NUL: finds a dangerous first character of any field
# but the first (checked separately). A literal-prefix pattern, so the scan is fast.
_DANGEROUS_AFTER_NUL = re.compile("\x00[=+\\-@\t\r]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _jsonable(value: Any) -> Any:
    """``default`` for the JSON encoders: mappings as objects, sets as arrays, else str()."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_jsonable)
_JSON_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), default=_jsonable)


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


def _problem(path: str, message: str) -> InputValidationError:
    return InputValidationError([InputProblem(path, message)])


def _require_pyarrow() -> ModuleType:
    try:
        import pyarrow
    except ImportError:
        raise _problem("format", _PARQUET_INSTALL) from None
    module: ModuleType = pyarrow
    return module


def infer_format(path: str | os.PathLike[str], format: str | None) -> ExportFormat:
    """The export format: ``format`` if given (case-insensitive), else from the file suffix.

    ``.csv`` → csv; ``.jsonl``/``.ndjson`` → jsonl; ``.parquet``/``.pq`` → parquet. ``.json`` is
    refused rather than guessed: JSON Lines in a ``.json`` file breaks every tool that expects a
    single JSON document. Compressed outputs are not supported. Parquet requires pyarrow.
    """
    choices = ", ".join(FORMATS)
    fmt: ExportFormat | None
    if format is not None:
        fmt = _FORMAT_NAMES.get(format.strip().lower())
        if fmt is None:
            raise _problem("format", f"unknown export format {format!r}; choose one of: {choices}")
    else:
        name = Path(path).name
        suffix = Path(name).suffix.lower()
        fmt = _SUFFIXES.get(suffix)
        if fmt is None:
            known = ", ".join(_SUFFIXES)
            if suffix == ".json":
                why = (
                    "exports are JSON Lines (one object per line), not one JSON document: name "
                    "the file .jsonl, or pass format='jsonl'"
                )
            elif suffix in _COMPRESSED_SUFFIXES:
                why = f"compressed output ({suffix}) is not supported; write {known} and compress it afterwards"
            else:
                what = f"suffix {suffix!r}" if suffix else "no suffix"
                why = (
                    f"cannot tell the export format from {name!r} ({what}): use one of "
                    f"{known}, or pass format= (one of: {choices})"
                )
            raise _problem("path", why)
    if fmt == "parquet":
        _require_pyarrow()
    return fmt


# --------------------------------------------------------------------------------------------
# Cell conversion


def _to_text(value: Any) -> str:
    """A CSV field for any value: None → "", str as is, containers as compact JSON, else str()."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict, Mapping)):
        return _JSON.encode(value)
    return str(value)


def _to_text_or_null(value: Any) -> str | None:
    return None if value is None else _to_text(value)


def _encode_utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


def _getter(columns: Sequence[str]) -> Any:
    """A callable mapping a row to the tuple of its values for ``columns`` (KeyError if missing)."""
    if len(columns) == 1:
        only = columns[0]
        return lambda row: (row[only],)
    return itemgetter(*columns)


def _columns_of(
    rows: Sequence[Mapping[str, Any]], header: Sequence[str], header_set: frozenset[str]
) -> tuple[list[Sequence[Any]], list[str], bool]:
    """The page transposed to one sequence per header column, the keys outside the header, and
    whether every row has exactly the header's keys. Missing keys come out as None."""
    n = len(header)
    exact = True
    columns: list[Sequence[Any]] | None = None
    if n:
        try:
            columns = (
                list(zip(*map(_getter(header), rows), strict=True))
                if rows
                else [() for _ in header]
            )
        except KeyError:
            exact = False
    if exact and set(map(len, rows)) - {n}:
        exact = False
    extras: list[str] = []
    if not exact:
        extras = [k for k in dict.fromkeys(chain.from_iterable(rows)) if k not in header_set]
        if columns is None:
            columns = [[row.get(c) for row in rows] for c in header]
    assert columns is not None or not n
    return (columns or []), extras, exact


def _csv_fields(column: Sequence[Any], neutralize: bool, single: bool) -> Sequence[str]:
    """One column of CSV fields: converted to text, neutralised and quoted as needed.

    Works on the whole column at once: joining it and searching the result runs in C, so the
    per-field Python loop only runs for the (rare) columns that need a change.
    """
    try:
        joined = "\x00".join(column)
    except TypeError:
        column = [_to_text(v) for v in column]
        joined = "\x00".join(column)
    fields = cast("Sequence[str]", column)
    if neutralize and (joined[:1] in _DANGEROUS_FIRST or _DANGEROUS_AFTER_NUL.search(joined)):
        fields = [("'" + v) if v[:1] in _DANGEROUS_FIRST else v for v in fields]
    if '"' in joined or "\n" in joined or "\r" in joined:
        fields = [
            ('"' + v.replace('"', '""') + '"')
            if ("," in v or '"' in v or "\n" in v or "\r" in v)
            else v
            for v in fields
        ]
    elif "," in joined:  # the common case (lists, addresses, company names): one test per field
        fields = [('"' + v + '"') if "," in v else v for v in fields]
    if single:  # a lone empty field would read back as a blank line
        fields = [v or '""' for v in fields]
    return fields


def _csv_text(columns: Sequence[Sequence[Any]], nrows: int, neutralize: bool) -> str:
    if not nrows:
        return ""
    if not columns:
        return "\n" * nrows
    single = len(columns) == 1
    fields = [_csv_fields(col, neutralize, single) for col in columns]
    if single:
        return "\n".join(fields[0]) + "\n"
    return "\n".join(map(",".join, zip(*fields, strict=True))) + "\n"


def _jsonl_page(
    rows: Sequence[Mapping[str, Any]], columns: list[str] | None, known: frozenset[str]
) -> tuple[bytes, list[str] | None, frozenset[str]]:
    """A JSON Lines page, and the keys seen so far (in first-seen order, and as a set)."""
    if not rows:
        return b"", columns, known
    if not known.issuperset(chain.from_iterable(rows)):
        columns = list(columns or ())
        columns += [k for k in dict.fromkeys(chain.from_iterable(rows)) if k not in known]
        known = frozenset(columns)
    encode = _JSON.encode
    text = "\n".join(map(encode, rows)) + "\n"
    try:
        return text.encode("utf-8"), columns, known
    except UnicodeEncodeError:  # a lone surrogate somewhere: escape it on its lines only
        lines = []
        for row in rows:
            line = encode(row)
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:
                line = _JSON_ASCII.encode(row)
            lines.append(line)
        return ("\n".join(lines) + "\n").encode("utf-8"), columns, known


def _parquet_staging_page(
    rows: Sequence[Mapping[str, Any]],
    columns: list[str],
    cells: list[Sequence[Any]],
    exact: bool,
) -> bytes:
    """A page of Parquet staging: JSON Lines with only the schema's keys and text or null values."""
    if not rows:
        return b""
    all_text = True
    for i, col in enumerate(cells):
        try:
            "".join(col)
        except TypeError:
            all_text = False
            cells[i] = [_to_text_or_null(v) for v in col]
    if exact and all_text:  # the rows are already what we want to stage
        lines = map(_JSON.encode, rows)
    elif columns:
        lines = map(
            _JSON.encode,
            (dict(zip(columns, values, strict=True)) for values in zip(*cells, strict=True)),
        )
    else:
        lines = map(_JSON.encode, ({} for _ in rows))
    return _encode_utf8("\n".join(lines) + "\n")


# --------------------------------------------------------------------------------------------
# Checkpoint


@dataclass
class _State:
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
                "kind": _CHECKPOINT_KIND,
                "version": _CHECKPOINT_VERSION,
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
    def from_json(cls, text: str) -> _State:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != _CHECKPOINT_KIND:
            raise ValueError("not an audiencelab export checkpoint")
        if data.get("version") != _CHECKPOINT_VERSION:
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


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


# --------------------------------------------------------------------------------------------
# The sink


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
        state: _State,
        file: IO[bytes],
        resumed_from_page: int | None,
    ) -> None:
        # Private: use ExportSink.open().
        self.path = path
        self.part_path = _sibling(path, ".part")
        self.checkpoint_path = _sibling(path, ".part.json")
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
            _require_pyarrow()

        if target.is_dir():
            raise _problem("path", f"{target} is a directory; give the path of the file to write")
        parent = target.parent
        if not parent.is_dir():
            raise _problem("path", f"directory {parent} does not exist")
        if target.exists() and not overwrite:
            raise _problem("path", f"{target} already exists; pass overwrite=True to replace it")

        part = _sibling(target, ".part")
        checkpoint = _sibling(target, ".part.json")
        if checkpoint.exists():
            if not resume:
                raise _problem(
                    "resume",
                    f"an interrupted export to {target} left a checkpoint ({checkpoint}); pass "
                    f"resume=True to continue it, or delete {checkpoint} and {part} to start over",
                )
            state = cls._load_checkpoint(checkpoint, part)
            cls._check_same_export(
                state, checkpoint, source, format, page_size, neutralize_formulas
            )
            file = cls._reopen_part(state, checkpoint, part)
            logger.info(
                "Resuming export to %s at page %d (%d rows already written)",
                target,
                state.next_page,
                state.rows_written,
            )
            return cls(path=target, state=state, file=file, resumed_from_page=state.next_page)

        state = _State(
            source=source,
            format=format,
            page_size=page_size,
            neutralize_formulas=neutralize_formulas,
        )
        # A .part without a checkpoint holds no complete page: start it over.
        file = open(part, "wb")  # noqa: SIM115 - closed by finish() or close()
        return cls(path=target, state=state, file=file, resumed_from_page=None)

    @staticmethod
    def _load_checkpoint(checkpoint: Path, part: Path) -> _State:
        try:
            return _State.from_json(checkpoint.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise _problem(
                "resume",
                f"cannot resume: the checkpoint {checkpoint} is unreadable ({exc}); delete it "
                f"and {part} to start over",
            ) from None

    @staticmethod
    def _check_same_export(
        state: _State,
        checkpoint: Path,
        source: str,
        format: ExportFormat,
        page_size: int,
        neutralize_formulas: bool,
    ) -> None:
        problems: list[InputProblem] = []
        hint = f"(pass the original value, or delete {checkpoint} and its .part file to start over)"
        if state.source != source:
            problems.append(
                InputProblem(
                    "source",
                    f"the interrupted export was of {state.source!r}, not {source!r} {hint}",
                )
            )
        if state.format != format:
            problems.append(
                InputProblem(
                    "format",
                    f"the interrupted export was written as {state.format}, not {format} {hint}",
                )
            )
        if state.page_size != page_size:
            problems.append(
                InputProblem(
                    "page_size",
                    f"the interrupted export used page_size={state.page_size}, not {page_size}; "
                    f"page numbers would no longer line up {hint}",
                )
            )
        if format == "csv" and state.neutralize_formulas != neutralize_formulas:
            problems.append(
                InputProblem(
                    "neutralize_formulas",
                    f"the interrupted export used neutralize_formulas={state.neutralize_formulas}, "
                    f"not {neutralize_formulas}; the file would mix both {hint}",
                )
            )
        if problems:
            raise InputValidationError(
                [
                    InputProblem("resume", "this is not the export the checkpoint belongs to"),
                    *problems,
                ]
            )

    @staticmethod
    def _reopen_part(state: _State, checkpoint: Path, part: Path) -> IO[bytes]:
        start_over = f"delete {checkpoint} and {part} to start over"
        try:
            file = open(part, "r+b")  # noqa: SIM115 - closed by finish() or close()
        except FileNotFoundError:
            raise _problem("resume", f"cannot resume: {part} is missing; {start_over}") from None
        try:
            size = os.fstat(file.fileno()).st_size
            if size < state.offset:
                raise _problem(
                    "resume",
                    f"cannot resume: {part} is shorter ({size} bytes) than its checkpoint "
                    f"records ({state.offset}); was the machine restarted? {start_over}",
                )
            file.seek(state.last_page_offset)
            tail = file.read(state.offset - state.last_page_offset)
            if zlib.crc32(tail) != state.last_page_crc:
                raise _problem(
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
            data, columns, header_set = _jsonl_page(rows, columns, header_set)
            parts = [data]
        else:
            header = b""
            if columns is None and rows:
                columns = list(dict.fromkeys(chain.from_iterable(rows)))
                header_set = frozenset(columns)
                if state.format == "csv":
                    header = _encode_utf8(
                        _csv_text([[c] for c in columns], 1, state.neutralize_formulas)
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
                    cells, some_extras, _ = _columns_of(some_rows, columns, header_set)
                    extras += [c for c in some_extras if c not in extras]
                    parts.append(
                        _encode_utf8(_csv_text(cells, len(some_rows), state.neutralize_formulas))
                    )
                new_dropped = [c for c in extras if c not in self._reported_dropped]
            else:
                cells, extras, exact = _columns_of(rows, columns, header_set)
                new_dropped = [c for c in extras if c not in self._reported_dropped]
                parts = [_parquet_staging_page(rows, columns, cells, exact)]

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
                logger.warning(
                    "Export to %s: column(s) %s first appeared on page %d, after the %s was "
                    "fixed; their values are not in the file",
                    self.path,
                    ", ".join(new_dropped),
                    page,
                    "CSV header" if state.format == "csv" else "Parquet schema",
                )
            new_state = _State(
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
            self._save_checkpoint(new_state)
        except BaseException:
            self._broken = True
            raise
        self._state = new_state
        self._header_set = header_set

    def _save_checkpoint(self, state: _State) -> None:
        tmp = _sibling(self.checkpoint_path, ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(state.to_json())
        os.replace(tmp, self.checkpoint_path)

    # -- finishing -----------------------------------------------------------------------------

    def finish(self, seconds: float) -> ExportSummary:
        """Move the complete file into place, delete the checkpoint and return the summary.

        ``seconds`` is the caller's measurement of the export's duration, reported back as is.
        """
        file = self._usable_file("finish")
        state = self._state
        self._file = None
        file.close()
        if state.format == "parquet":
            tmp = _sibling(self.path, ".tmp")
            try:
                _convert_to_parquet(self.part_path, tmp, state.columns or [])
                self._move_into_place(tmp, state)
            except BaseException:
                _unlink(tmp)
                raise
            _unlink(self.part_path)
        else:
            self._move_into_place(self.part_path, state)
        _unlink(_sibling(self.checkpoint_path, ".tmp"))  # left by a crash mid-checkpoint
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

    def _move_into_place(self, done: Path, state: _State) -> None:
        # The checkpoint goes first: a crash between the two steps leaves a finished .part
        # without a checkpoint, which the next run simply redoes; never a checkpoint whose .part
        # is gone. If the move fails (rather than the process dying), the checkpoint is put back.
        _unlink(self.checkpoint_path)
        try:
            os.replace(done, self.path)
        except BaseException:
            if state.next_page > 1:
                with contextlib.suppress(OSError):
                    self._save_checkpoint(state)
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
                _unlink(self.part_path)

    def __enter__(self) -> ExportSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _convert_to_parquet(staging: Path, dest: Path, columns: Sequence[str]) -> None:
    """Stream the JSON Lines staging file into a Parquet file, one batch (row group) at a time."""
    pa = _require_pyarrow()
    import pyarrow.json as pa_json
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c, pa.string(), nullable=True) for c in columns])
    parse = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    with open(staging, "rb") as src, pq.ParquetWriter(str(dest), schema) as writer:
        position, size = 0, _PARQUET_BATCH_BYTES
        while True:
            src.seek(position)
            data = src.read(size)
            if not data:
                break
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) < size:
                    raise AudienceLabError(f"{staging} ends with an incomplete record")
                size *= 2  # one record longer than a batch: read more of it
                continue
            # The records up to the last complete line; the rest is read again with the next batch.
            writer.write_table(_read_json_batch(pa, pa_json, memoryview(data)[:cut], parse, schema))
            position += cut
            size = _PARQUET_BATCH_BYTES
            del data


def _read_json_batch(pa: Any, pa_json: Any, data: memoryview, parse: Any, schema: Any) -> Any:
    buffer = pa.py_buffer(data)
    try:
        read = pa_json.ReadOptions(use_threads=True, block_size=_PARQUET_BLOCK_BYTES)
        table = pa_json.read_json(pa.BufferReader(buffer), read_options=read, parse_options=parse)
    except pa.ArrowInvalid:
        # A record longer than the parser's block: parse the batch as a single block instead.
        read = pa_json.ReadOptions(use_threads=False, block_size=data.nbytes + 1)
        table = pa_json.read_json(pa.BufferReader(buffer), read_options=read, parse_options=parse)
    return table.select(schema.names).cast(schema)
