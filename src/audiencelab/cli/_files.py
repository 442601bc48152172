"""Reading the user's files (JSON or YAML filters and specs, CSV records).

Only reading and merging happens here: what the values mean, and whether they are valid, is for
the SDK to decide when they are passed to it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audiencelab.cli._errors import EXIT_USAGE, CliError

__all__ = [
    "TypedInt",
    "load_document",
    "read_csv_records",
    "typed_text",
]


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"{what} {str(path)!r} does not exist", EXIT_USAGE) from None
    except IsADirectoryError:
        raise CliError(f"{what} {str(path)!r} is a folder, not a file", EXIT_USAGE) from None
    except UnicodeDecodeError:
        raise CliError(f"{what} {str(path)!r} is not UTF-8 text", EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(
            f"cannot read {what} {str(path)!r}: {exc.strerror or exc}", EXIT_USAGE
        ) from None


def load_document(path: Path, what: str) -> Any:
    """A JSON (``.json``) or YAML (anything else) file, parsed; a syntax error is exit 2."""
    text = _read_text(path, what)
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CliError(
                f"{what} {str(path)!r} is not valid JSON: {exc.msg} (line {exc.lineno}, column "
                f"{exc.colno})",
                EXIT_USAGE,
            ) from None
    import yaml

    try:
        return yaml.load(text, Loader=_loader_class())  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CliError(
            f"{what} {str(path)!r} is not valid YAML: {problem}{where}", EXIT_USAGE
        ) from None


class TypedInt(int):
    """An integer YAML read from text with a leading zero (``02107``, octal for YAML), which
    remembers that text: it is sent as the number it is, but messages can quote what was typed."""

    typed: str

    def __new__(cls, value: int, typed: str) -> TypedInt:
        self = super().__new__(cls, value)
        self.typed = typed
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # copy.deepcopy keeps the text
        return (TypedInt, (int(self), self.typed))


_LOADER: Any = None


def _loader_class() -> Any:
    """PyYAML's safe loader, except that integers written with a leading zero keep their text."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class Loader(yaml.SafeLoader):
            def construct_yaml_int(self, node: Any) -> Any:
                value = super().construct_yaml_int(node)
                text = str(node.value)
                if re.fullmatch(r"[-+]?0[0-7_]+", text):
                    return TypedInt(value, text)
                return value

        Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)
        _LOADER = Loader
    return _LOADER


def typed_text(document: Any, loc: Sequence[str | int]) -> str | None:
    """What the user typed for the value at ``loc`` of a loaded document, when YAML changed it
    (see :class:`TypedInt`); else None."""
    value = document
    for part in loc:
        in_list = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        if not in_list and not (isinstance(value, Mapping) and part in value):
            return None
        value = value[part]
    return value.typed if isinstance(value, TypedInt) else None


def header_key(name: str) -> str:
    """A CSV header as the SDK's lowercase record key: ``First Name`` -> ``first_name``."""
    return re.sub(r"[\s\-]+", "_", name.strip()).lower()


def read_csv_records(path: Path) -> tuple[list[dict[str, str]], list[int]]:
    """Rows of a CSV file as dicts keyed by :func:`header_key` of the header's names, and the line
    each row starts on (for messages)."""
    text = _read_text(path, "CSV file")
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[dict[str, str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    try:
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            if header is None:
                header = [header_key(h) for h in row]
                duplicates = sorted({h for h in header if header.count(h) > 1})
                if duplicates:
                    raise CliError(
                        f"CSV file {str(path)!r}: the header names "
                        f"{', '.join(map(repr, duplicates))} more than once",
                        EXIT_USAGE,
                    )
                continue
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) > len(header):
                raise CliError(
                    f"CSV file {str(path)!r}, line {start}: {len(row)} fields but the header "
                    f"has {len(header)}",
                    EXIT_USAGE,
                )
            records.append(dict(zip(header, row, strict=False)))
            lines.append(start)
    except csv.Error as exc:
        raise CliError(
            f"CSV file {str(path)!r} cannot be read: {exc} (line {reader.line_num})", EXIT_USAGE
        ) from None
    if header is None:
        raise CliError(f"CSV file {str(path)!r} is empty: expected a header line", EXIT_USAGE)
    return records, lines


def spec_list(value: Any, path: Path) -> Sequence[Any]:
    if not isinstance(value, list):
        raise CliError(
            f"{str(path)!r} must hold a list of audience specs (name, filters, and optionally "
            f"segment and days_back), not {type(value).__name__}",
            EXIT_USAGE,
        )
    if not value:
        raise CliError(f"{str(path)!r} holds no audience specs", EXIT_USAGE)
    return value
