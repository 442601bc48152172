"""Export formats: which one a file name asks for, and the bytes of each page in it.

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
    received; nothing is neutralised or dropped. The bytes are those of ``json.dumps(row,
    ensure_ascii=False, separators=(",", ":"))``. A page whose values are all strings (every page
    the API sends) is written by orjson when it is installed (the export then takes about the
    CSV export's time, against twice that: ``bench/export_formats.py``), which writes the same
    bytes for strings (a test compares them); any other value (a float above all: orjson writes
    ``1e-7`` and ``0.00001`` where ``json`` writes ``1e-07`` and ``1e-05``) sends its page to
    the ``json`` module, so floats keep Python's ``repr`` (docs/benchmarks.md, "Floats").
    :attr:`ExportSummary.columns` is the union of all keys seen, in first-seen order. (A string
    holding a lone surrogate, which UTF-8 cannot encode, makes that one line fall back to
    ``\\uXXXX`` escapes; it still decodes to the same value.)

Parquet (needs ``pyarrow``, imported only when a Parquet export is asked for)
    All columns are nullable strings; the schema is the header as for CSV (same dropped-column
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from itertools import chain
from operator import itemgetter
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, cast

from audiencelab._exceptions import (
    AudienceLabError,
    InputProblem,
    InputValidationError,
    PassArgument,
)

__all__ = [
    "FORMATS",
    "ExportFormat",
    "columns_of",
    "convert_to_parquet",
    "csv_text",
    "encode_utf8",
    "infer_format",
    "jsonl_page",
    "parquet_staging_page",
    "problem",
    "require_pyarrow",
    "text_or_null",
]

ExportFormat = Literal["csv", "jsonl", "parquet"]
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


def problem(path: str, message: str, remedy: PassArgument | None = None) -> InputValidationError:
    return InputValidationError([InputProblem(path, message, remedy=remedy)])


def require_pyarrow() -> ModuleType:
    try:
        import pyarrow
    except ImportError:
        raise problem("format", _PARQUET_INSTALL) from None
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
            raise problem("format", f"unknown export format {format!r}; choose one of: {choices}")
    else:
        name = Path(path).name
        suffix = Path(name).suffix.lower()
        fmt = _SUFFIXES.get(suffix)
        if fmt is None:
            known = ", ".join(_SUFFIXES)
            if suffix == ".json":
                raise problem(
                    "path",
                    "exports are JSON Lines (one object per line), not one JSON document: name "
                    "the file .jsonl",
                    PassArgument("format", "jsonl", "to write JSON Lines under this name"),
                )
            if suffix in _COMPRESSED_SUFFIXES:
                raise problem(
                    "path",
                    f"compressed output ({suffix}) is not supported; write {known} and compress "
                    "it afterwards",
                )
            what = f"suffix {suffix!r}" if suffix else "no suffix"
            raise problem(
                "path",
                f"cannot tell the export format from {name!r} ({what}): use one of {known}",
                PassArgument("format", purpose=f"(one of: {choices})"),
            )
    if fmt == "parquet":
        require_pyarrow()
    return fmt


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


def text_or_null(column: Sequence[Any]) -> Sequence[Any]:
    """A column as Parquet and Arrow hold it: ``column`` itself when every value is a string,
    else a list of text or None (None stays null; other values as for CSV)."""
    try:
        "".join(column)
    except TypeError:
        return [_to_text_or_null(v) for v in column]
    return column


def encode_utf8(text: str) -> bytes:
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


def columns_of(
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


def csv_text(columns: Sequence[Sequence[Any]], nrows: int, neutralize: bool) -> str:
    if not nrows:
        return ""
    if not columns:
        return "\n" * nrows
    single = len(columns) == 1
    fields = [_csv_fields(col, neutralize, single) for col in columns]
    if single:
        return "\n".join(fields[0]) + "\n"
    return "\n".join(map(",".join, zip(*fields, strict=True))) + "\n"


def jsonl_page(
    rows: Sequence[Mapping[str, Any]], columns: list[str] | None, known: frozenset[str]
) -> tuple[bytes, list[str] | None, frozenset[str]]:
    """A JSON Lines page, and the keys seen so far (in first-seen order, and as a set)."""
    if not rows:
        return b"", columns, known
    if not known.issuperset(chain.from_iterable(rows)):
        columns = list(columns or ())
        columns += [k for k in dict.fromkeys(chain.from_iterable(rows)) if k not in known]
        known = frozenset(columns)
    fast = _orjson_dumps()
    if fast is not None:
        try:
            "".join(chain.from_iterable(map(dict.values, rows)))  # type: ignore[arg-type]
        except TypeError:
            pass  # a value that is not a string (a float, a list...): the json module writes it
        else:
            try:
                return b"\n".join(map(fast, rows)) + b"\n", columns, known
            except TypeError:
                pass  # a lone surrogate (orjson refuses it), or rows that are not dicts
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


@functools.cache
def _orjson_dumps() -> Callable[[Any], bytes] | None:
    """``orjson.dumps`` if orjson is installed (looked for once, on the first JSON Lines page)."""
    try:
        import orjson
    except ImportError:
        return None
    dumps: Callable[[Any], bytes] = orjson.dumps
    return dumps


def parquet_staging_page(
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
        cells[i] = text_or_null(col)
        all_text = all_text and cells[i] is col
    if exact and all_text:  # the rows are already what we want to stage
        lines = map(_JSON.encode, rows)
    elif columns:
        lines = map(
            _JSON.encode,
            (dict(zip(columns, values, strict=True)) for values in zip(*cells, strict=True)),
        )
    else:
        lines = map(_JSON.encode, ({} for _ in rows))
    return encode_utf8("\n".join(lines) + "\n")


def convert_to_parquet(staging: Path, dest: Path, columns: Sequence[str]) -> None:
    """Stream the JSON Lines staging file into a Parquet file, one batch (row group) at a time."""
    pa = require_pyarrow()
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
