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

import orjson

__all__ = ["Audience", "Busy", "Job", "Pixel", "Store"]

SCHEMA_VERSION = 2
#: Commits between two checkpoints of the write-ahead log into the database file (SQLite's own
#: default is about 1,000 pages; a commit here is one or a few).
CHECKPOINT_WRITES = 200
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
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    pixel_id TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_tenant ON deliveries (tenant, pixel_id, seq);
CREATE TABLE IF NOT EXISTS webhook_cursors (
    pixel_id TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);
"""


class Busy(Exception):
    """A read that must not wait found the connection in use (by a write, say)."""


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
        self._wal = False
        self._commits = 0  # since the last checkpoint
        self._checkpointer: sqlite3.Connection | None = None
        self._checkpoint_lock = threading.Lock()
        self._checkpoint_thread: threading.Thread | None = None
        self._closed = False
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=10
        )
        self._conn.execute("PRAGMA busy_timeout = 10000")
        if path != ":memory:" and not path.startswith("file::memory:"):
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - filesystems without shared memory
                raise RuntimeError(f"cannot use WAL mode for {path} (got {mode})")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            # checkpoints run in a thread of their own every CHECKPOINT_WRITES commits, never
            # inside a commit (the event loop's must not write and sync the database file)
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._wal = True
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
        self._commits = 0

    @contextmanager
    def transaction(self, *, wait: bool = True) -> Iterator[sqlite3.Cursor]:
        """One atomic unit of work: committed when the block ends, rolled back if it raises.

        With ``wait=False`` it raises :class:`Busy` (before anything is done) rather than wait
        for the connection (held by a worker thread's write, say). Every CHECKPOINT_WRITES
        commits, a checkpoint starts in a thread of its own.
        """
        if wait:
            self._lock.acquire()
        elif not self._lock.acquire(blocking=False):
            raise Busy("transaction")
        try:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
                self._commits += 1
                if self._checkpoint_due():
                    self._start_checkpoint()
            finally:
                cur.close()
        finally:
            self._lock.release()

    def _start_checkpoint(self) -> None:
        """Copy the write-ahead log into the database file in a thread of its own, on a
        connection of its own: a passive checkpoint blocks no reader or writer, and whoever
        committed (the event loop, say) does not wait for its writes and syncs."""
        self._commits = 0
        if self._checkpoint_thread is not None and self._checkpoint_thread.is_alive():
            return  # one at a time; the next one comes CHECKPOINT_WRITES commits later
        self._checkpoint_thread = threading.Thread(
            target=self._checkpoint, name="audiencelab-sandbox-checkpoint", daemon=True
        )
        self._checkpoint_thread.start()

    def _checkpoint(self) -> None:
        with self._checkpoint_lock:
            if self._closed:
                return
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(self.path, check_same_thread=False)
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _checkpoint_due(self) -> bool:
        return self._wal and self._commits >= CHECKPOINT_WRITES

    def _read(
        self, sql: str, args: tuple[Any, ...] = (), *, wait: bool = True
    ) -> list[tuple[Any, ...]]:
        if not self._lock.acquire(blocking=wait):
            raise Busy(sql)
        try:
            return self._conn.execute(sql, args).fetchall()
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock, self._checkpoint_lock:  # a running checkpoint ends first
            self._closed = True
            self._conn.close()
            if self._checkpointer is not None:
                self._checkpointer.close()

    # audiences -------------------------------------------------------------------------------

    def add_audience(self, tenant: str, audience: Audience, *, wait: bool = True) -> None:
        with self.transaction(wait=wait) as cur:
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

    def get_audience(self, tenant: str, audience_id: str, *, wait: bool = True) -> Audience | None:
        """The audience, or ``None``; with ``wait=False``, :class:`Busy` rather than wait for
        the connection (the event loop asks so)."""
        rows = self._read(
            "SELECT id, name, request, size, created_at, ready_at FROM audiences "
            "WHERE tenant = ? AND id = ? AND deleted_at IS NULL",
            (tenant, audience_id),
            wait=wait,
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
        # encoded before the lock is taken: 100,000 records take a while, and readers wait
        text = orjson.dumps(records).decode()
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO jobs (id, tenant, name, operator, columns, records, total, created_at, "
                "started_at, ready_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id, job.tenant, job.name, job.operator, json.dumps(list(job.columns)),
                    text, job.total, job.created_at, job.started_at, job.ready_at, job.outcome,
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
        return list(orjson.loads(rows[0][0])) if rows else []

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

    def pixels_with_webhooks(self) -> list[tuple[str, Pixel]]:
        """(tenant, pixel) of every pixel with a ``webhook_url``, of every tenant."""
        rows = self._read(
            f"SELECT tenant, {self._PIXEL_COLUMNS} FROM pixels WHERE deleted_at IS NULL "
            "AND webhook_url IS NOT NULL ORDER BY seq"
        )
        return [(r[0], Pixel(*r[1:])) for r in rows]

    def set_webhook_url(self, tenant: str, pixel_id: str, url: str | None) -> bool:
        with self.transaction() as cur:
            cur.execute(
                "UPDATE pixels SET webhook_url = ? WHERE tenant = ? AND id = ? "
                "AND deleted_at IS NULL",
                (url, tenant, pixel_id),
            )
            return cur.rowcount == 1

    # webhook deliveries (``_deliveries.py``): a record per delivery, a cursor per pixel ----------

    def next_webhook_events(self, pixel_id: str, count: int) -> int:
        """Move the pixel's cursor ``count`` events on; return where it was."""
        with self.transaction() as cur:
            row = cur.execute(
                "SELECT next FROM webhook_cursors WHERE pixel_id = ?", (pixel_id,)
            ).fetchone()
            start = int(row[0]) if row else 0
            cur.execute(
                "INSERT INTO webhook_cursors (pixel_id, next) VALUES (?, ?) "
                "ON CONFLICT(pixel_id) DO UPDATE SET next = excluded.next",
                (pixel_id, start + count),
            )
        return start

    def save_delivery(self, tenant: str, record: dict[str, Any]) -> None:
        """Insert or replace one delivery's record (a JSON object with ``id`` and ``pixel_id``)."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO deliveries (id, tenant, pixel_id, record) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET record = excluded.record",
                (record["id"], tenant, record["pixel_id"], json.dumps(record)),
            )

    def deliveries(self, tenant: str, pixel_id: str | None, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` deliveries of a tenant (of one pixel), oldest first."""
        where, args = "tenant = ?", [tenant]
        if pixel_id is not None:
            where, args = where + " AND pixel_id = ?", [*args, pixel_id]
        rows = self._read(
            f"SELECT record FROM deliveries WHERE {where} ORDER BY seq DESC LIMIT ?",
            (*args, limit),
        )
        return [json.loads(r[0]) for r in reversed(rows)]

    def integrity_check(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0][0])
