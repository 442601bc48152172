"""Enrichment, pixels and Studio segments, end to end against the sandbox."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from audiencelab import (
    AsyncAudienceLab,
    AudienceLab,
    InputValidationError,
    NotFoundError,
)
from tests.golden import load_golden


def test_enrich_one_contact(client: AudienceLab) -> None:
    result = client.enrichment.enrich(
        {"email": "jane.doe@example.com"}, fields=["first_name", "company"]
    )
    assert result.found in (0, 1)
    assert result.found == len(result.result)
    again = client.enrichment.enrich(
        {"email": "jane.doe@example.com"}, fields=["first_name", "company"]
    )
    assert again.result == result.result  # deterministic
    matches = [
        client.enrichment.enrich({"email": f"person{i}@example.com"}).found for i in range(30)
    ]
    assert 0 < sum(matches) < 30  # a realistic share of misses
    hit = next(
        client.enrichment.enrich({"email": f"person{i}@example.com"})
        for i in range(30)
        if matches[i]
    )
    assert all(key == key.upper() for key in hit.result[0])


def test_enrichment_job_lifecycle_and_download(client: AudienceLab, tmp_path: Path) -> None:
    golden = load_golden("create_enrichment_job.request")
    created = client.enrichment.create_job(
        "Sample Upload", golden["records"], columns=golden["columns"]
    )
    assert created.status == "IN_QUEUE"
    assert created.job_id in {job.id for job in client.enrichment.jobs()}
    job = client.enrichment.wait(created, timeout=20, poll_interval=0.1)
    assert job.status == "COMPLETED"
    assert job.done
    assert job.csv_url
    summary = client.enrichment.download(job, tmp_path / "enriched.csv")
    assert summary.bytes_written == (tmp_path / "enriched.csv").stat().st_size > 0
    with (tmp_path / "enriched.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(golden["records"])
    assert "FIRST_NAME" in rows[0]
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(InputValidationError, match="already exists"):
        client.enrichment.download(job.id, tmp_path / "enriched.csv")
    client.enrichment.download(job.id, tmp_path / "enriched.csv", overwrite=True)


def test_split_jobs_all_complete(client: AudienceLab) -> None:
    records = [{"email": f"lead{i}@example.com", "first_name": f"Lead{i}"} for i in range(25)]
    created = client.enrichment.create_jobs("Leads", records, records_per_job=10)
    assert len(created) == 3
    totals = []
    for part in created:
        job = client.enrichment.wait(part, timeout=20, poll_interval=0.1)
        totals.append(job.total)
    assert totals == [10, 10, 5]


def test_unknown_job(client: AudienceLab) -> None:
    with pytest.raises(NotFoundError):
        client.enrichment.get_job("00000000-0000-0000-0000-000000000000")


def test_pixels_lifecycle(client: AudienceLab) -> None:
    created = client.pixels.create(
        "Test Site", "https://test.com", webhook_url="https://hooks.example.com/pixel", version="v4"
    )
    assert created.pixel_id
    assert created.install_url
    pixel = client.pixels.get(created.pixel_id)
    assert (pixel.website_name, pixel.website_url, pixel.webhook_url) == (
        "Test Site",
        "https://test.com",
        "https://hooks.example.com/pixel",
    )
    assert created.pixel_id in {p.id for p in client.pixels.list(page_size=1)}
    v4 = list(client.pixels.events_v4(created.pixel_id, page_size=50))
    assert v4
    assert all(e.resolution for e in v4)
    views = list(client.pixels.events(created.pixel_id, event_type="page_view"))
    assert all(e.event_type == "page_view" for e in views)
    client.pixels.delete(created.pixel_id)
    with pytest.raises(NotFoundError):
        client.pixels.delete(created.pixel_id)
    with pytest.raises(NotFoundError):
        client.pixels.get(created.pixel_id)


@pytest.mark.anyio
async def test_async_enrichment_and_pixels(aclient: AsyncAudienceLab, tmp_path: Path) -> None:
    created = await aclient.enrichment.create_job(
        "async", [{"email": "a@example.com"}, {"email": "b@example.com"}]
    )
    job = await aclient.enrichment.wait(created.job_id, timeout=20, poll_interval=0.1)
    summary = await aclient.enrichment.download(job, tmp_path / "out.csv")
    assert summary.path.read_text().count("\n") == 3
    pixel = await aclient.pixels.create("Async Site", "https://async.example.com")
    assert (await aclient.pixels.get(pixel.pixel_id)).website_name == "Async Site"
    events = [e async for e in aclient.pixels.events(pixel.pixel_id)]
    assert events
    await aclient.pixels.delete(pixel.pixel_id)
    page = await aclient.pixels.list(page=1)
    assert pixel.pixel_id not in {p.id for p in page.data}


@pytest.mark.slow
def test_segments_records_and_export(client: AudienceLab, tmp_path: Path) -> None:
    segment_id = "9b7c2f4e-1d3a-4c5b-8e6f-0a1b2c3d4e5f"
    first = client.segments.get(segment_id, page_size=50)
    assert first.segment_id == segment_id
    assert first.segment_name
    rows = list(client.segments.records(segment_id, page_size=400))
    assert len(rows) == first.total_records
    summary = client.segments.export(segment_id, tmp_path / "segment.jsonl")
    assert summary.rows == len(rows)
    assert (tmp_path / "segment.jsonl").read_text().count("\n") == len(rows)
