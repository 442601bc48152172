"""The real ``audiencelab sandbox serve`` command, as a newcomer would run it, driven by plain httpx
and by curl running the official example of reference §3.1."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

from tests.golden import assert_same_shape, golden_bytes

from .conftest import KEY, OTHER_KEY, ServerProcess, audiencelab_command, start_server
from .helpers import row_problems


def curl() -> str:
    path = shutil.which("curl")
    if path is None:
        raise AssertionError("curl is not on PATH: these tests drive the sandbox with curl")
    return path


def run_official_curl_example(base_url: str, key: str) -> subprocess.CompletedProcess[str]:
    """The curl example of the Create Audience page, verbatim except for the URL and key."""
    body = golden_bytes("create_audience.request").decode().rstrip("\n")
    script = f"""{curl()} --request POST \\
  --url {base_url}/audiences \\
  --header 'Content-Type: application/json' \\
  --header 'X-Api-Key: {key}' \\
  --data @- <<EOF
{body}
EOF
"""
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.slow
def test_newcomer_flow_with_curl_and_httpx(server: ServerProcess) -> None:
    done = run_official_curl_example(server.base_url, KEY)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert_same_shape(body, "create_audience.response")
    assert list(body) == ["audienceId"]
    assert uuid.UUID(body["audienceId"]).version == 4

    # ... then pages a real audience's records and sees people who match the filters
    filters = {"state": ["Texas"], "age": {"minAge": 25, "maxAge": 45}, "gender": ["F"]}
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}, timeout=30) as client:
        created = client.post("/audiences", json={"name": "Texas women", "filters": filters})
        audience_id = created.json()["audienceId"]
        seen = 0
        page = 1
        while True:
            r = client.get(f"/audiences/{audience_id}", params={"page": page, "page_size": 1000})
            assert r.status_code == 200
            data = r.json()
            assert_same_shape(data, "audience_records.response")
            assert data["total_records"] == 10_000
            assert data["total_pages"] == 10
            for row in data["data"]:
                assert row_problems(row, filters) == []
            seen += len(data["data"])
            if page >= data["total_pages"]:
                break
            page += 1
        assert seen == 10_000
        other = httpx.get(
            f"{server.base_url}/audiences/{audience_id}", headers={"X-Api-Key": OTHER_KEY}
        )
        assert other.status_code == 404
        assert httpx.get(f"{server.base_url}/audiences").status_code == 401
    code, _out, err = server.stop()
    assert code == 0
    assert "Traceback" not in err


@pytest.mark.slow
def test_curl_with_a_bad_key_gets_401(server: ServerProcess) -> None:
    done = run_official_curl_example(server.base_url, "sk_test_unknown")
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    assert json.loads(done.stdout)["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.slow
def test_state_survives_a_restart_of_the_process(tmp_path: Path) -> None:
    db = str(tmp_path / "restart.db")
    first = start_server("--db", db, "--api-key", KEY, "--build-seconds", "0")
    with httpx.Client(base_url=first.base_url, headers={"X-Api-Key": KEY}) as client:
        created = client.post("/audiences", json={"name": "p", "filters": {"city": ["Denver"]}})
        audience_id = created.json()["audienceId"]
        page = client.get(f"/audiences/{audience_id}", params={"page": 2, "page_size": 50}).json()
    code, _out, err = first.stop(signal.SIGTERM)
    assert code == 0, err
    second = start_server("--db", db, "--api-key", KEY)
    try:
        with httpx.Client(base_url=second.base_url, headers={"X-Api-Key": KEY}) as client:
            again = client.get(f"/audiences/{audience_id}", params={"page": 2, "page_size": 50})
            assert again.json() == page
    finally:
        code, _out, err = second.stop()
    assert code == 0
    assert "Traceback" not in err


@pytest.mark.slow
def test_banner_default_key_and_ctrl_c() -> None:
    srv = start_server()
    banner = "\n".join(srv.banner)
    assert "sk_test_sandbox" in banner
    assert srv.base_url.startswith("http://127.0.0.1:")
    r = httpx.get(f"{srv.base_url}/audiences", headers={"X-Api-Key": "sk_test_sandbox"})
    assert r.status_code == 200
    code, out, err = srv.stop(signal.SIGINT)
    assert code == 0
    assert "Traceback" not in err + out
    assert "KeyboardInterrupt" not in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--port", "abc"], "--port must be an integer between 0 and 65535"),
        (["--port", "70000"], "--port must be an integer"),
        (["--fail-rate", "1.5"], "--fail-rate must be a number between 0 and 1"),
        (["--drop-rate", "-0.1"], "--drop-rate must be a number between 0 and 1"),
        (["--fail-rate", "0.6", "--drop-rate", "0.6"], "must not exceed 1"),
        (
            ["--max-audience-size", "0"],
            "--max-audience-size must be an integer between 1 and 5000000",
        ),
        (["--max-audience-size", "5000001"], "--max-audience-size"),
        (["--build-seconds", "soon"], "--build-seconds must be a number"),
        (["--latency", "-5"], "--latency must be a number"),
        (["--rate-limit", "0"], "--rate-limit must be a number"),
        (["--seed", "x"], "--seed must be an integer"),
        (["--api-key", "sk_live_abcdef"], "sk_live_"),
        (["--api-key", "has space"], "is not valid"),
    ],
)
@pytest.mark.slow
def test_bad_flag_values_give_one_error_line_and_exit_2(args: list[str], fragment: str) -> None:
    done = subprocess.run(
        [*audiencelab_command(), "sandbox", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "abcdef" not in done.stderr  # a would-be live key is never echoed


@pytest.mark.slow
def test_non_loopback_host_warns_loudly() -> None:
    # 192.0.2.1 (TEST-NET-1) is not assigned here, so the bind fails after the warning.
    done = subprocess.run(
        [
            *audiencelab_command(),
            "sandbox",
            "serve",
            "--host",
            "192.0.2.1",
            "--port",
            "0",
            "--api-key",
            "sk_test_mine",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "WARNING" in done.stderr
    assert "not a loopback address" in done.stderr
    assert done.returncode == 1
    assert "cannot listen on 192.0.2.1" in done.stderr


@pytest.mark.slow
def test_a_killed_server_leaves_a_consistent_database(tmp_path: Path) -> None:
    """SIGKILL in the middle of a stream of writes: after a restart every audience is whole."""
    db = str(tmp_path / "crash.db")
    srv = start_server("--db", db, "--api-key", KEY, "--build-seconds", "0")
    stop = threading.Event()
    sent: list[int] = []

    def writer() -> None:
        with httpx.Client(base_url=srv.base_url, headers={"X-Api-Key": KEY}, timeout=5) as client:
            while not stop.is_set():
                try:
                    client.post("/audiences", json={"name": "w", "filters": {"state": ["OH"]}})
                    client.post(
                        "/enrichments", content=golden_bytes("create_enrichment_job.request")
                    )
                    sent.append(1)
                except httpx.HTTPError:
                    return

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(sent) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    srv.proc.kill()
    srv.proc.communicate(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(sent) >= 30
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    again = start_server("--db", db, "--api-key", KEY, "--build-seconds", "0")
    try:
        with httpx.Client(base_url=again.base_url, headers={"X-Api-Key": KEY}) as client:
            listing = client.get("/audiences", params={"page_size": 1000}).json()
            assert listing["total_records"] >= 30
            for audience in listing["data"][:: max(1, len(listing["data"]) // 10)]:
                r = client.get(f"/audiences/{audience['id']}", params={"page_size": 5})
                assert r.status_code == 200
                assert len(r.json()["data"]) == 5
            assert client.get("/enrichments").json()["total_records"] >= 30
    finally:
        again.stop()


@pytest.mark.slow
def test_an_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are not the tables you are looking for\n" * 100)
    for db in (str(tmp_path / "missing" / "dir" / "x.db"), str(not_a_db)):
        done = subprocess.run(
            [*audiencelab_command(), "sandbox", "serve", "--port", "0", "--db", db],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith(f"error: cannot open the database {db}")
