"""The dlt source's audiences and their records, loaded into DuckDB from a real sandbox: the right
rows and columns, nothing doubled by a re-run or by a run killed midway, and the key kept secret."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from audiencelab import EVENT_ATTRIBUTE, AudienceLab, ConfigurationError, InputValidationError
from audiencelab.dlt import RESOURCES, audiencelab_source
from audiencelab.sandbox import Sandbox
from tests.dlt_source.conftest import deadline, loaded_rows, query
from tests.e2e.conftest import API_KEY, start_sandbox

BROAD = {"age": {"minAge": 18, "maxAge": 80}}
SIZE = 3_000
RECORDS = ("audiences", "audience_records")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path, max_audience_size=SIZE) as sandbox:
        yield sandbox


def create(server: Sandbox, name: str = "people", filters: dict[str, Any] | None = None) -> str:
    with AudienceLab(api_key=API_KEY, base_url=server.base_url) as client:
        return client.audiences.create(name=name, filters=filters or BROAD).audience_id


def records(server: Sandbox, audience_id: str) -> list[dict[str, Any]]:
    with AudienceLab(api_key=API_KEY, base_url=server.base_url) as client:
        return list(client.audiences.records(audience_id))


def source(server: Sandbox, **options: Any) -> Any:
    return audiencelab_source(api_key=API_KEY, base_url=server.base_url, **options)


@pytest.mark.slow
def test_an_audience_loads_with_its_rows_and_columns_and_a_rerun_changes_nothing(
    server: Sandbox, make_pipeline: Callable[..., Any]
) -> None:
    audience_id = create(server)
    rows = records(server, audience_id)
    pipeline = make_pipeline()
    pipeline.run(source(server, audience_ids=[audience_id]).with_resources(*RECORDS))
    assert loaded_rows(pipeline) == {"audiences": 1, "audience_records": SIZE}

    columns = ["audience_id", "person_key", *(c.lower() for c in rows[0])]  # UPPER -> lower
    assert "skiptrace_b2b_address" in columns
    table = pipeline.default_schema.get_table_columns("audience_records")
    assert list(table) == columns  # no column of dlt's own: the Arrow tables are loaded as they are
    assert all(table[c]["data_type"] == "text" for c in columns)
    assert [c for c in columns if table[c].get("primary_key")] == ["audience_id", "person_key"]
    quoted = ", ".join(f'"{c}"' for c in columns[2:])
    stored = query(pipeline, f"SELECT {quoted} FROM audience_records")
    assert sorted(stored) == sorted(tuple(row.values()) for row in rows)
    assert query(pipeline, "SELECT count(*) FROM audience_records WHERE person_key <> uuid") == [
        (0,)  # the person's key is the API's UUID
    ]
    assert query(pipeline, "SELECT DISTINCT audience_id FROM audience_records") == [(audience_id,)]
    assert query(pipeline, "SELECT id, name FROM audiences") == [(audience_id, "people")]

    pipeline.run(source(server, audience_ids=[audience_id]).with_resources(*RECORDS))
    assert loaded_rows(pipeline)["audience_records"] == SIZE  # read again ...
    assert query(pipeline, "SELECT count(*), count(DISTINCT uuid) FROM audience_records") == [
        (SIZE, SIZE)  # ... and replaced, not added
    ]
    assert query(pipeline, "SELECT count(*) FROM audiences") == [(1,)]


@pytest.mark.slow
def test_without_ids_every_ready_audience_loads_and_one_being_built_is_skipped(
    tmp_path: Path, make_pipeline: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="audiencelab")
    # Two sandboxes on one database: an audience made by the slow one is built in an hour.
    with start_sandbox(tmp_path, build_seconds=3600, max_audience_size=1_000) as slow:
        building = create(slow, "building")
    with start_sandbox(tmp_path, max_audience_size=1_000) as server:
        ready = [create(server, "seattle", {"city": ["Seattle"]}), create(server, "broad")]
        pipeline = make_pipeline()
        # The one being built must not be waited for: were it, the short wait_timeout fails the
        # run at once, and the deadline any longer wait (not the 600 s default).
        with deadline(120):
            pipeline.run(source(server, wait_timeout=5).with_resources(*RECORDS))
    counts = query(pipeline, "SELECT audience_id, count(*) FROM audience_records GROUP BY 1")
    assert dict(counts) == dict.fromkeys(ready, 1_000)
    assert query(pipeline, "SELECT count(*) FROM audiences") == [(3,)]
    skipped = [
        r.getMessage()
        for r in caplog.records
        if getattr(r, EVENT_ATTRIBUTE, None) == "audience_skipped"
    ]
    assert len(skipped) == 1
    assert building in skipped[0]


KILLABLE = textwrap.dedent(
    """
    import os, signal, sys
    import dlt
    from dlt.common.storages.load_package import PackageStorage
    from audiencelab.dlt import audiencelab_source

    base_url, key, folder, mode, *audience_ids = sys.argv[1:]
    source = audiencelab_source(
        api_key=key, base_url=base_url, audience_ids=audience_ids, page_size=250
    ).with_resources("audience_records")
    tables = []

    def count(table):
        tables.append(table)
        if mode == "extract" and len(tables) == 3:  # mid-extract: 750 of the rows read
            os.kill(os.getpid(), signal.SIGKILL)
        return table

    source.audience_records.add_map(count)
    save_pending_transition = PackageStorage.save_pending_transition

    def killed_when_committed(self, load_id, file_name, *args):
        # dlt notes here that the destination committed a job, so that a resumed load does not
        # run it again; killed just before: "staged", the records were copied into the staging
        # table (a resumed load copies them again); "merged", the merge into audience_records.
        ours = file_name.startswith("audience_records.")
        merge = file_name.endswith(".sql")
        if ours and ((mode == "staged" and not merge) or (mode == "merged" and merge)):
            os.kill(os.getpid(), signal.SIGKILL)
        return save_pending_transition(self, load_id, file_name, *args)

    PackageStorage.save_pending_transition = killed_when_committed
    pipeline = dlt.pipeline(
        pipeline_name="killed",
        destination=dlt.destinations.duckdb(os.path.join(folder, "killed.duckdb")),
        dataset_name="audiencelab",
        pipelines_dir=os.path.join(folder, "pipelines"),
    )
    if mode == "load":  # extracted and normalized, killed before loading
        pipeline.extract(source)
        pipeline.normalize()
        os.kill(os.getpid(), signal.SIGKILL)
    pipeline.run(source)
    """
)


@pytest.mark.slow
def test_a_run_killed_at_any_step_and_run_again_leaves_every_person_once(
    server: Sandbox, tmp_path: Path, make_pipeline: Callable[..., Any]
) -> None:
    """``kill -9`` mid-extract, before loading, right after the staging copy was committed (dlt
    then copies the file again when it resumes: every row twice in the staging table), and right
    after the merge was committed: each time, running again leaves every person of every audience
    exactly once."""
    import dlt

    audiences = [create(server, "broad"), create(server, "seattle", {"city": ["Seattle"]})]
    expected = {a: sorted(tuple(row.values()) for row in records(server, a)) for a in audiences}
    pipelines = str(tmp_path / "pipelines")

    def run(mode: str) -> int:
        args = [server.base_url, API_KEY, str(tmp_path), mode, *audiences]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        done = subprocess.run(
            [sys.executable, "-c", KILLABLE, *args], env=env, capture_output=True, timeout=120
        )
        assert done.returncode in (0, -signal.SIGKILL), done.stderr.decode()[-2000:]
        return done.returncode

    def stored() -> dict[str, list[tuple[Any, ...]]]:
        pipeline = make_pipeline("killed")
        names = pipeline.default_schema.get_table_columns("audience_records")
        quoted = ", ".join(f'"{c}"' for c in names if c not in ("audience_id", "person_key"))
        return {
            a: sorted(
                query(pipeline, f"SELECT {quoted} FROM audience_records WHERE audience_id = '{a}'")
            )
            for a in audiences
        }

    assert run("whole") == 0
    assert stored() == expected
    for mode in ("extract", "load", "staged", "merged"):
        assert run(mode) == -signal.SIGKILL, mode
        pending = dlt.attach("killed", pipelines_dir=pipelines).has_pending_data
        assert pending == (mode != "extract"), mode  # a killed extract leaves no package
        assert run("whole") == 0, mode  # dlt loads the pending package (and stops there)
        assert stored() == expected, mode
    assert not dlt.attach("killed", pipelines_dir=pipelines).has_pending_data


def earlier_version(server: Sandbox, audience_id: str) -> Any:
    """``audience_records`` as the source loaded it before it had a person key: tagged with the
    audience only, ``delete-insert`` on that merge key, dlt's ``snake_case`` names."""
    import dlt
    import pyarrow as pa

    from audiencelab.dlt._rows import tagged

    def audience_records() -> Iterator[Any]:
        with (
            AudienceLab(api_key=API_KEY, base_url=server.base_url) as client,
            client.audiences.record_batches(audience_id) as reader,
        ):
            for batch in reader:
                yield tagged(pa, batch, "audience_id", audience_id)

    @dlt.source(name="audiencelab")
    def audiencelab() -> Any:
        return dlt.resource(
            audience_records,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            merge_key="audience_id",
        )

    return audiencelab()


