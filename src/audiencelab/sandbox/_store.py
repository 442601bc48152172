"""State of the sandbox in SQLite (standard library): audiences, custom topics, jobs, pixels.

The store only persists: it decides nothing about the API (that is the backend's job). One
connection guarded by a lock (``:memory:`` databases exist per connection), WAL mode for files.
Every change is a single transaction, so a crash mid-request never leaves half-written state. Rows
belong to a *tenant* (an opaque string chosen by the backend); every read filters on it.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["Audience", "Job", "Pixel", "Store"]

SCHEMA_VERSION = 2
#: Changes from each older schema version to the next one (applied in order when a file opens).
_MIGRATIONS = {
    # 1 -> 2: how a job ends (jobs of version 1 always completed)
    1: "ALTER TABLE jobs ADD COLUMN outcome TEXT NOT NULL DEFAULT 'COMPLETED'",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audiences (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    name TEXT NOT NULL,
    request TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    ready_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX IF NOT EXISTS audiences_tenant ON audiences (tenant, deleted_at, seq);
CREATE TABLE IF NOT EXISTS custom_audiences (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    topic TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    name TEXT NOT NULL,
    operator TEXT NOT NULL,
    columns TEXT NOT NULL,
    records TEXT NOT NULL,
    total INTEGER NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL NOT NULL,
    ready_at REAL NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'COMPLETED'
);
CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs (tenant, seq);
CREATE TABLE IF NOT EXISTS pixels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    website_name TEXT NOT NULL,
    website_url TEXT NOT NULL,
    webhook_url TEXT,
    version TEXT NOT NULL,
    created_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX IF NOT EXISTS pixels_tenant ON pixels (tenant, deleted_at, seq);
"""


@dataclass(frozen=True)
class Audience:
    id: str
    name: str
    request: dict[str, Any]
    size: int
    created_at: float
    ready_at: float


@dataclass(frozen=True)
class Job:
    id: str
    tenant: str
    name: str
    operator: str
    columns: tuple[str, ...]
    total: int
    created_at: float
    started_at: float
    ready_at: float
    #: the status the job ends with: COMPLETED, NO_DATA or FAILED
    outcome: str = "COMPLETED"


@dataclass(frozen=True)
class Pixel:
    id: str
    website_name: str
    website_url: str
    webhook_url: str | None
    version: str
    created_at: float


