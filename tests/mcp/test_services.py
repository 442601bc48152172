"""The tools beyond audiences, over stdio against ``--sandbox``: enrichment, pixels, segments;
and an audience that is still being built."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from .conftest import error_of, sandbox_env, stdio_server, text_of

pytestmark = pytest.mark.anyio


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
async def test_pixel_events_are_filtered_by_type_and_a_download_never_replaces_a_file_unasked(
    tmp_path: Path,
) -> None:
    async with stdio_server(tmp_path, "--sandbox") as server:
        pixel = await server.ok(
            "create_pixel", {"website_name": "Shop", "website_url": "https://shop.example"}
        )
        every = await server.ok(
            "get_pixel_events", {"pixel_id": pixel["pixel_id"], "page_size": 20}
        )
        views = await server.ok(
            "get_pixel_events",
            {"pixel_id": pixel["pixel_id"], "event_type": "page_view", "page_size": 20},
        )
        # issue 23: event_type was once dropped on the way to the SDK
        assert {e["event_type"] for e in every["events"]} > {"page_view"}
        assert len(views["events"]) == 20
        assert {e["event_type"] for e in views["events"]} == {"page_view"}

        # issue 23: the "file exists" check once ran after the request: an existing file with
        # a job that does not exist must be refused for the file, before anything is sent
        (server.export_dir / "taken.csv").write_text("mine\n")
        refused = await server.call(
            "download_enrichment_result", {"job_id": "no-such-job", "path": "taken.csv"}
        )
    data = error_of(refused)
    assert data["error"] == "invalid_input"
    assert data["nothing_sent"] is True
    assert data["problems"][0]["path"] == "path"
    assert (server.export_dir / "taken.csv").read_text() == "mine\n"


@pytest.mark.slow
async def test_export_refuses_a_planted_part_link_and_long_names_and_ids(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (exports / "people.csv.part").symlink_to(outside / "people.csv")
    async with stdio_server(tmp_path, "--sandbox", export_dir=exports) as server:
        created = await server.ok(
            "create_audience", {"name": "Austin", "filters": {"city": ["Austin"]}}
        )
        audience_id = created["audience_id"]
        planted = await server.call(
            "export_audience", {"audience_id": audience_id, "path": "people.csv"}
        )
        long_name = await server.call(
            "export_audience", {"audience_id": audience_id, "path": "n" * 300 + ".csv"}
        )
        long_id = await server.call("get_audience_records", {"audience_id": "a" * 70_000})
        log = server.log()
    assert "symbolic link" in error_of(planted)["problems"][0]["message"]
    assert list(outside.iterdir()) == []
    assert error_of(long_name)["problems"][0]["path"] == "path"
    assert "too long" in error_of(long_name)["problems"][0]["message"]
    problem = error_of(long_id)["problems"][0]
    assert problem["path"] == "audience_id"
    assert "at most 200 characters" in problem["message"]
    for result in (planted, long_name, long_id):
        assert error_of(result)["error"] == "invalid_input"  # never "internal"
    assert "Traceback" not in log