@pytest.mark.slow
def test_a_rerun_repairs_a_table_an_earlier_version_left_with_people_twice(
    server: Sandbox, make_pipeline: Callable[..., Any]
) -> None:
    """A table loaded by the earlier source, then damaged as defect 1 damaged it (every row twice),
    is whole after one run: its old rows (no person key) are replaced, and its column names stay
    what they were (dlt does not rename the columns of a table that holds data)."""
    audience_id = create(server)
    pipeline = make_pipeline()
    pipeline.run(earlier_version(server, audience_id))
    with pipeline.sql_client() as client:
        client.execute_sql("INSERT INTO audience_records SELECT * FROM audience_records")
    assert query(pipeline, "SELECT count(*) FROM audience_records") == [(2 * SIZE,)]

    pipeline.run(source(server, audience_ids=[audience_id]).with_resources(*RECORDS))
    assert query(
        pipeline, "SELECT count(*), count(DISTINCT uuid), count(person_key) FROM audience_records"
    ) == [(SIZE, SIZE, SIZE)]
    columns = pipeline.default_schema.get_table_columns("audience_records")
    assert "skiptrace_b2_b_address" in columns  # the name the table was made with
    assert "skiptrace_b2b_address" not in columns
    pipeline.run(source(server, audience_ids=[audience_id]).with_resources(*RECORDS))
    assert query(pipeline, "SELECT count(*) FROM audience_records") == [(SIZE,)]


