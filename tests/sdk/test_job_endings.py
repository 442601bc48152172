"""How enrichment jobs end: COMPLETED, NO_DATA (nothing matched) or FAILED; and where results
may be downloaded from."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelab import (
    AudienceLabError,
    EnrichmentJob,
    EnrichmentJobFailedError,
    InputValidationError,
)
from tests.sdk.mock import Recorder, reply


def jobs_page(status: str, csv_url: str | None = None) -> object:
    job = {"id": "j-1", "name": "Leads", "status": status, "csv_url": csv_url, "total": 3}
    return reply(200, {"data": [job], "page": 1, "total_pages": 1, "total_records": 1})


def test_wait_raises_for_a_failed_job() -> None:
    recorder = Recorder([jobs_page("PROCESSING"), jobs_page("FAILED")])  # type: ignore[list-item]
    with recorder.sync_client() as client, pytest.raises(EnrichmentJobFailedError) as info:
        client.enrichment.wait("j-1", poll_interval=0.001)
    assert info.value.job.status == "FAILED"
    assert "j-1 failed" in str(info.value)


def test_wait_returns_a_job_that_matched_nobody() -> None:
    recorder = Recorder([jobs_page("NO_DATA")])  # type: ignore[list-item]
    with recorder.sync_client() as client:
        assert client.enrichment.wait("j-1").status == "NO_DATA"


@pytest.mark.anyio
async def test_async_wait_raises_for_a_failed_job() -> None:
    recorder = Recorder([jobs_page("FAILED")])  # type: ignore[list-item]
    async with recorder.async_client() as client:
        with pytest.raises(EnrichmentJobFailedError):
            await client.enrichment.wait("j-1")


def test_a_no_data_job_has_nothing_to_download(tmp_path: Path) -> None:
    recorder = Recorder([jobs_page("NO_DATA")])  # type: ignore[list-item]
    with recorder.sync_client() as client, pytest.raises(AudienceLabError) as info:
        client.enrichment.download("j-1", tmp_path / "r.csv")
    assert "nothing to download" in str(info.value)
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("host", ["files.example.com", "10.0.0.7"])
def test_results_are_never_downloaded_over_plain_http_from_another_machine(
    tmp_path: Path, host: str
) -> None:
    job = EnrichmentJob(id="j-1", status="COMPLETED", csv_url=f"http://{host}/r.csv")
    recorder = Recorder([reply(200, b"EMAIL\n")])
    with recorder.sync_client() as client, pytest.raises(InputValidationError) as info:
        client.enrichment.download(job, tmp_path / "r.csv")
    assert "plain http" in str(info.value)
    assert recorder.requests == []


def test_plain_http_results_from_this_machine_are_fine(tmp_path: Path) -> None:
    job = EnrichmentJob(id="j-1", status="COMPLETED", csv_url="http://127.0.0.1:1/r.csv")
    recorder = Recorder([reply(200, b"EMAIL\n")])
    with recorder.sync_client() as client:
        client.enrichment.download(job, tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes() == b"EMAIL\n"
