"""What a daily run adds: pixel events only when they are new (a cursor per pixel and version in
dlt's state), enrichment results only for jobs not loaded before.

The sandbox gives each pixel a fixed backlog of events, dated in the week before the pixel was
made; it never adds events to a pixel. So "new events" here are those of a pixel created between
two runs: older than the newest event already loaded (a single cursor for the whole table would
drop most of them), and new all the same. New events of the same pixel are covered by the unit
tests of the cursor (``test_rows.py``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

from audiencelab import AudienceLab
from audiencelab.dlt import audiencelab_source
from audiencelab.sandbox import Sandbox
from tests.dlt_source.conftest import loaded_rows, query
from tests.e2e.conftest import API_KEY, start_sandbox
from tests.sdk.mock import Recorder, reply


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path, max_audience_size=500) as sandbox:
        yield sandbox


@pytest.fixture
def client(server: Sandbox) -> Iterator[AudienceLab]:
    with AudienceLab(api_key=API_KEY, base_url=server.base_url) as c:
        yield c


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def source(server: Sandbox, *resources: str, **options: Any) -> Any:
    made = audiencelab_source(api_key=API_KEY, base_url=server.base_url, **options)
    return made.with_resources(*resources)


def event_count(client: AudienceLab, pixel_id: str) -> int:
    return len(list(client.pixels.events(pixel_id, page_size=100))) + len(
        list(client.pixels.events_v4(pixel_id, page_size=100))
    )


@pytest.mark.slow
def test_pixel_events_load_once_and_a_later_run_adds_only_new_ones(
    server: Sandbox, client: AudienceLab, make_pipeline: Callable[..., Any]
) -> None:
    first = client.pixels.create("shop", "https://shop.example.com").pixel_id
    first_events = event_count(client, first)
    pipeline = make_pipeline()

    pipeline.run(source(server, "pixel_events", page_size=100))
    assert loaded_rows(pipeline) == {"pixel_events": first_events}
    by_version = dict(query(pipeline, "SELECT api_version, count(*) FROM pixel_events GROUP BY 1"))
    assert by_version == {
        "v3": len(list(client.pixels.events(first))),
        "v4": len(list(client.pixels.events_v4(first))),
    }

    pipeline.run(source(server, "pixel_events", page_size=100))
    assert loaded_rows(pipeline) == {}  # nothing new: nothing extracted, not even re-read rows

    second = client.pixels.create("blog", "https://blog.example.com", version="v4").pixel_id
    second_events = event_count(client, second)
    newest = query(pipeline, "SELECT max(event_timestamp) FROM pixel_events")[0][0]
    older = [
        e
        for e in client.pixels.events_v4(second)
        if datetime.fromisoformat(str(e.event_timestamp).replace("Z", "+00:00")) < newest
    ]
    assert older  # the new pixel's backlog is older than what was loaded before
    pipeline.run(source(server, "pixel_events", page_size=100))
    assert loaded_rows(pipeline) == {"pixel_events": second_events}
    total = first_events + second_events
    assert query(pipeline, "SELECT count(*), count(DISTINCT event_key) FROM pixel_events") == [
        (total, total)
    ]
    per_pixel = dict(query(pipeline, "SELECT pixel_id, count(*) FROM pixel_events GROUP BY 1"))
    assert per_pixel == {first: first_events, second: second_events}


@pytest.mark.slow
def test_pixel_events_of_selected_pixels_and_versions(
    server: Sandbox, client: AudienceLab, make_pipeline: Callable[..., Any]
) -> None:
    chosen = client.pixels.create("shop", "https://shop.example.com").pixel_id
    client.pixels.create("other", "https://other.example.com")
    pipeline = make_pipeline()
    pipeline.run(source(server, "pixel_events", pixel_ids=[chosen], pixel_versions=["v3"]))
    assert loaded_rows(pipeline) == {"pixel_events": len(list(client.pixels.events(chosen)))}
    assert query(pipeline, "SELECT DISTINCT pixel_id, api_version FROM pixel_events") == [
        (chosen, "v3")
    ]
    # The person behind an event arrives as columns of its own, in dlt's naming.
    columns = pipeline.default_schema.get_table_columns("pixel_events")
    assert "resolution__first_name" in columns


@pytest.mark.slow
def test_enrichment_jobs_load_and_each_jobs_results_load_once(
    server: Sandbox, client: AudienceLab, make_pipeline: Callable[..., Any], tmp_path: Path
) -> None:
    people = [{"email": f"person{i}@example.com", "first_name": f"P{i}"} for i in range(40)]
    job = client.enrichment.create_job("first", people).job_id
    client.enrichment.wait(job, timeout=30, poll_interval=0.05)
    client.enrichment.download(job, tmp_path / "first.csv")
    results = read_csv(tmp_path / "first.csv")
    first_rows = len(results)
    assert first_rows > 0
    pipeline = make_pipeline()
    resources = ("enrichment_jobs", "enrichment_results")

    pipeline.run(source(server, *resources))
    assert loaded_rows(pipeline) == {"enrichment_jobs": 1, "enrichment_results": first_rows}
    assert query(pipeline, "SELECT id, status FROM enrichment_jobs") == [(job, "COMPLETED")]
    assert query(pipeline, "SELECT DISTINCT job_id FROM enrichment_results") == [(job,)]
    naming = pipeline.default_schema.naming
    quoted = ", ".join(f'"{naming.normalize_identifier(c)}"' for c in results[0])
    stored = query(pipeline, f"SELECT {quoted} FROM enrichment_results")
    assert sorted(stored) == sorted(tuple(row.values()) for row in results)  # "" stays ""

    pipeline.run(source(server, *resources))
    assert loaded_rows(pipeline) == {"enrichment_jobs": 1}  # the list again; no result twice

    later = client.enrichment.create_job("second", people[:10]).job_id
    client.enrichment.wait(later, timeout=30, poll_interval=0.05)
    client.enrichment.download(later, tmp_path / "second.csv")
    second_rows = len(read_csv(tmp_path / "second.csv"))
    pipeline.run(source(server, *resources))
    assert loaded_rows(pipeline) == {"enrichment_jobs": 2, "enrichment_results": second_rows}
    counts = dict(query(pipeline, "SELECT job_id, count(*) FROM enrichment_results GROUP BY 1"))
    assert counts == {job: first_rows, later: second_rows}


@pytest.mark.slow
def test_events_without_a_time_are_stored_once_however_often_they_are_read(
    make_pipeline: Callable[..., Any],
) -> None:
    """The sandbox dates every event; the API might not. Such events are read on every run (no
    cursor can tell them new), and the key they are merged on keeps one copy of each."""
    timeless = [{"pixel_id": "px-1", "event_type": "page_view", "uid": f"u{i}"} for i in range(3)]

    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/pixels":
            return reply(200, {"data": [{"id": "px-1"}], "page": 1, "total_pages": 1})
        assert request.url.path == "/pixels/px-1"
        return reply(200, {"events": timeless, "page": 1, "total_pages": 1})

    recorder = Recorder([api])
    pipeline = make_pipeline()
    with recorder.sync_client() as client:
        for _ in range(2):
            made = audiencelab_source(client=client, pixel_versions=["v3"])
            pipeline.run(made.with_resources("pixel_events"))
            assert loaded_rows(pipeline) == {"pixel_events": 3}
    assert query(pipeline, "SELECT count(*) FROM pixel_events") == [(3,)]
    assert (
        sorted(r.url.path for r in recorder.requests)
        == ["/pixels", "/pixels"] + ["/pixels/px-1"] * 2
    )