class Store:
    """A small repository over one SQLite connection; safe to share between threads."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=10
        )
        self._conn.execute("PRAGMA busy_timeout = 10000")
        if path != ":memory:" and not path.startswith("file::memory:"):
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - filesystems without shared memory
                raise RuntimeError(f"cannot use WAL mode for {path} (got {mode})")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        with self.transaction() as cur:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    cur.execute(statement)
            row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                cur.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('secret', ?)",
                    (str(SCHEMA_VERSION), secrets.token_hex(32)),
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{path} was written by a newer sandbox version (schema {row[0]}); "
                    "use a new --db file"
                )
            else:
                for version in range(int(row[0]), SCHEMA_VERSION):
                    cur.execute(_MIGRATIONS[version])
                cur.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
                )
            self.secret = cur.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One atomic unit of work: committed when the block ends, rolled back if it raises."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # audiences -------------------------------------------------------------------------------

    def add_audience(self, tenant: str, audience: Audience) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO audiences (id, tenant, name, request, size, created_at, ready_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    audience.id, tenant, audience.name, json.dumps(audience.request), audience.size,
                    audience.created_at, audience.ready_at,
                ),
            )  # fmt: skip

    def list_audiences(self, tenant: str, limit: int, offset: int) -> tuple[int, list[Audience]]:
        with self._lock:
            total = self._read(
                "SELECT COUNT(*) FROM audiences WHERE tenant = ? AND deleted_at IS NULL", (tenant,)
            )[0][0]
            rows = self._read(
                "SELECT id, name, request, size, created_at, ready_at FROM audiences "
                "WHERE tenant = ? AND deleted_at IS NULL ORDER BY seq LIMIT ? OFFSET ?",
                (tenant, limit, offset),
            )
        return int(total), [self._audience(r) for r in rows]

    def get_audience(self, tenant: str, audience_id: str) -> Audience | None:
        rows = self._read(
            "SELECT id, name, request, size, created_at, ready_at FROM audiences "
            "WHERE tenant = ? AND id = ? AND deleted_at IS NULL",
            (tenant, audience_id),
        )
        return self._audience(rows[0]) if rows else None

    def delete_audience(self, tenant: str, audience_id: str, now: float) -> bool:
        with self.transaction() as cur:
            cur.execute(
                "UPDATE audiences SET deleted_at = ? WHERE tenant = ? AND id = ? AND deleted_at IS NULL",
                (now, tenant, audience_id),
            )
            return cur.rowcount == 1

    @staticmethod
    def _audience(row: tuple[Any, ...]) -> Audience:
        return Audience(
            row[0], row[1], json.loads(row[2]), int(row[3]), float(row[4]), float(row[5])
        )

    def add_custom_audience(
        self, tenant: str, custom_id: str, topic: str, description: str, now: float
    ) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO custom_audiences (id, tenant, topic, description, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (custom_id, tenant, topic, description, now),
            )

    def count_custom_audiences(self, tenant: str) -> int:
        return int(
            self._read("SELECT COUNT(*) FROM custom_audiences WHERE tenant = ?", (tenant,))[0][0]
        )

    # enrichment jobs ---------------------------------------------------------------------------

    def add_job(self, job: Job, records: list[dict[str, str]]) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO jobs (id, tenant, name, operator, columns, records, total, created_at, "
                "started_at, ready_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id, job.tenant, job.name, job.operator, json.dumps(list(job.columns)),
                    json.dumps(records), job.total, job.created_at, job.started_at, job.ready_at,
                    job.outcome,
                ),
            )  # fmt: skip

    def list_jobs(self, tenant: str, limit: int, offset: int) -> tuple[int, list[Job]]:
        with self._lock:
            total = self._read("SELECT COUNT(*) FROM jobs WHERE tenant = ?", (tenant,))[0][0]
            rows = self._read(
                f"SELECT {self._JOB_COLUMNS} FROM jobs WHERE tenant = ? ORDER BY seq DESC "
                "LIMIT ? OFFSET ?",
                (tenant, limit, offset),
            )
        return int(total), [self._job(r) for r in rows]

    def get_job(self, job_id: str) -> Job | None:
        rows = self._read(f"SELECT {self._JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return self._job(rows[0]) if rows else None

    def job_records(self, job_id: str) -> list[dict[str, str]]:
        rows = self._read("SELECT records FROM jobs WHERE id = ?", (job_id,))
        return list(json.loads(rows[0][0])) if rows else []

    _JOB_COLUMNS = (
        "id, tenant, name, operator, columns, total, created_at, started_at, ready_at, outcome"
    )

    @staticmethod
    def _job(row: tuple[Any, ...]) -> Job:
        return Job(
            row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), int(row[5]),
            float(row[6]), float(row[7]), float(row[8]), str(row[9]),
        )  # fmt: skip

    # pixels ------------------------------------------------------------------------------------

    def add_pixel(self, tenant: str, pixel: Pixel) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO pixels (id, tenant, website_name, website_url, webhook_url, version, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    pixel.id, tenant, pixel.website_name, pixel.website_url, pixel.webhook_url,
                    pixel.version, pixel.created_at,
                ),
            )  # fmt: skip

    _PIXEL_COLUMNS = "id, website_name, website_url, webhook_url, version, created_at"

    def list_pixels(self, tenant: str, limit: int, offset: int) -> tuple[int, list[Pixel]]:
        with self._lock:
            total = self._read(
                "SELECT COUNT(*) FROM pixels WHERE tenant = ? AND deleted_at IS NULL", (tenant,)
            )[0][0]
            rows = self._read(
                f"SELECT {self._PIXEL_COLUMNS} FROM pixels WHERE tenant = ? AND deleted_at IS NULL "
                "ORDER BY seq LIMIT ? OFFSET ?",
                (tenant, limit, offset),
            )
        return int(total), [Pixel(*r) for r in rows]

    def get_pixel(self, tenant: str, pixel_id: str) -> Pixel | None:
        rows = self._read(
            f"SELECT {self._PIXEL_COLUMNS} FROM pixels WHERE tenant = ? AND id = ? "
            "AND deleted_at IS NULL",
            (tenant, pixel_id),
        )
        return Pixel(*rows[0]) if rows else None

    def get_pixel_any_tenant(self, pixel_id: str) -> Pixel | None:
        rows = self._read(
            f"SELECT {self._PIXEL_COLUMNS} FROM pixels WHERE id = ? AND deleted_at IS NULL",
            (pixel_id,),
        )
        return Pixel(*rows[0]) if rows else None

    def delete_pixel(self, tenant: str, pixel_id: str, now: float) -> bool:
        with self.transaction() as cur:
            cur.execute(
                "UPDATE pixels SET deleted_at = ? WHERE tenant = ? AND id = ? AND deleted_at IS NULL",
                (now, tenant, pixel_id),
            )
            return cur.rowcount == 1

    def integrity_check(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0][0])
