"""Streaming a result file (an enrichment job's ``csv_url``) to disk.

The body goes to ``<path>.part`` chunk by chunk and is moved into place only when complete, so a
failed download never leaves a truncated file under the real name. A gzip body (``.csv.gz``) is
unpacked on the fly unless the target name itself ends in ``.gz``.
"""

from __future__ import annotations

import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from audiencelab._config import is_loopback_host
from audiencelab._exceptions import InputProblem, InputValidationError, PassArgument
from audiencelab._sansio import Operation

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class DownloadSummary:
    path: Path
    bytes_written: int
    seconds: float


def download_op(url: str) -> Operation[None]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputValidationError([InputProblem("csv_url", f"not a downloadable URL: {url!r}")])
    if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
        # The file holds personal data: never over plain http, except from this machine.
        raise InputValidationError(
            [
                InputProblem(
                    "csv_url",
                    f"refusing to download personal data over plain http from {parts.hostname}; "
                    "the result URL must be https",
                )
            ]
        )
    return Operation("GET", parts.path, parse=lambda r: None, absolute_url=url)


def target_path(path: str | os.PathLike[str], overwrite: bool) -> Path:
    target = Path(path)
    if target.exists() and not overwrite:
        raise InputValidationError(
            [
                InputProblem(
                    "path",
                    f"{str(target)!r} already exists",
                    remedy=PassArgument("overwrite", True, "to replace it"),
                )
            ]
        )
    if not target.parent.is_dir():
        raise InputValidationError(
            [InputProblem("path", f"the folder {str(target.parent)!r} does not exist")]
        )
    return target


class BodySink(Protocol):
    """Where the clients stream a successful body, one fresh sink per attempt."""

    def write(self, chunk: bytes) -> None: ...

    def finish(self, success: bool) -> None: ...

    def discard(self) -> None: ...


class ChunkBuffer:
    """Keeps a body as the chunks it arrived in, for the parsing thread to join when needed.

    Export pages are read by worker threads; joining a ~2.5 MB page there would allocate it in
    that thread's malloc arena, and eight such arenas hold on to their peak. Only the thread that
    parses a page joins it, just before parsing, so big buffers come and go in one place.
    """

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def finish(self, success: bool) -> None:
        if not success:
            self.chunks.clear()

    def discard(self) -> None:
        self.chunks.clear()


class Download:
    """One download: its target, a fresh writer per attempt, and the summary at the end."""

    def __init__(self, path: str | os.PathLike[str], overwrite: bool) -> None:
        self.target = target_path(path, overwrite)
        self.writer: BodyWriter | None = None
        self.started = time.perf_counter()

    def new_writer(self) -> BodyWriter:
        self.writer = BodyWriter(self.target)
        return self.writer

    def summary(self) -> DownloadSummary:
        written = self.writer.bytes_written if self.writer else 0
        return DownloadSummary(self.target, written, time.perf_counter() - self.started)


class BodyWriter:
    """Writes a response body to ``<target>.part``; ``commit()`` moves it into place."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.part = target.with_name(target.name + ".part")
        self.file = self.part.open("wb")
        self.keep_gzip = target.name.endswith(".gz")
        self.inflater: zlib._Decompress | None = None
        self.started = False
        self.bytes_written = 0

    def write(self, chunk: bytes) -> None:
        if not self.started:
            self.started = True
            if chunk.startswith(_GZIP_MAGIC) and not self.keep_gzip:
                self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = self.inflater.decompress(chunk) if self.inflater else chunk
        self.file.write(data)
        self.bytes_written += len(data)

    def finish(self, success: bool) -> None:
        """After an attempt: keep the file if it succeeded, else drop it (a retry starts afresh)."""
        if success:
            self.commit()
        else:
            self.discard()

    def commit(self) -> None:
        if self.inflater is not None:
            tail = self.inflater.flush()
            self.file.write(tail)
            self.bytes_written += len(tail)
        self.file.close()
        os.replace(self.part, self.target)

    def discard(self) -> None:
        self.file.close()
        self.part.unlink(missing_ok=True)
