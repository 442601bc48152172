"""The Sandbox helper (a real uvicorn server in a thread) and persistence in SQLite."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

from audiencelab.sandbox import DEFAULT_API_KEY, Sandbox, SandboxConfig
from audiencelab.sandbox._store import Audience, Store
from tests.golden import golden_bytes

from .conftest import KEY, OTHER_KEY
from .helpers import row_problems


@pytest.mark.slow
def test_sandbox_starts_fast_and_stops_fast() -> None:
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        sb = Sandbox(SandboxConfig(port=0, build_seconds=0)).start()
        started = time.perf_counter() - t0
        assert sb.base_url.startswith("http://127.0.0.1:")
        assert sb.api_key == DEFAULT_API_KEY
        client = httpx.Client(base_url=sb.base_url, headers={"X-Api-Key": sb.api_key})
        assert client.get("/audiences").status_code == 200  # leaves a keep-alive connection open
        t0 = time.perf_counter()
        sb.stop()
        stopped = time.perf_counter() - t0
        client.close()
        timings.append((started, stopped))
    print("\nstart/stop (s):", ", ".join(f"{a:.3f}/{b:.3f}" for a, b in timings))
    assert max(a for a, _ in timings) < 5
    assert max(b for _, b in timings) < 3  # typically ~0.2 s


def test_live_server_end_to_end(live: Sandbox) -> None:
    with live.client() as client:
        r = client.post("/audiences", content=golden_bytes("create_audience.request"))
        assert r.status_code == 200
        filters = {"city": ["Boston"], "attributes": {"education": ["master's"]}}
        audience_id = client.post("/audiences", json={"name": "b", "filters": filters}).json()[
            "audienceId"
        ]
        body = client.get(f"/audiences/{audience_id}", params={"page_size": 1000}).json()
        assert body["total_records"] > 1000
        assert len(body["data"]) == 1000
        for row in body["data"]:
            assert row_problems(row, filters) == []
    with httpx.Client(base_url=live.base_url) as raw:
        for header in ("X-API-KEY", "x-api-key", "X-Api-Key"):
            assert raw.get("/audiences", headers={header: KEY}).status_code == 200
        assert raw.get("/audiences").status_code == 401


def test_concurrent_clients(live: Sandbox) -> None:
    errors: list[BaseException] = []

    def work(key: str) -> None:
        try:
            with httpx.Client(base_url=live.base_url, headers={"X-Api-Key": key}) as client:
                for _ in range(10):
                    assert (
                        client.post(
                            "/pixels", json={"websiteName": "a", "websiteUrl": "https://a.example"}
                        ).status_code
                        == 200
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in (KEY, OTHER_KEY, KEY, OTHER_KEY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with live.client() as client:
        assert client.get("/pixels").json()["total_records"] >= 20


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "state.db")
    config = SandboxConfig(port=0, db=db, api_keys=(KEY,), build_seconds=0)
    with Sandbox(config) as sb, sb.client() as client:
        audience_id = client.post(
            "/audiences", json={"name": "kept", "filters": {"state": ["FL"]}}
        ).json()["audienceId"]
        page = client.get(f"/audiences/{audience_id}", params={"page": 3}).json()
        job_id = client.post(
            "/enrichments", content=golden_bytes("create_enrichment_job.request")
        ).json()["jobId"]
        pixel_id = client.post("/pixels", content=golden_bytes("create_pixel.request")).json()[
            "pixel_id"
        ]
        deleted = client.post("/audiences", json={"name": "gone", "filters": {}}).json()[
            "audienceId"
        ]
        assert client.delete(f"/audiences/{deleted}").status_code == 200
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Sandbox(config) as sb, sb.client() as client:
        assert [a["id"] for a in client.get("/audiences").json()["data"]] == [audience_id]
        assert client.get(f"/audiences/{audience_id}", params={"page": 3}).json() == page
        assert client.get(f"/audiences/{deleted}").status_code == 404
        assert [j["id"] for j in client.get("/enrichments").json()["data"]] == [job_id]
        assert client.get(f"/pixels/{pixel_id}").status_code == 200


def test_building_state_is_wall_clock_and_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "build.db")
    with Sandbox(SandboxConfig(port=0, db=db, build_seconds=3600)) as sb, sb.client() as client:
        audience_id = client.post("/audiences", json={"name": "slow", "filters": {}}).json()[
            "audienceId"
        ]
        assert client.get(f"/audiences/{audience_id}").json() == {"status": "no data"}
    # restarting with a shorter build time does not change an audience already being built
    with Sandbox(SandboxConfig(port=0, db=db, build_seconds=0)) as sb, sb.client() as client:
        assert client.get(f"/audiences/{audience_id}").json() == {"status": "no data"}


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "tx.db"))
    audience = Audience("a1", "n", {"name": "n", "filters": {}}, 10, 1.0, 1.0)

    def crash_mid_request() -> None:
        with store.transaction() as cur:
            cur.execute(
                "INSERT INTO audiences (id, tenant, name, request, size, created_at, ready_at) "
                "VALUES ('half', 't', 'n', '{}', 1, 0, 0)"
            )
            raise RuntimeError("crash in the middle of a request")

    with pytest.raises(RuntimeError):
        crash_mid_request()
    assert store.list_audiences("t", 10, 0) == (0, [])
    store.add_audience("t", audience)
    with pytest.raises(sqlite3.IntegrityError):
        store.add_audience("t", audience)  # same id: the whole insert is refused
    assert store.list_audiences("t", 10, 0)[0] == 1
    assert store.integrity_check() == "ok"
    store.close()


def test_sandbox_port_in_use_is_a_clear_error() -> None:
    with Sandbox(SandboxConfig(port=0)) as sb:
        from audiencelab.sandbox import SandboxStartError

        with pytest.raises(SandboxStartError, match="cannot listen"):
            Sandbox(SandboxConfig(port=sb.port)).start()


def test_stopping_answers_requests_in_flight_with_a_json_503() -> None:
    sb = Sandbox(SandboxConfig(port=0, latency_ms=20_000)).start()
    answers: list[httpx.Response] = []

    def slow_request() -> None:
        answers.append(
            httpx.get(f"{sb.base_url}/audiences", headers={"X-Api-Key": sb.api_key}, timeout=30)
        )

    thread = threading.Thread(target=slow_request)
    thread.start()
    deadline = time.monotonic() + 10
    assert sb.app is not None
    while sb.app.stats["requests"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.perf_counter()
    sb.stop()
    assert time.perf_counter() - t0 < 5  # not the 20 s the request would have taken
    thread.join(timeout=10)
    assert len(answers) == 1
    assert answers[0].status_code == 503
    assert answers[0].json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    """Files written before jobs had an outcome still open, with their jobs completed."""
    db = tmp_path / "v1.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1'), ('secret', 'abc');
        CREATE TABLE jobs (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL,
            name TEXT NOT NULL, operator TEXT NOT NULL, columns TEXT NOT NULL,
            records TEXT NOT NULL, total INTEGER NOT NULL, created_at REAL NOT NULL,
            started_at REAL NOT NULL, ready_at REAL NOT NULL
        );
        INSERT INTO jobs (id, tenant, name, operator, columns, records, total, created_at,
                          started_at, ready_at)
        VALUES ('j1', 't', 'old job', 'OR', '[]', '[{"email": "a@example.com"}]', 1, 1, 1, 1);
        """
    )
    conn.commit()
    conn.close()
    store = Store(str(db))
    total, jobs = store.list_jobs("t", 10, 0)
    assert (total, jobs[0].name, jobs[0].outcome) == (1, "old job", "COMPLETED")
    store.close()
    reopened = sqlite3.connect(db)
    assert reopened.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
        "2",
    )
    reopened.close()
    Store(str(db)).close()  # opening it again is fine


