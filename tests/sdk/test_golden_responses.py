"""Every official/golden example: the SDK sends the golden requests and reads the golden responses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from audiencelab import AudienceNotReadyError
from audiencelab._models import EnrichmentJob
from tests.golden import golden_bytes, load_golden
from tests.sdk.mock import Recorder, reply


def canonical(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def test_create_pixel_sends_the_official_example() -> None:
    golden = load_golden("create_pixel.request")
    recorder = Recorder([reply(200, load_golden("create_pixel.response"))])
    with recorder.sync_client() as client:
        created = client.pixels.create(
            website_name="Test Site",
            website_url="https://test.com",
            webhook_url="https://hooks.example.com/pixel",
            version="v4",
        )
    assert recorder.requests[0].content == canonical(golden)
    assert str(recorder.requests[0].url) == "https://api.audiencelab.io/pixels"
    assert created.pixel_id == "912b78c3-83e6-4d6a-8245-def0dde26224"
    assert created.install_url == "https://pixel.example/install/abcd1234"


def test_create_enrichment_job_sends_the_official_example() -> None:
    golden = load_golden("create_enrichment_job.request")
    recorder = Recorder([reply(202, load_golden("create_enrichment_job.response"))])
    with recorder.sync_client() as client:
        created = client.enrichment.create_job(
            name=golden["name"], records=golden["records"], columns=golden["columns"], operator="OR"
        )
    assert json.loads(recorder.requests[0].content) == golden
    assert created.job_id == "399e88c3-…"
    assert created.status == "IN_QUEUE"


def test_job_columns_default_to_the_record_keys() -> None:
    golden = load_golden("create_enrichment_job.request")
    recorder = Recorder([reply(202, load_golden("create_enrichment_job.response"))])
    with recorder.sync_client() as client:
        client.enrichment.create_job(name="Sample Upload", records=golden["records"])
    assert recorder.bodies[0]["columns"] == ["EMAIL", "FIRST_NAME", "LAST_NAME", "PHONE"]


def test_list_audiences_page() -> None:
    recorder = Recorder([reply(200, load_golden("list_audiences.response"))])
    with recorder.sync_client() as client:
        page = client.audiences.list(page=1, page_size=100)
    assert (
        str(recorder.requests[0].url) == "https://api.audiencelab.io/audiences?page=1&page_size=100"
    )
    assert (page.total_records, page.page_size, page.page, page.total_pages) == (50, 100, 1, 1)
    (audience,) = page.data
    assert audience.id == "aa1a0c14-…"
    assert audience.name == "My Test Audience"
    assert audience.scheduled_refresh is False
    assert audience.refresh_interval is None


def test_records_page_and_building_answer() -> None:
    recorder = Recorder(
        [
            reply(200, golden_bytes("audience_building.response")),
            reply(200, golden_bytes("audience_records.response")),
        ]
    )
    with recorder.sync_client() as client:
        with pytest.raises(AudienceNotReadyError, match="wait_until_ready"):
            client.audiences.get("a-1")
        page = client.audiences.get("a-1", page=1, page_size=500)
    assert page.data == [{"FIRST_NAME": "…", "LAST_NAME": "…", "PERSONAL_EMAILS": "…"}]
    assert (page.total_records, page.total_pages, page.page_size) == (1234, 3, 500)
    assert page.next_page() == 2


def test_total_is_read_when_total_records_is_absent() -> None:
    body = {
        "data": [{"id": "p1", "website_name": "a"}],
        "page": 1,
        "page_size": 100,
        "total": 7,
        "total_pages": 1,
    }
    recorder = Recorder([reply(200, body)])
    with recorder.sync_client() as client:
        page = client.pixels.list(page=1)
    assert page.total_records == 7


def test_preview_custom_attributes_enrich_segment_and_events() -> None:
    recorder = Recorder(
        [
            reply(200, load_golden("preview_audience.response")),
            reply(200, load_golden("create_custom_audience.response")),
            reply(200, load_golden("attributes_industries.response")),
            reply(200, load_golden("attributes_segments.response")),
            reply(200, load_golden("enrich.response")),
            reply(200, load_golden("segment.response")),
            reply(200, load_golden("pixel_v4.response")),
            reply(200, load_golden("pixel_v3.response")),
            reply(200, load_golden("list_enrichments.response")),
        ]
    )
    with recorder.sync_client() as client:
        preview = client.audiences.preview({"city": "Austin"}, days_back=7, limit=10)
        custom = client.audiences.create_custom("Pickleball", "People who play pickleball")
        industries = client.audiences.attributes("industries")
        segments = client.audiences.attributes("segments")
        enriched = client.enrichment.enrich({"email": "jane@example.com"}, fields=["first_name"])
        segment = client.segments.get("seg-1", page_size=50)
        v4 = list(client.pixels.events_v4("px-1"))
        v3 = list(client.pixels.events("px-1", event_type="page_view"))
        jobs = client.enrichment.jobs(page=1)

    assert (preview.count, preview.job_id, preview.field_coverage) == (
        1234,
        "…",
        {"FIRST_NAME": 0.98},
    )
    assert preview.result[0]["FIRST_NAME"] == "…"
    assert recorder.bodies[0] == {"filters": {"city": ["Austin"]}, "days_back": 7, "limit": 10}
    assert custom.status == "processing"
    assert recorder.bodies[1] == {
        "topic": "Pickleball",
        "description": "People who play pickleball",
    }
    assert industries.count == 2
    assert industries.values == ["Software Development", "Hospitals and Health Care"]
    assert segments.values[0].id == "b2c_1253"
    assert segments.values[0].b2b is False
    assert (enriched.found, enriched.timestamp) == (1, 1704067200000)
    assert enriched.result[0]["PERSONAL_EMAILS"] == "…"
    assert recorder.bodies[4] == {"filter": {"email": "jane@example.com"}, "fields": ["first_name"]}
    assert (segment.segment_name, segment.has_more, segment.page_size) == ("…", False, 50)
    assert str(recorder.requests[5].url).endswith("/segments/seg-1?page=1&page_size=50")
    assert v4[0].resolution == {"FIRST_NAME": "…"}
    assert v4[0].model_extra is not None
    assert v4[0].model_extra["full_url"] == "…"
    assert str(recorder.requests[6].url).endswith("/pixels/px-1/v4?page=1&page_size=100")
    assert v3[0].event_type == "page_view"
    assert str(recorder.requests[7].url).endswith(
        "/pixels/px-1?page=1&page_size=100&event_type=page_view"
    )
    job = jobs.data[0]
    assert isinstance(job, EnrichmentJob)
    assert (job.status, job.total, job.done) == ("COMPLETED", 1500, True)
    assert job.created_at is not None
    assert job.created_at.year == 2025
    assert jobs.total_pages == 2


def test_delete_pixel_204_and_audience_json() -> None:
    recorder = Recorder([reply(204), reply(200, {"success": True})])
    with recorder.sync_client() as client:
        assert client.pixels.delete("px-1") is None
        deleted = client.audiences.delete("a-1")
    assert [r.method for r in recorder.requests] == ["DELETE", "DELETE"]
    assert deleted.id == "a-1"
    assert deleted.deleted is True
    assert deleted.model_extra == {"success": True}


def test_retried_delete_that_finds_nothing_is_done() -> None:
    """The first attempt may have deleted it; a 404 on the retry means it is gone, as asked."""
    recorder = Recorder([reply(502, b""), reply(404, {"error": "not found"})])
    with recorder.sync_client() as client:
        assert client.audiences.delete("a-1").deleted is True
    assert len(recorder.requests) == 2


def test_ids_are_path_encoded() -> None:
    recorder = Recorder([reply(200, load_golden("audience_records.response"))])
    with recorder.sync_client() as client:
        client.audiences.get("../pixels?x=1")
    assert (
        recorder.requests[0].url.raw_path == b"/audiences/..%2Fpixels%3Fx%3D1?page=1&page_size=100"
    )
