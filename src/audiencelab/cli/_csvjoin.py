"""Joining the result CSVs of several enrichment jobs (one split input) into one file."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Sequence
from pathlib import Path

from audiencelab.cli._errors import EXIT_API, CliError

__all__ = ["join_csv_files"]

_CHUNK = 1 << 20


def _fields(line: bytes) -> list[str]:
    text = line.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return next(csv.reader([text]), [])


def join_csv_files(parts: Sequence[tuple[str, Path]], target: Path) -> None:
    """Write the CSV files ``parts`` (``(job_id, path)`` in order) one after the other to
    ``target``, with the header of the first only (gzip-compressed if ``target`` ends in ``.gz``).

    Every part must have the same header: rows of different columns in one file would be
    misread. Rows are copied byte for byte.
    """
    header: list[str] | None = None
    first_job = ""
    eol = b"\n"
    last = b"\n"
    with gzip.open(target, "wb") if target.name.endswith(".gz") else target.open("wb") as out:
        for job_id, path in parts:
            with path.open("rb") as part:
                line = part.readline()
                if not line:
                    continue  # an empty file: no header, no rows
                fields = _fields(line)
                if header is None:
                    header, first_job = fields, job_id
                    eol = b"\r\n" if line.endswith(b"\r\n") else b"\n"
                    out.write(line)
                    last = line[-1:]
                elif fields != header:
                    raise CliError(
                        f"the results of enrichment jobs {first_job} and {job_id} have different "
                        "columns, so they cannot share one CSV header; download each job to a "
                        "file of its own",
                        EXIT_API,
                    )
                chunk = part.read(_CHUNK)
                if chunk and last != b"\n":
                    out.write(eol)  # the part before did not end its last line
                while chunk:
                    out.write(chunk)
                    last = chunk[-1:]
                    chunk = part.read(_CHUNK)
