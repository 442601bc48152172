"""Every tool's success and refusal, checked with a JSON Schema validator against what the tool
declares: a success's structured content fits its output schema; an error carries none (its data
is in ``_meta``), so no client can find it at odds with the schema. And no answer is large."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import validators

from audiencelab.mcp._wire import MAX_RESULT_BYTES

from .helpers import connected, error_data, sandbox_client, wire_size

pytestmark = pytest.mark.anyio

FILTERS = {"city": ["Austin"], "age": {"minAge": 30, "maxAge": 39}}


def _successes(ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    audience, job, pixel = ids["audience"], ids["job"], ids["pixel"]
    return {
        "list_attribute_values": {"name": "segments", "query": "solar"},
        "preview_audience": {"filters": FILTERS},
        "create_audience": {"name": "Austin 30s", "filters": FILTERS, "dry_run": True},
        "list_audiences": {},
        "wait_for_audience": {"audience_id": audience},
        "get_audience_records": {"audience_id": audience, "page_size": 3},
        "export_audience": {"audience_id": audience, "path": "austin.jsonl"},
        "delete_audience": {"audience_id": ids["doomed"]},
        "create_custom_audience": {"topic": "solar panels", "description": "Home owners."},
        "enrich_contact": {"filter": {"email": "ann.lee@example.com"}},
        "create_enrichment_job": {"name": "Leads", "records": [{"email": "a@example.com"}]},
        "list_enrichment_jobs": {},
        "get_enrichment_job": {"job_id": job},
        "download_enrichment_result": {"job_id": job, "path": "leads.csv"},
        "create_pixel": {"website_name": "Shop", "website_url": "https://shop.example"},
        "list_pixels": {},
        "get_pixel_events": {"pixel_id": pixel, "page_size": 2},
        "delete_pixel": {"pixel_id": pixel},
        "get_segment_records": {"segment_id": "b2c_1253", "page_size": 2},
    }


REFUSALS: dict[str, dict[str, Any]] = {
    "list_attribute_values": {"name": "industry"},
    "preview_audience": {"filters": {"zipCode": ["10001"]}},
    "create_audience": {"name": "x", "filters": {"city": ["Austin"], "age": {"minAge": 119}}},
    "list_audiences": {"page_size": 5000},
    "wait_for_audience": {"audience_id": "a" * 70_000},
    "get_audience_records": {"audience_id": "no-such-audience"},
    "export_audience": {"audience_id": "x", "path": "../outside.csv"},
    "delete_audience": {"audience_id": "no-such-audience"},
    "create_custom_audience": {"topic": "t" * 300, "description": "d"},
    "enrich_contact": {"filter": {"phone_number": "555"}},
    "create_enrichment_job": {"name": "Leads", "records": [{"phone_number": "+1555"}]},
    "list_enrichment_jobs": {"page": 0},
    "get_enrichment_job": {"job_id": "no-such-job"},
    "download_enrichment_result": {"job_id": "j", "path": "x" * 300 + ".csv"},
    "create_pixel": {"website_name": "Shop"},
    "list_pixels": {"pageSize": 3},
    "get_pixel_events": {"pixel_id": "p", "version": "v4", "event_type": "page_view"},
    "delete_pixel": {"pixel_id": "no-such-pixel"},
    "get_segment_records": {"segment_id": "b2c_1253", "columns": ["first name"]},
}


@pytest.mark.slow
async def test_every_success_and_every_refusal_is_valid_against_the_declared_schema(
    tmp_path: Path,
) -> None:
    with sandbox_client() as client:
        doomed = client.audiences.create("doomed", {"city": ["Boston"]}).audience_id
        audience = client.audiences.create("Austin", FILTERS).audience_id
        job = client.enrichment.create_job("Leads", [{"email": "ann.lee@example.com"}]).job_id
        pixel = client.pixels.create("Shop", "https://shop.example").pixel_id
        ids = {"audience": audience, "doomed": doomed, "job": job, "pixel": pixel}
        async with connected(client, tmp_path) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            successes = _successes(ids)
            assert set(successes) == set(tools) == set(REFUSALS)
            for name, tool in tools.items():
                validator_cls = validators.validator_for(tool.output_schema)
                validator_cls.check_schema(tool.output_schema)
                validators.validator_for(tool.input_schema).check_schema(tool.input_schema)
                validator = validator_cls(tool.output_schema)

                ok = await session.call_tool(name, successes[name])
                assert not ok.is_error, (name, ok.content)
                errors = [e.message for e in validator.iter_errors(ok.structured_content)]
                assert errors == [], (name, errors)
                assert wire_size(ok) < MAX_RESULT_BYTES, name

                refused = await session.call_tool(name, REFUSALS[name])
                data = error_data(refused)  # no structured content: nothing to be invalid
                assert data["error"], name
                assert wire_size(refused) < 8 * 1024, (name, wire_size(refused))


@pytest.mark.slow
async def test_a_hostile_argument_gets_a_small_answer_that_counts_the_rest(tmp_path: Path) -> None:
    with sandbox_client() as client:
        async with connected(client, tmp_path) as session:
            refused = await session.call_tool(
                "preview_audience", {"filters": {"city": [1] * 100_000}}
            )
            long_key = await session.call_tool(
                "preview_audience", {"filters": {"k" * 70_000: ["x"]}}
            )
    data = error_data(refused)
    assert len(data["problems"]) == 20
    assert data["problems_not_listed"] == 100_000 - 20
    assert "and 99,980 more problems" in refused.content[0].text  # type: ignore[union-attr]
    assert wire_size(refused) < 8 * 1024
    assert wire_size(long_key) < 4 * 1024
    assert "more characters" in error_data(long_key)["problems"][0]["path"]


async def test_an_answer_over_the_size_limit_is_refused_with_what_to_ask_instead(
    tmp_path: Path,
) -> None:
    with sandbox_client() as client:
        audience = client.audiences.create("Austin", FILTERS).audience_id
        async with connected(client, tmp_path) as session:
            every_column = await session.call_tool(
                "get_audience_records",
                {"audience_id": audience, "page_size": 50, "columns": ["*"]},
            )
            default = await session.call_tool(
                "get_audience_records", {"audience_id": audience, "page_size": 50}
            )
    data = error_data(every_column)
    assert data["error"] == "too_large"
    assert data["size"] > MAX_RESULT_BYTES
    assert "fewer rows (page_size, limit) or fewer columns" in every_column.content[0].text  # type: ignore[union-attr]
    assert wire_size(every_column) < 1024
    assert not default.is_error  # the default columns keep a full page under the limit
    assert wire_size(default) < MAX_RESULT_BYTES
