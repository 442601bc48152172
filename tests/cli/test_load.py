"""``audiencelab load``: people into a DuckDB file in the current folder (and any dlt destination),
re-runs that replace rather than add, one clear line for every mistake.

Commands that run a pipeline run as real subprocesses with ``HOME`` in the test's folder, so dlt's
state never lands in the developer's home; a local server stands in for dlt's telemetry endpoint
and must receive nothing.
"""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from audiencelab.sandbox import Sandbox

from .helpers import CLI, KEY, audience_ids, create_audience, run_process

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


class _Catcher(http.server.BaseHTTPRequestHandler):
    seen: list[str]

    def do_POST(self) -> None:
        self.seen.append(self.path)
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def telemetry() -> Iterator[tuple[str, list[str]]]:
    """A loopback stand-in for dlt's telemetry endpoint, and the requests it received."""
    seen: list[str] = []
    handler = type("Catcher", (_Catcher,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    """A working folder, and the environment of a command run there with its own home."""
    for name in ("RUNTIME__DLTHUB_TELEMETRY", "RUNTIME__LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)  # the command's own defaults apply
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    # dlt keeps pipelines in DLT_DATA_DIR (else ~/.dlt, or /var/dlt for root); it writes an
    # anonymous ID file to ~/.dlt whatever the settings (to /var/dlt for root: no setting moves it).
    data = tmp_path / "dlt-data"
    return work, {"HOME": str(home), "DLT_DATA_DIR": str(data), "NO_COLOR": "1"}


def count(database: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(sql).fetchall()


def assert_no_key_in_files(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_load_puts_an_audience_into_a_duckdb_file_here_and_a_rerun_replaces_it(
    cli: CLI,
    sandbox: Sandbox,
    tmp_path: Path,
    folders: tuple[Path, dict[str, str]],
    telemetry: tuple[str, list[str]],
) -> None:
    work, env = folders
    endpoint, telemetry_requests = telemetry
    env.update(
        AUDIENCELAB_API_KEY=KEY,
        AUDIENCELAB_BASE_URL=sandbox.base_url,
        RUNTIME__DLTHUB_TELEMETRY_ENDPOINT=endpoint,
    )
    audience_id = create_audience(cli, "warehouse", "--city", "Denver")
    listed = len(audience_ids(cli))  # the `audiences` table is the key's whole audience list

    first = run_process(["load", "--audience", audience_id], env, cwd=work, timeout=120)
    assert first.code == 0, first.stderr
    database = work / "audiencelab_load.duckdb"
    assert f"in duckdb ({database})" in first.stderr
    # The summary says the table's numbers: the total adds the audience list to the people.
    assert (
        f"Loaded {1500 + listed:,} rows (1,500 into audience_records, {listed:,} into audiences) "
        "into dataset 'audiencelab'"
    ) in first.stderr
    lines = {line.strip("│ ").split()[0]: line for line in first.stdout.splitlines() if "│" in line}
    assert lines["audience_records"].split("│")[2].strip() == "1,500"
    assert lines["audiences"].split("│")[2].strip() == f"{listed:,}"
    people = "SELECT count(*), count(DISTINCT uuid) FROM audiencelab.audience_records"
    assert count(database, people) == [(1500, 1500)]
    columns = {c for (c,) in count(database, "SELECT column_name FROM duckdb_columns()")}
    assert {"skiptrace_b2b_address", "personal_zip4", "person_key"} <= columns  # point 14

    second = run_process(["--json", "load", "--audience", audience_id], env, cwd=work, timeout=120)
    assert second.code == 0, second.stderr
    assert second.json() == {
        "pipeline": "audiencelab_load",
        "destination": "duckdb",
        "location": str(database),
        "dataset": "audiencelab",
        "tables": {"audience_records": 1500, "audiences": listed},
        "finished_interrupted_load": False,
    }
    assert count(database, people) == [(1500, 1500)]  # replaced, not added

    # The state is beside the file (point 16), and no copy of the people is left behind: not in
    # the pipeline folder (dlt keeps loaded files unless told), not in the staging dataset.
    state = work / ".dlt" / "pipelines" / "audiencelab_load"
    assert (state / "state.json").is_file()
    assert sorted(p.name for p in work.iterdir()) == [".dlt", "audiencelab_load.duckdb"]
    assert not Path(env["DLT_DATA_DIR"]).exists()
    assert [p for p in state.rglob("*") if p.suffix in (".parquet", ".jsonl", ".gz")] == []
    staged = "SELECT count(*) FROM audiencelab_staging.audience_records"
    assert count(database, staged) == [(0,)]
    assert_no_key_in_files(tmp_path)
    assert telemetry_requests == []


@pytest.mark.slow
def test_load_with_the_sandbox_adds_pixel_events_and_enrichments_only_once(
    tmp_path: Path, folders: tuple[Path, dict[str, str]]
) -> None:
    work, env = folders
    env.update(
        AUDIENCELAB_SANDBOX_DIR=str(tmp_path / "sandbox"), AUDIENCELAB_SANDBOX_BUILD_SECONDS="0"
    )
    made = run_process(["--sandbox", "audiences", "create", "--name", "x", "--city", "Austin"], env)
    assert made.code == 0, made.stderr
    audience_id = made.stdout.strip()
    pixel = run_process(["--sandbox", "pixels", "create", "--name", "shop", "--url", "https://shop.example.com"], env)  # fmt: skip
    assert pixel.code == 0, pixel.stderr
    leads = tmp_path / "leads.csv"
    leads.write_text("email,first_name\nana@example.com,Ana\nbo@example.com,Bo\n")
    job = run_process(["--sandbox", "enrichments", "create", str(leads), "--name", "leads"], env)
    assert job.code == 0, job.stderr

    load = ["--sandbox", "--json", "load", "--audience", audience_id, "--dataset", "people"]
    first = run_process([*load, "--pixels", "--enrichments"], env, cwd=work, timeout=120)
    assert first.code == 0, first.stderr
    tables = first.json()["tables"]  # type: ignore[index]
    assert set(tables) == {
        "audiences", "audience_records", "pixel_events", "enrichment_jobs", "enrichment_results"
    }  # fmt: skip
    assert tables["pixel_events"] > 0
    assert tables["enrichment_results"] > 0
    second = run_process([*load, "--pixels"], env, cwd=work, timeout=120)
    assert second.code == 0, second.stderr
    assert set(second.json()["tables"]) == {"audiences", "audience_records"}  # type: ignore[index]

    database = work / "audiencelab_sandbox.duckdb"
    events = count(database, "SELECT count(*), count(DISTINCT event_key) FROM people.pixel_events")
    assert events == [(tables["pixel_events"], tables["pixel_events"])]


@pytest.mark.slow
def test_an_unknown_audience_is_one_line_and_exit_4(
    sandbox: Sandbox, folders: tuple[Path, dict[str, str]]
) -> None:
    work, env = folders
    env.update(AUDIENCELAB_API_KEY=KEY, AUDIENCELAB_BASE_URL=sandbox.base_url)
    run = run_process(["load", "--audience", UNKNOWN_ID], env, cwd=work, timeout=120)
    assert run.code == 4, run.stderr
    assert run.stderr.startswith("error: ")
    assert len(run.stderr.strip().splitlines()) == 1
    assert UNKNOWN_ID in run.stderr
    assert "audiences list" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.slow
def test_a_destination_without_its_settings_is_one_line_naming_them(
    sandbox: Sandbox, folders: tuple[Path, dict[str, str]]
) -> None:
    work, env = folders
    env.update(AUDIENCELAB_API_KEY=KEY, AUDIENCELAB_BASE_URL=sandbox.base_url)
    run = run_process(["load", "--destination", "postgres"], env, cwd=work, timeout=120)
    assert run.code == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert "--destination postgres is not configured: dlt needs credentials." in run.stderr
    assert "DESTINATION__POSTGRES__CREDENTIALS__" in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--destination", "duckbd"], "unknown dlt destination 'duckbd'; did you mean 'duckdb'?"),
        (["--dataset", " "], "--dataset: give a name"),
        (["--audience", ""], "--audience: give an audience ID"),
        (["--pixel"], "no such option: --pixel; did you mean --pixels?"),
    ],
)
def test_bad_flags_exit_2_with_one_clear_line(
    cli: CLI, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    run = cli("load", *args)
    assert run.code == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1  # usage errors too (issue 19, point 10)


def test_without_the_extra_one_line_says_what_to_install(
    cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "dlt", None)  # `import dlt` now fails
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    run = cli("load", "--audience", UNKNOWN_ID)
    assert run.code == 1
    assert run.stderr == (
        "error: `audiencelab load` needs the 'dlt' extra, which is not installed (no module "
        "named 'dlt'). Install it with: pip install \"audiencelab[dlt]\" (from a checkout: pip "
        'install ".[dlt]")\n'
    )
    assert run.stdout == ""


def test_help_names_the_destinations_and_flags(cli: CLI) -> None:
    run = cli("load", "--help")
    assert run.code == 0
    for flag in ("--destination", "--dataset", "--audience", "--pixels", "--enrichments"):
        assert flag in run.stdout
    assert "duckdb" in run.stdout
    text = " ".join(run.stdout.split())
    assert "--duckdb-storage" in text
    assert "kept in .dlt/pipelines of this folder, beside the DuckDB file" in text  # not ~/.dlt
    assert "~/.dlt" not in text


@pytest.mark.slow
def test_load_uses_the_file_of_the_folder_it_runs_in(
    cli: CLI, sandbox: Sandbox, tmp_path: Path, folders: tuple[Path, dict[str, str]]
) -> None:
    """The pipeline's state outlives a folder: a later run elsewhere loads into its own folder."""
    import shutil

    work, env = folders
    env.update(AUDIENCELAB_API_KEY=KEY, AUDIENCELAB_BASE_URL=sandbox.base_url)
    audience_id = create_audience(cli, "moved", "--city", "Denver")
    first = run_process(["load", "--audience", audience_id], env, cwd=work, timeout=120)
    assert first.code == 0, first.stderr
    shutil.rmtree(work)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    second = run_process(["load", "--audience", audience_id], env, cwd=elsewhere, timeout=120)
    assert second.code == 0, second.stderr
    database = elsewhere / "audiencelab_load.duckdb"
    assert count(database, "SELECT count(*) FROM audiencelab.audience_records") == [(1500,)]


def file_version(database: Path) -> int:
    """The storage version number in a DuckDB file's header (what an older DuckDB checks)."""
    header = database.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    return int.from_bytes(header[12:20], "little")


@pytest.mark.slow
def test_the_duckdb_file_opens_in_duckdb_1_0_and_later_unless_told_otherwise(
    cli: CLI, sandbox: Sandbox, tmp_path: Path, folders: tuple[Path, dict[str, str]]
) -> None:
    """Point 15: DuckDB 2 writes files only DuckDB 2 opens; ours are in the 1.0 format (64),
    which every DuckDB since 1.0 opens, unless --duckdb-storage says otherwise; a file keeps the
    version it was made with."""
    work, env = folders
    env.update(AUDIENCELAB_API_KEY=KEY, AUDIENCELAB_BASE_URL=sandbox.base_url)
    audience_id = create_audience(cli, "versions", "--city", "Denver")
    first = run_process(["load", "--audience", audience_id], env, cwd=work, timeout=120)
    assert first.code == 0, first.stderr
    database = work / "audiencelab_load.duckdb"
    assert file_version(database) == 64
    again = ["load", "--audience", audience_id, "--duckdb-storage", "latest"]
    assert run_process(again, env, cwd=work, timeout=120).code == 0
    assert file_version(database) == 64  # an existing file keeps its version
    assert count(database, "SELECT count(*) FROM audiencelab.audience_records") == [(1500,)]

    elsewhere = tmp_path / "latest"
    elsewhere.mkdir()
    assert run_process(again, env, cwd=elsewhere, timeout=120).code == 0
    assert file_version(elsewhere / "audiencelab_load.duckdb") != 64

    bad = run_process(["load", "--duckdb-storage", "v0.0.1"], env, cwd=tmp_path, timeout=120)
    assert bad.code == 2, bad.stderr
    assert bad.stderr.startswith("error: --duckdb-storage: DuckDB ")
    assert "use e.g. v1.0.0 (read by DuckDB 1.0 and later) or latest" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "audiencelab_load.duckdb").exists()


def test_each_destination_and_dataset_has_its_own_pipeline() -> None:
    from audiencelab.cli._load import pipeline_name

    assert pipeline_name(False, "duckdb", "audiencelab") == "audiencelab_load"
    assert pipeline_name(True, "duckdb", "audiencelab") == "audiencelab_sandbox"
    assert pipeline_name(False, "duckdb", "people") == "audiencelab_load_people"
    assert pipeline_name(False, "postgres", "audiencelab") == "audiencelab_load_postgres"
    assert pipeline_name(True, "bigquery", "my-data") == "audiencelab_sandbox_bigquery_my_data"


@pytest.mark.slow
def test_a_new_duckdb_file_starts_a_new_state(
    tmp_path: Path, folders: tuple[Path, dict[str, str]]
) -> None:
    """Point 16: the state (pixel cursors here) lives beside the file; a file deleted and made
    again gets every event again, not "nothing new" from the state of the file that is gone. A
    second dataset in the same folder is a pipeline of its own."""
    work, env = folders
    env.update(
        AUDIENCELAB_SANDBOX_DIR=str(tmp_path / "sandbox"), AUDIENCELAB_SANDBOX_BUILD_SECONDS="0"
    )
    pixel = run_process(["--sandbox", "pixels", "create", "--name", "shop", "--url", "https://shop.example.com"], env)  # fmt: skip
    assert pixel.code == 0, pixel.stderr
    made = run_process(["--sandbox", "audiences", "create", "--name", "x", "--city", "Austin"], env)
    assert made.code == 0, made.stderr
    load = ["--sandbox", "--json", "load", "--audience", made.stdout.strip(), "--pixels"]

    first = run_process(load, env, cwd=work, timeout=120)
    assert first.code == 0, first.stderr
    events = first.json()["tables"]["pixel_events"]  # type: ignore[index]
    assert events > 0
    state = work / ".dlt" / "pipelines" / "audiencelab_sandbox" / "state.json"
    assert state.is_file()
    second = run_process(load, env, cwd=work, timeout=120)
    assert "pixel_events" not in second.json()["tables"]  # type: ignore[index]

    (work / "audiencelab_sandbox.duckdb").unlink()
    third = run_process(load, env, cwd=work, timeout=120)
    assert third.code == 0, third.stderr
    assert third.json()["tables"]["pixel_events"] == events  # type: ignore[index]

    other = run_process([*load, "--dataset", "people"], env, cwd=work, timeout=120)
    assert other.code == 0, other.stderr
    assert other.json()["pipeline"] == "audiencelab_sandbox_people"  # type: ignore[index]
    assert other.json()["tables"]["pixel_events"] == events  # type: ignore[index]
    database = work / "audiencelab_sandbox.duckdb"
    per_dataset = "SELECT count(*) FROM {}.pixel_events"
    assert count(database, per_dataset.format("audiencelab")) == [(events,)]
    assert count(database, per_dataset.format("people")) == [(events,)]


@pytest.mark.slow
def test_load_in_a_terminal_shows_each_audience_s_rows_and_pages(
    cli: CLI, sandbox: Sandbox, tmp_path: Path, folders: tuple[Path, dict[str, str]]
) -> None:
    """Point 6: not a spinner for 8-17 s, but rows and pages as an export shows them, then
    each step of the load."""
    import os

    import pexpect

    from .helpers import ANSI, assert_no_secret

    work, env = folders
    first = create_audience(cli, "terminal one", "--city", "Denver")
    second = create_audience(cli, "terminal two", "--city", "Austin")
    env.update(AUDIENCELAB_API_KEY=KEY, AUDIENCELAB_BASE_URL=sandbox.base_url)
    env.pop("NO_COLOR")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "audiencelab.cli", "load", "--audience", first, "--audience", second],
        env={**clean, **env, "TERM": "xterm-256color", "COLUMNS": "150"},
        cwd=str(work),
        encoding="utf-8",
        dimensions=(40, 150),
        timeout=120,
    )
    child.expect(pexpect.EOF)
    child.close()
    output = ANSI.sub("", child.before)
    assert_no_secret(output)
    assert child.exitstatus == 0, output
    for label in (f"audience 1/2 {first[:8]}", f"audience 2/2 {second[:8]}"):
        assert label in output
    assert "1,500/1,500 rows, page 2/2" in output
    assert "rows/s" in output
    for step in ("Reading from AudienceLab", "Preparing the load", "Loading into duckdb"):
        assert step in output
    assert "rows (3,000 into audience_records, " in " ".join(output.split())
