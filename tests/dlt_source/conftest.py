"""The dlt source against a real sandbox, into DuckDB files in the test's folder.

dlt keeps everything it writes (pipelines, state, the database) under ``tmp_path``, never in the
user's home, and never reaches the network: its telemetry is off, and a guard records any attempt
to resolve or connect to an address that is not loopback (a test fails if there was one).
"""

from __future__ import annotations

import contextlib
import ipaddress
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TELEMETRY_ENV = "RUNTIME__DLTHUB_TELEMETRY"


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """dlt's telemetry off, its folders in ``tmp_path``, and no address but loopback.

    dlt writes an anonymous ID file to its global folder (``~/.dlt``, ``/var/dlt`` for root) on
    every run, telemetry or not; no setting moves that folder, so the run context's is patched.
    """
    from dlt.common.runtime import run_context

    monkeypatch.setenv(TELEMETRY_ENV, "false")
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt-data"))
    monkeypatch.setattr(run_context.active(), "_global_dir", str(tmp_path / "dlt-global"))
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            attempts.append(f"resolve {host}")
            raise OSError(f"test guard: no network but loopback ({host})")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            attempts.append(f"connect {address}")
            raise OSError(f"test guard: no network but loopback ({address})")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts
    assert attempts == [], f"something tried the network: {attempts}"


@pytest.fixture
def make_pipeline(tmp_path: Path) -> Callable[..., Any]:
    """``make_pipeline(name)``: a dlt pipeline into ``tmp_path/<name>.duckdb``, its state in
    ``tmp_path/pipelines``."""
    import dlt

    def make(name: str = "loaded", dataset: str = "audiencelab") -> Any:
        return dlt.pipeline(
            pipeline_name=name,
            destination=dlt.destinations.duckdb(str(tmp_path / f"{name}.duckdb")),
            dataset_name=dataset,
            pipelines_dir=str(tmp_path / "pipelines"),
        )

    return make


def query(pipeline: Any, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` run in the pipeline's DuckDB dataset."""
    with pipeline.sql_client() as client:
        return [tuple(row) for row in client.execute_sql(sql)]


def loaded_rows(pipeline: Any) -> dict[str, int]:
    """Rows the pipeline's last run extracted, per table (dlt's own tables left out)."""
    info = pipeline.last_trace.last_normalize_info
    counts = dict(info.row_counts) if info is not None else {}
    return {t: n for t, n in counts.items() if not t.startswith("_dlt")}


class DeadlineExceeded(Exception):
    """Raised in the main thread when a :func:`deadline` passes."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail the block after ``seconds`` instead of letting it stall (SIGALRM, main thread): a
    wait that regressed fails the test in time, not after the SDK's own 600 s."""

    def expire(signum: int, frame: object) -> None:
        raise DeadlineExceeded(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