def test_the_event_loop_never_checkpoints_the_log(tmp_path: Path) -> None:
    """Checkpoints (which write and sync the database file) run every CHECKPOINT_WRITES commits,
    in a thread of their own, so that a commit that must not wait (the event loop's) does not;
    the log is copied into the database file all the same."""
    import threading

    from audiencelab.sandbox import _store
    from audiencelab.sandbox._store import CHECKPOINT_WRITES, Audience, Store

    store = Store(str(tmp_path / "c.db"))
    threads: list[str] = []
    checkpoint = Store._checkpoint

    def watched(self: Store) -> None:
        threads.append(threading.current_thread().name)
        checkpoint(self)

    try:
        assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        _store.Store._checkpoint = watched  # type: ignore[method-assign]
        for i in range(5 * CHECKPOINT_WRITES):
            store.add_audience("t", Audience(f"id{i}", "n", {"filters": {}}, 1, 0.0, 0.0))
            if i % CHECKPOINT_WRITES == CHECKPOINT_WRITES - 1 and store._checkpoint_thread:
                store._checkpoint_thread.join(10)  # (a server pauses; this loop would not)
        assert len(threads) == 5  # every 200 commits, and never in the committing thread
        assert threading.current_thread().name not in threads
        wal = tmp_path / "c.db-wal"
        # without checkpoints the log holds every commit (some 17 MB here); with them it is
        # reused from its start after each one
        assert wal.stat().st_size < 6 * 1024 * 1024, wal.stat().st_size
        total, _ = store.list_audiences("t", 1, 0)
        assert total == 5 * CHECKPOINT_WRITES
        assert store.integrity_check() == "ok"
    finally:
        _store.Store._checkpoint = checkpoint  # type: ignore[method-assign]
        store.close()
