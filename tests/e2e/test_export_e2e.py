"""Export end to end: every format, every record once and in order, through faults and kills."""

from __future__ import annotations

import csv
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from audiencelab import (
    EVENT_ATTRIBUTE,
    AsyncAudienceLab,
    AudienceLab,
    AudienceNotReadyError,
    ExportProgress,
    RetryPolicy,
    WaitTimeoutError,
)
from audiencelab.sandbox import Sandbox
from tests.e2e.conftest import API_KEY, start_sandbox

BROAD = {"age": {"minAge": 30, "maxAge": 60}}  # reaches the sandbox's size cap


def make_audience(
    client: AudienceLab, filters: dict[str, Any] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    created = client.audiences.create(name="export", filters=filters or BROAD)
    rows = list(client.audiences.records(created.audience_id, page_size=1000))
    return created.audience_id, rows


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_every_format_holds_every_record_in_order(client: AudienceLab, tmp_path: Path) -> None:
    audience_id, rows = make_audience(
        client, {"state": ["WA"], "age": {"minAge": 40, "maxAge": 44}}
    )
    progress: list[ExportProgress] = []
    csv_summary = client.audiences.export(
        audience_id, tmp_path / "people.csv", page_size=250, concurrency=4,
        neutralize_formulas=False, on_progress=progress.append,
    )  # fmt: skip
    assert csv_summary.rows == len(rows) == csv_summary.pages * 250 - (-len(rows) % 250)
    assert read_csv(tmp_path / "people.csv") == rows
    assert progress[-1].rows == len(rows)
    assert progress[-1].total_records == len(rows)
    assert [p.rows for p in progress] == sorted(p.rows for p in progress)

    client.audiences.export(audience_id, tmp_path / "people.jsonl", page_size=300)
    lines = (tmp_path / "people.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows

    import pyarrow.parquet as pq

    summary = client.audiences.export(audience_id, tmp_path / "people.parquet", page_size=1000)
    assert summary.format == "parquet"
    assert pq.read_table(tmp_path / "people.parquet").to_pylist() == rows
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "people.csv",
        "people.jsonl",
        "people.parquet",
    ]


@pytest.mark.slow
@pytest.mark.anyio
async def test_async_export_matches_sync(
    client: AudienceLab, aclient: AsyncAudienceLab, tmp_path: Path
) -> None:
    audience_id, _ = make_audience(client, {"city": ["Seattle"]})
    client.audiences.export(audience_id, tmp_path / "sync.csv", page_size=200)
    summary = await aclient.audiences.export(
        audience_id, tmp_path / "async.csv", page_size=200, concurrency=6
    )
    assert summary.rows > 200
    assert (tmp_path / "async.csv").read_bytes() == (tmp_path / "sync.csv").read_bytes()


@pytest.mark.slow
def test_csv_neutralises_spreadsheet_formulas_by_default(
    client: AudienceLab, tmp_path: Path
) -> None:
    audience_id, rows = make_audience(client, {"city": ["Portland"], "state": ["OR"]})
    client.audiences.export(audience_id, tmp_path / "safe.csv")
    client.audiences.export(audience_id, tmp_path / "raw.csv", neutralize_formulas=False)
    safe, raw = read_csv(tmp_path / "safe.csv"), read_csv(tmp_path / "raw.csv")
    assert raw == rows
    dangerous = 0
    for safe_row, row in zip(safe, rows, strict=True):
        for column, value in row.items():
            if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                dangerous += 1
                assert safe_row[column] == "'" + value
            else:
                assert safe_row[column] == value
    assert dangerous > 0  # phone numbers like +1...: the rule is applied, not assumed


@pytest.mark.slow
def test_export_survives_faults_with_every_record_once_in_order(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """5% 5xx, 2% dropped connections and a rate limit: the file equals a clean export."""
    caplog.set_level(logging.INFO, logger="audiencelab")
    with (
        start_sandbox(tmp_path, max_audience_size=20_000) as clean,
        AudienceLab(api_key=API_KEY, base_url=clean.base_url) as c,
    ):
        audience_id = c.audiences.create(name="faulty", filters=BROAD).audience_id
        c.audiences.export(audience_id, tmp_path / "clean.csv", page_size=500)
    faulty = start_sandbox(
        tmp_path, max_audience_size=20_000, fail_rate=0.05, drop_rate=0.02, rate_limit=8, seed=7
    )
    quick = RetryPolicy(initial_delay=0.05, max_delay=0.5)
    with faulty, AudienceLab(api_key=API_KEY, base_url=faulty.base_url, retry_policy=quick) as c:
        summary = c.audiences.export(
            audience_id, tmp_path / "faulty.csv", page_size=500, concurrency=8
        )
    assert summary.rows == 20_000
    assert (tmp_path / "faulty.csv").read_bytes() == (tmp_path / "clean.csv").read_bytes()
    retries = [r.getMessage() for r in caplog.records if getattr(r, EVENT_ATTRIBUTE, "") == "retry"]
    assert any("HTTP 429" in m for m in retries)  # the faults really happened
    assert any("HTTP 5" in m for m in retries)


@pytest.mark.slow
def test_export_survives_many_dropped_connections(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="audiencelab")
    with (
        start_sandbox(tmp_path, max_audience_size=5_000) as clean,
        AudienceLab(api_key=API_KEY, base_url=clean.base_url) as c,
    ):
        audience_id = c.audiences.create(name="drops", filters=BROAD).audience_id
        c.audiences.export(audience_id, tmp_path / "clean.jsonl", page_size=100)
    with (
        start_sandbox(tmp_path, max_audience_size=5_000, drop_rate=0.25, seed=3) as lossy,
        AudienceLab(
            api_key=API_KEY,
            base_url=lossy.base_url,
            retry_policy=RetryPolicy(initial_delay=0.01, max_delay=0.1),
        ) as c,
    ):
        c.audiences.export(audience_id, tmp_path / "lossy.jsonl", page_size=100, max_retries=12)
    assert (tmp_path / "lossy.jsonl").read_bytes() == (tmp_path / "clean.jsonl").read_bytes()
    # 50 pages, a quarter of the connections dropped: a dozen drops, each survived.
    drops = [r for r in caplog.records if getattr(r, EVENT_ATTRIBUTE, None) == "transport_error"]
    assert len(drops) >= 5


KILLABLE_EXPORT = textwrap.dedent(
    """
    import sys
    from audiencelab import AudienceLab
    base_url, audience_id, path = sys.argv[1:4]
    with AudienceLab(api_key="{key}", base_url=base_url) as client:
        client.audiences.export(audience_id, path, page_size=200, concurrency=2)
    """
)


@pytest.mark.slow
def test_killed_export_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    with (
        start_sandbox(tmp_path, max_audience_size=6_000) as clean,
        AudienceLab(api_key=API_KEY, base_url=clean.base_url) as c,
    ):
        audience_id = c.audiences.create(name="killed", filters=BROAD).audience_id
        c.audiences.export(audience_id, tmp_path / "clean.jsonl", page_size=200)
    target = tmp_path / "people.jsonl"
    checkpoint = tmp_path / "people.jsonl.part.json"
    # A slow server, so the export is still running when it is killed.
    with start_sandbox(tmp_path, max_audience_size=6_000, latency_ms=60) as slow:
        script = KILLABLE_EXPORT.format(key=API_KEY)
        proc = subprocess.Popen(
            [sys.executable, "-c", script, slow.base_url, audience_id, str(target)]
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                if (
                    checkpoint.exists()
                    and json.loads(checkpoint.read_text() or "{}").get("next_page", 1) > 4
                ):
                    break
                time.sleep(0.02)
            assert proc.poll() is None, "the export finished before it could be killed"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
        assert not target.exists()
        with AudienceLab(api_key=API_KEY, base_url=slow.base_url) as c:
            summary = c.audiences.export(audience_id, target, page_size=200, resume=True)
    assert summary.resumed_from_page is not None
    assert summary.resumed_from_page > 4
    assert summary.rows == 6_000
    assert target.read_bytes() == (tmp_path / "clean.jsonl").read_bytes()
    assert not checkpoint.exists()


@pytest.mark.slow
def test_an_interrupted_export_refuses_to_restart_silently(
    client: AudienceLab, tmp_path: Path, sandbox: Sandbox
) -> None:
    audience_id, _ = make_audience(client, {"city": ["Chicago"]})
    calls = {"n": 0}

    def stop_after_two_pages(progress: ExportProgress) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.audiences.export(
            audience_id, tmp_path / "p.csv", page_size=100, on_progress=stop_after_two_pages
        )
    with pytest.raises(Exception, match="resume=True"):
        client.audiences.export(audience_id, tmp_path / "p.csv", page_size=100)
    summary = client.audiences.export(audience_id, tmp_path / "p.csv", page_size=100, resume=True)
    assert summary.resumed_from_page == 3
    client.audiences.export(audience_id, tmp_path / "whole.csv", page_size=100)
    assert (tmp_path / "p.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_export_checks_the_file_before_waiting_and_leaves_nothing_behind(tmp_path: Path) -> None:
    from audiencelab import InputValidationError, WaitTimeoutError

    with (
        start_sandbox(tmp_path, build_seconds=30) as slow,
        AudienceLab(api_key=API_KEY, base_url=slow.base_url) as c,
    ):
        audience_id = c.audiences.create(name="building", filters={"city": ["Austin"]}).audience_id
        (tmp_path / "taken.csv").write_text("keep me")
        started = time.monotonic()
        with pytest.raises(InputValidationError, match="already exists"):
            c.audiences.export(audience_id, tmp_path / "taken.csv")
        assert time.monotonic() - started < 5  # refused at once, not after the 600 s wait
        with pytest.raises(
            InputValidationError, match=r"wait_timeout: expected a number of seconds"
        ):
            c.audiences.export(audience_id, tmp_path / "out.csv", wait_timeout=-1)
        with pytest.raises(WaitTimeoutError):
            c.audiences.export(audience_id, tmp_path / "out.csv", wait_timeout=0.2)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("sandbox.db")) == [
        "taken.csv"
    ]


def _responses(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if getattr(r, EVENT_ATTRIBUTE, None) == "response"
    ]


def test_a_one_page_export_of_a_ready_audience_costs_one_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        start_sandbox(tmp_path, max_audience_size=800) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client,
    ):
        audience_id = client.audiences.create(name="small", filters=BROAD).audience_id
        client.audiences.wait_until_ready(audience_id)
        caplog.set_level(logging.DEBUG, logger="audiencelab")
        summary = client.audiences.export(audience_id, tmp_path / "small.csv", page_size=1000)
    assert summary.pages == 1
    [only] = _responses(caplog)  # the first page was the readiness probe
    assert f"/audiences/{audience_id}?page=1&page_size=1000 -> 200" in only


@pytest.mark.slow
def test_the_first_page_is_the_readiness_probe_while_building(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        start_sandbox(tmp_path, build_seconds=1.5, max_audience_size=1_500) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as c,
    ):
        audience_id = c.audiences.create(name="building", filters=BROAD).audience_id
        caplog.set_level(logging.DEBUG, logger="audiencelab")
        summary = c.audiences.export(audience_id, tmp_path / "out.csv", page_size=1000)
    assert (summary.rows, summary.pages) == (1_500, 2)
    asked = _responses(caplog)
    assert len(asked) >= 3  # page 1 while building (once or more), page 1 again, page 2
    assert all("page_size=1000" in m for m in asked)  # no one-row readiness probes
    assert sum("page=2&" in m for m in asked) == 1


def test_an_export_that_does_not_wait_says_the_audience_is_building(
    tmp_path: Path,
) -> None:
    with (
        start_sandbox(tmp_path, build_seconds=60) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as c,
    ):
        audience_id = c.audiences.create(name="building", filters=BROAD).audience_id
        with pytest.raises(AudienceNotReadyError):
            c.audiences.export(audience_id, tmp_path / "out.csv", wait_timeout=0)
        with pytest.raises(WaitTimeoutError):
            c.audiences.export(audience_id, tmp_path / "out.csv", wait_timeout=0.2)
    assert list(tmp_path.glob("out.csv*")) == []  # nothing left behind


@pytest.mark.slow
def test_record_batches_probe_with_their_first_page_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        start_sandbox(tmp_path, build_seconds=1.5, max_audience_size=1_500) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as c,
    ):
        audience_id = c.audiences.create(name="building", filters=BROAD).audience_id
        caplog.set_level(logging.DEBUG, logger="audiencelab")
        table = c.audiences.record_batches(audience_id, page_size=1000).read_all()
    assert table.num_rows == 1_500
    asked = _responses(caplog)
    assert len(asked) >= 3
    assert all("page_size=1000" in m for m in asked)