@pytest.mark.slow
def test_the_key_comes_from_dlt_secrets_and_reaches_no_log_state_or_file(
    server: Sandbox,
    tmp_path: Path,
    make_pipeline: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCES__AUDIENCELAB__API_KEY", API_KEY)
    monkeypatch.setenv("SOURCES__AUDIENCELAB__BASE_URL", server.base_url)
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "DEBUG")
    monkeypatch.delenv("AUDIENCELAB_API_KEY", raising=False)
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(f"{record.name}: {record.getMessage()} {record.__dict__}")

    handler = Keep(level=logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("dlt", "audiencelab", "")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        audience_id = create(server)
        made = audiencelab_source(audience_ids=[audience_id])  # key and address from dlt's config
        pipeline = make_pipeline()
        info = pipeline.run(made.with_resources(*RECORDS))
        texts = [
            repr(made),
            str(info),
            str(pipeline.last_trace),
            repr(pipeline.last_trace.asdict()),
        ]
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    assert loaded_rows(pipeline) == {"audiences": 1, "audience_records": SIZE}
    assert any(line.startswith("dlt") for line in seen)  # dlt did log, at DEBUG
    assert any("/audiences/" in line for line in seen)  # and so did the SDK
    for text in [*seen, *texts]:
        assert API_KEY not in text
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "sandbox.db"]
    assert any(p.suffix == ".duckdb" for p in written)
    assert any("pipelines" in p.parts for p in written)
    assert (tmp_path / "dlt-global" / ".anonymous_id").is_file()  # dlt's global folder is here
    for path in written:
        assert API_KEY.encode() not in path.read_bytes(), path


def test_bad_settings_are_refused_when_the_source_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputValidationError, match="pixel_versions: expected 'v3' and/or 'v4'"):
        audiencelab_source(api_key=API_KEY, pixel_versions=["v5"])
    with pytest.raises(InputValidationError, match="page_size"):
        audiencelab_source(api_key=API_KEY, page_size=5000)
    with pytest.raises(InputValidationError, match="audience_ids"):
        audiencelab_source(api_key=API_KEY, audience_ids=["ok", ""])
    monkeypatch.delenv("AUDIENCELAB_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match=r"sources\.audiencelab\.api_key"):
        audiencelab_source()
    assert list(audiencelab_source(api_key=API_KEY).resources) == list(RESOURCES)
