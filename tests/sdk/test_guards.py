"""Behaviour that once passed the whole suite when broken: gzip downloads, the partial-failure
warning of ``create_jobs``, and the row-count warning of exports."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest

from audiencelab import EVENT_ATTRIBUTE, EnrichmentJob, InternalServerError
from tests.sdk.mock import Recorder, reply

CSV = b"EMAIL,FIRST_NAME\nann@example.com,Ann\n" * 50


def events(caplog: pytest.LogCaptureFixture, event: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if getattr(r, EVENT_ATTRIBUTE, None) == event]


def done_job(url: str) -> EnrichmentJob:
    return EnrichmentJob(id="j-1", status="COMPLETED", csv_url=url)


def test_a_gzip_result_is_unpacked(tmp_path: Path) -> None:
    recorder = Recorder([reply(200, gzip.compress(CSV))])
    with recorder.sync_client() as client:
        summary = client.enrichment.download(
            done_job("https://files.example/r.csv.gz"), tmp_path / "r.csv"
        )
    assert (tmp_path / "r.csv").read_bytes() == CSV
    assert summary.bytes_written == len(CSV)


def test_a_gzip_result_is_kept_packed_under_a_gz_name(tmp_path: Path) -> None:
    packed = gzip.compress(CSV)
    recorder = Recorder([reply(200, packed)])
    with recorder.sync_client() as client:
        client.enrichment.download(
            done_job("https://files.example/r.csv.gz"), tmp_path / "r.csv.gz"
        )
    assert (tmp_path / "r.csv.gz").read_bytes() == packed


@pytest.mark.anyio
async def test_a_gzip_result_is_unpacked_by_the_async_client(tmp_path: Path) -> None:
    recorder = Recorder([reply(200, gzip.compress(CSV))])
    async with recorder.async_client() as client:
        await client.enrichment.download(done_job("https://files.example/r.gz"), tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes() == CSV


RECORDS = [{"email": f"p{i}@example.com"} for i in range(25)]


def job_replies() -> list[object]:
    return [
        reply(202, {"jobId": "j-1", "status": "IN_QUEUE"}),
        reply(202, {"jobId": "j-2", "status": "IN_QUEUE"}),
        reply(500, b"boom"),  # the third part: a create is never repeated
    ]


def test_create_jobs_names_the_jobs_it_created_before_failing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="audiencelab")
    recorder = Recorder(job_replies())  # type: ignore[arg-type]
    with recorder.sync_client() as client, pytest.raises(InternalServerError):
        client.enrichment.create_jobs("Leads", RECORDS, records_per_job=10)
    assert len(recorder.requests) == 3
    [warning] = events(caplog, "partial_jobs")
    assert "['j-1', 'j-2']" in warning


@pytest.mark.anyio
async def test_async_create_jobs_names_the_jobs_it_created_before_failing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="audiencelab")
    recorder = Recorder(job_replies())  # type: ignore[arg-type]
    async with recorder.async_client() as client:
        with pytest.raises(InternalServerError):
            await client.enrichment.create_jobs("Leads", RECORDS, records_per_job=10)
    [warning] = events(caplog, "partial_jobs")
    assert "['j-1', 'j-2']" in warning


def test_an_export_that_gets_fewer_rows_than_announced_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="audiencelab")
    page = {"data": [{"A": str(i)} for i in range(8)], "total_records": 10, "total_pages": 1}
    with Recorder([reply(200, page)]).sync_client() as client:
        summary = client.audiences.export("a-1", tmp_path / "out.csv", wait_timeout=0)
    assert summary.rows == 8
    [warning] = events(caplog, "row_count_mismatch")
    assert "exported 8 rows but the API announced 10" in warning


def test_an_export_with_the_announced_rows_does_not_warn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="audiencelab")
    page = {"data": [{"A": str(i)} for i in range(8)], "total_records": 8, "total_pages": 1}
    with Recorder([reply(200, page)]).sync_client() as client:
        client.audiences.export("a-1", tmp_path / "out.csv", wait_timeout=0)
    assert events(caplog, "row_count_mismatch") == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_an_empty_audience_still_names_its_columns(tmp_path: Path, suffix: str) -> None:
    import pyarrow.parquet as pq

    from audiencelab._columns import RECORD_COLUMNS

    empty = {"data": [], "total_records": 0, "total_pages": 0, "page": 1}
    target = tmp_path / f"empty{suffix}"
    with Recorder([reply(200, empty)]).sync_client() as client:
        summary = client.audiences.export("a-1", target, wait_timeout=0)
    assert summary.rows == 0
    if suffix == ".csv":
        assert target.read_text(encoding="utf-8") == ",".join(RECORD_COLUMNS) + "\n"
        assert summary.columns == RECORD_COLUMNS
    elif suffix == ".parquet":
        table = pq.read_table(target)
        assert (table.num_rows, tuple(table.column_names)) == (0, RECORD_COLUMNS)
    else:
        assert target.read_bytes() == b""  # JSON Lines has no header: one object per record


def test_a_vocabulary_that_cannot_be_fetched_never_blocks_a_create(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="audiencelab")
    recorder = Recorder(
        [reply(403, {"error": {"code": "FORBIDDEN"}}), reply(200, {"audienceId": "a-1"})]
    )
    with recorder.sync_client() as client:
        created = client.audiences.create(
            name="n", filters={"businessProfile": {"industry": ["Sofware Development"]}}
        )
    assert created.audience_id == "a-1"  # not checked: the list could not be had
    assert [r.url.path for r in recorder.requests] == [
        "/audiences/attributes/industries",
        "/audiences",
    ]
    [why] = events(caplog, "vocabulary_unavailable")
    assert "not checking industries values" in why
    assert "HTTP 403" in why
