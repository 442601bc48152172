"""The tools beyond audiences, over stdio against ``--sandbox``: enrichment, pixels, segments;
and an audience that is still being built."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from .conftest import error_of, sandbox_env, stdio_server, text_of

pytestmark = pytest.mark.anyio


async def test_enrichment_pixels_and_segments(tmp_path: Path) -> None:
    async with stdio_server(tmp_path, "--sandbox") as server:
        found = await server.ok(
            "enrich_contact",
            {"filter": {"email": "ann.lee@example.com"}, "fields": ["first_name", "job_title"]},
        )
        assert found["found"] == len(found["rows"])

        records = [
            {"email": "ann.lee@example.com", "first_name": "Ann"},
            {"email": "bo.chen@example.com", "first_name": "Bo"},
        ]
        job = await server.ok("create_enrichment_job", {"name": "Leads", "records": records})
        assert "get_enrichment_job" in job["next_step"]
        status = await server.ok("get_enrichment_job", {"job_id": job["job_id"]})
        assert status["id"] == job["job_id"]
        assert status["done"] is True
        assert status["has_result"] is True
        jobs = await server.ok("list_enrichment_jobs")
        assert [j["id"] for j in jobs["jobs"]] == [job["job_id"]]
        saved = await server.ok(
            "download_enrichment_result", {"job_id": job["job_id"], "path": "leads.csv"}
        )
        path = Path(saved["path"])
        assert path == (server.export_dir / "leads.csv").resolve()
        assert saved["bytes"] == path.stat().st_size > 0
        with path.open(newline="", encoding="utf-8") as file:
            assert "FIRST_NAME" in next(csv.reader(file))
        again = await server.call(
            "download_enrichment_result", {"job_id": job["job_id"], "path": "leads.csv"}
        )
        assert error_of(again)["problems"][0]["fix"].startswith(
            "call download_enrichment_result again with overwrite=true"
        )
        bad = await server.call(
            "create_enrichment_job", {"name": "Leads", "records": [{"phone_number": "+1555"}]}
        )
        (problem,) = error_of(bad)["problems"]
        assert (problem["path"], problem["suggestion"]) == ("records[0].phone_number", "phone")
        missing = await server.call("get_enrichment_job", {"job_id": "no-such-job"})
        assert error_of(missing)["error"] == "not_found"
        assert "list_enrichment_jobs" in text_of(missing)

        pixel = await server.ok(
            "create_pixel", {"website_name": "Shop", "website_url": "https://shop.example"}
        )
        assert pixel["install_url"]
        listed = await server.ok("list_pixels")
        assert [p["id"] for p in listed["pixels"]] == [pixel["pixel_id"]]
        first = await server.ok("get_pixel_events", {"pixel_id": pixel["pixel_id"], "page_size": 3})
        second = await server.ok(
            "get_pixel_events", {"pixel_id": pixel["pixel_id"], "page_size": 3, "page": 2}
        )
        assert len(first["events"]) == len(second["events"]) == 3
        assert first["events"] != second["events"]
        v4 = await server.ok(
            "get_pixel_events", {"pixel_id": pixel["pixel_id"], "version": "v4", "page_size": 2}
        )
        assert v4["version"] == "v4"
        assert all("resolution" in event for event in v4["events"])
        deleted = await server.ok("delete_pixel", {"pixel_id": pixel["pixel_id"]})
        assert deleted["deleted"] is True
        assert (await server.ok("list_pixels"))["pixels"] == []

        segment = await server.ok(
            "get_segment_records",
            {"segment_id": "b2c_1253", "page_size": 2, "columns": ["FIRST_NAME", "AGE"]},
        )
        assert segment["segment_name"]
        assert [list(row) for row in segment["rows"]] == [["FIRST_NAME", "AGE"]] * 2


async def test_an_audience_still_being_built_is_reported_with_what_to_do(tmp_path: Path) -> None:
    env = {**sandbox_env(tmp_path / "sandbox"), "AUDIENCELAB_SANDBOX_BUILD_SECONDS": "3600"}
    async with stdio_server(tmp_path, "--sandbox", env=env) as server:
        created = await server.ok(
            "create_audience", {"name": "Austin", "filters": {"city": ["Austin"]}}
        )
        audience_id = created["audience_id"]
        waited = await server.ok(
            "wait_for_audience", {"audience_id": audience_id, "timeout_seconds": 0.3}
        )
        assert waited["ready"] is False
        assert "wait_for_audience again" in waited["next_step"]
        records = await server.call("get_audience_records", {"audience_id": audience_id})
        assert error_of(records)["error"] == "not_ready"
        assert f'Call wait_for_audience(audience_id="{audience_id}")' in text_of(records)
        export = await server.call(
            "export_audience",
            {"audience_id": audience_id, "path": "austin.csv", "wait_timeout_seconds": 0.3},
        )
        assert error_of(export)["error"] == "timeout"
        assert "Call wait_for_audience, then export_audience again." in text_of(export)
    assert list(server.export_dir.iterdir()) == []  # no partial file left behind
