"""``audiencelab mcp --sandbox`` over stdio, driven by the MCP SDK's client session: what it offers,
what it refuses, and the whole way from a description of people to an exported CSV."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from audiencelab import AudienceLab
from audiencelab.sandbox import DEFAULT_API_KEY, Sandbox, SandboxConfig

from .conftest import Server, error_of, stdio_server, text_of

pytestmark = pytest.mark.anyio

# name: (readOnlyHint, destructiveHint, idempotentHint); the last two mean something only for
# tools that are not read-only (the spec), so they are not said for those. Only the deletes
# destroy: an export replaces a file only when told to (overwrite=true).
TOOLS: dict[str, tuple[bool, bool | None, bool | None]] = {
    "create_audience": (False, False, False),
    "preview_audience": (True, None, None),
    "list_audiences": (True, None, None),
    "get_audience_records": (True, None, None),
    "wait_for_audience": (True, None, None),
    "export_audience": (False, False, True),
    "delete_audience": (False, True, True),
    "create_custom_audience": (False, False, False),
    "list_attribute_values": (True, None, None),
    "enrich_contact": (False, False, False),
    "create_enrichment_job": (False, False, False),
    "list_enrichment_jobs": (True, None, None),
    "get_enrichment_job": (True, None, None),
    "download_enrichment_result": (False, False, True),
    "create_pixel": (False, False, False),
    "list_pixels": (True, None, None),
    "get_pixel_events": (True, None, None),
    "delete_pixel": (False, True, True),
    "get_segment_records": (True, None, None),
}
DESTRUCTIVE = {name for name, (_, destructive, _) in TOOLS.items() if destructive}
READ_ONLY_TOOLS = {name for name, (read_only, _, _) in TOOLS.items() if read_only}

NYC_ENGINEERS = {
    "city": ["New York"],
    "state": ["NY"],
    "age": {"minAge": 25, "maxAge": 45},
    "businessProfile": {"industry": ["Software Development"], "department": ["Engineering"]},
}


def sandbox_audiences(folder: Path) -> list[Any]:
    """The audiences in the ``--sandbox`` state, read straight from its database."""
    config = SandboxConfig(port=0, db=str(folder / "sandbox.db"), build_seconds=0)
    with (
        Sandbox(config) as sandbox,
        AudienceLab(api_key=DEFAULT_API_KEY, base_url=sandbox.base_url) as client,
    ):
        return list(client.audiences.list())


async def create_ready_audience(server: Server, name: str = "NYC engineers") -> str:
    created = await server.ok("create_audience", {"name": name, "filters": NYC_ENGINEERS})
    audience_id = created["audience_id"]
    assert (await server.ok("wait_for_audience", {"audience_id": audience_id}))["ready"] is True
    return str(audience_id)


@pytest.mark.slow
async def test_every_tool_is_listed_with_schemas_and_truthful_annotations(tmp_path: Path) -> None:
    async with stdio_server(tmp_path, "--sandbox") as server:
        tools = {tool.name: tool for tool in (await server.session.list_tools()).tools}
        resources = {str(r.uri) for r in (await server.session.list_resources()).resources}
        templates = (await server.session.list_resource_templates()).resource_templates
        prompts = (await server.session.list_prompts()).prompts

    assert set(tools) == set(TOOLS)
    for name, tool in tools.items():
        assert tool.description is not None, name
        assert len(tool.description) > 120, name
        assert tool.input_schema["type"] == "object", name
        for argument, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{name}.{argument} has no description"
        assert tool.output_schema is not None, name
        assert tool.output_schema["type"] == "object", name
        assert tool.output_schema["properties"], name
        hints = tool.annotations
        assert hints is not None, name
        got = (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint)
        assert got == TOOLS[name], name
        assert hints.open_world_hint is False, name  # the sandbox: a closed world on this machine

    create = tools["create_audience"].input_schema
    assert set(create["required"]) == {"name", "filters"}
    assert create["properties"]["dry_run"]["type"] == "boolean"
    # The filters schema is published once, on preview_audience; create_audience points to it.
    filters = tools["preview_audience"].input_schema["properties"]["filters"]
    industry = filters["properties"]["businessProfile"]["properties"]["industry"]
    assert industry["description"] == 'Values: list_attribute_values(name="industries").'
    assert filters["additionalProperties"] is False
    assert "preview_audience" in create["properties"]["filters"]["description"]
    records = tools["get_audience_records"].input_schema["properties"]
    assert records["page_size"]["default"] == 25
    assert records["page_size"]["maximum"] == 50
    assert "columns" in records
    assert {"path", "overwrite"} <= set(tools["export_audience"].input_schema["properties"])
    assert {"rows", "pages", "path"} <= set(tools["export_audience"].output_schema["properties"])
    assert "query" in tools["list_attribute_values"].input_schema["properties"]

    assert resources == {"audiencelab://filters/schema", "audiencelab://reference"}
    assert [t.uri_template for t in templates] == ["audiencelab://attributes/{name}"]
    assert [p.name for p in prompts] == ["build_audience"]
    assert [(a.name, a.required) for a in prompts[0].arguments or []] == [("description", True)]


@pytest.mark.slow
async def test_refused_input_lists_every_problem_with_its_fix_and_sends_nothing(
    tmp_path: Path,
) -> None:
    async with stdio_server(tmp_path, "--sandbox") as server:
        # A misspelled key and a misspelled value.
        refused = await server.call(
            "create_audience",
            {"name": "NYC", "filters": {"zipCode": ["10001"], "state": ["Nw York"]}},
        )
        assert refused.is_error
        data = error_of(refused)
        assert data is not None
        assert data["error"] == "invalid_input"
        assert data["nothing_sent"] is True
        problems = {p["path"]: p for p in data["problems"]}
        assert set(problems) == {"filters.zipCode", "filters.state[0]"}
        assert problems["filters.zipCode"]["suggestion"] == "zip"
        assert problems["filters.zipCode"]["message"] == "unknown filter"
        assert problems["filters.state[0]"]["suggestion"] == "NY"
        assert "not a US state" in problems["filters.state[0]"]["message"]
        text = text_of(refused)
        assert "nothing was sent" in text.lower()
        assert '"zip"' in text
        assert '"NY"' in text

        # An unknown argument, a key in the wrong place and a bad segment: all at once.
        refused = await server.call(
            "create_audience",
            {
                "name": "NYC",
                "filters": {"industry": ["Software Development"]},
                "segment": ["1253"],
                "daysBack": 7,
            },
        )
        assert refused.is_error
        problems = {p["path"]: p for p in error_of(refused)["problems"]}
        assert set(problems) == {"daysBack", "filters.industry", "segment[0]"}
        assert problems["daysBack"]["suggestion"] == "days_back"
        assert problems["filters.industry"]["suggestion"] == "businessProfile.industry"
        assert "b2c_1253" in problems["segment[0]"]["message"]

        # Arguments that do not fit the schema come back the same way, never as a traceback.
        refused = await server.call("list_audiences", {"page_size": 5000})
        assert refused.is_error
        assert error_of(refused)["problems"][0]["path"] == "page_size"
        refused = await server.call("list_attribute_values", {"name": "industry"})
        assert error_of(refused)["problems"][0]["suggestion"] == "industries"
        refused = await server.call("create_audience", {"name": "x", "filters": {}, "api_key": "k"})
        assert "never one from a tool call" in text_of(refused)
        refused = await server.call("create_audeince", {"name": "x"})
        assert refused.is_error
        assert error_of(refused)["problems"][0]["suggestion"] == "create_audience"

        # Preview checks the same way.
        refused = await server.call("preview_audience", {"filters": {"zipCode": ["10001"]}})
        assert error_of(refused)["problems"][0]["suggestion"] == "zip"

        # A dry run shows the exact request and sends nothing.
        dry = await server.ok(
            "create_audience",
            {"name": "NYC", "filters": {"state": ["New York"]}, "dry_run": True},
        )
        assert dry["audience_id"] is None
        assert dry["request"]["method"] == "POST"
        assert dry["request"]["path"] == "/audiences"
        assert dry["request"]["content"] == '{"name":"NYC","filters":{"state":["NY"]}}'
        # ... checked as a send is, against the API's lists: a typo is refused with the fix,
        # and a value in another case is shown as it would be sent (issue 16).
        typo = {"businessProfile": {"industry": ["Sofware Development"]}}
        refused = await server.call(
            "create_audience", {"name": "x", "filters": typo, "dry_run": True}
        )
        (problem,) = error_of(refused)["problems"]
        assert (problem["path"], problem["suggestion"]) == (
            "filters.businessProfile.industry[0]",
            "Software Development",
        )
        lower = {"businessProfile": {"industry": ["software development"]}}
        dry = await server.ok("create_audience", {"name": "x", "filters": lower, "dry_run": True})
        assert '"industry":["Software Development"]' in dry["request"]["content"]
        refused = await server.call(
            "create_audience",
            {"name": "x", "filters": {"city": ["Austin"], "state": ["NY"]}, "dry_run": True},
        )
        assert error_of(refused)["problems"][0]["path"] == "filters.city[0]"

        listed = await server.ok("list_audiences")
        assert listed["audiences"] == []
        log = server.log()
    assert "Traceback" not in log
    assert sandbox_audiences(tmp_path / "sandbox") == []


@pytest.mark.slow
async def test_from_a_description_of_people_to_an_exported_csv_with_tools_only(
    tmp_path: Path,
) -> None:
    """Done when: "software engineers in New York aged 25-45" -> an exported CSV."""
    async with stdio_server(tmp_path, "--sandbox") as server:
        prompt = await server.session.get_prompt(
            "build_audience", {"description": "software engineers in New York aged 25-45"}
        )
        assert "software engineers in New York aged 25-45" in prompt.messages[0].content.text

        industries = await server.ok(
            "list_attribute_values", {"name": "industries", "query": "software"}
        )
        assert "Software Development" in industries["values"]
        assert industries["use_in"] == "filters.businessProfile.industry"
        departments = await server.ok(
            "list_attribute_values", {"name": "departments", "query": "engineer"}
        )
        assert departments["values"] == ["Engineering"]

        columns = ["FIRST_NAME", "AGE", "PERSONAL_CITY", "JOB_TITLE"]
        preview = await server.ok(
            "preview_audience", {"filters": NYC_ENGINEERS, "limit": 3, "columns": columns}
        )
        assert preview["count"] > 0
        assert len(preview["sample"]) == 3
        for person in preview["sample"]:
            assert list(person) == columns
            assert 25 <= int(person["AGE"]) <= 45

        created = await server.ok(
            "create_audience",
            {"name": "Software engineers in New York, 25-45", "filters": NYC_ENGINEERS},
        )
        audience_id = created["audience_id"]
        assert "wait_for_audience" in created["next_step"]
        ready = await server.ok("wait_for_audience", {"audience_id": audience_id})
        assert ready["ready"] is True
        assert ready["total_records"] > 0

        page = await server.ok(
            "get_audience_records",
            {"audience_id": audience_id, "page_size": 4, "columns": ["FIRST_NAME", "AGE"]},
        )
        assert page["columns"] == ["FIRST_NAME", "AGE"]
        assert len(page["rows"]) == 4
        assert all(set(row) == {"FIRST_NAME", "AGE"} for row in page["rows"])
        assert page["has_more"] is True

        exported = await server.ok(
            "export_audience", {"audience_id": audience_id, "path": "nyc-engineers.csv"}
        )
    path = Path(exported["path"])
    assert path == (server.export_dir / "nyc-engineers.csv").resolve()
    assert exported["format"] == "csv"
    assert exported["rows"] == ready["total_records"]
    assert exported["pages"] >= 1
    with path.open(newline="", encoding="utf-8") as file:
        people = list(csv.DictReader(file))
    assert len(people) == exported["rows"]
    for person in people:
        assert person["PERSONAL_CITY"] == "New York"
        assert person["PERSONAL_STATE"] == "NY"
        assert 25 <= int(person["AGE"]) <= 45
        assert person["COMPANY_INDUSTRY"] == "Software Development"
        assert person["DEPARTMENT"] == "Engineering"


@pytest.mark.slow
async def test_exports_are_written_inside_the_export_folder_only(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    exports = tmp_path / "exports"
    exports.mkdir()
    os.symlink(elsewhere, exports / "link")
    async with stdio_server(tmp_path, "--sandbox", export_dir=exports) as server:
        audience_id = await create_ready_audience(server)

        inside = await server.ok(
            "export_audience", {"audience_id": audience_id, "path": "sub/people.jsonl"}
        )
        assert Path(inside["path"]) == (exports / "sub" / "people.jsonl").resolve()
        assert inside["format"] == "jsonl"
        absolute = await server.ok(
            "export_audience", {"audience_id": audience_id, "path": str(exports / "abs.csv")}
        )
        assert Path(absolute["path"]) == (exports / "abs.csv").resolve()

        refusals = {
            "../outside.csv": "contains '..'",
            str(tmp_path / "outside.csv"): "is outside the export folder",
            "link/escaped.csv": "through a symbolic link",
            "~/people.csv": "starts with '~'",
        }
        for path, reason in refusals.items():
            refused = await server.call(
                "export_audience", {"audience_id": audience_id, "path": path}
            )
            assert refused.is_error, path
            problem = error_of(refused)["problems"][0]
            assert problem["path"] == "path"
            assert reason in problem["message"], problem
            assert "nothing was sent" in text_of(refused).lower()

        again = await server.call(
            "export_audience", {"audience_id": audience_id, "path": "abs.csv"}
        )
        assert again.is_error
        assert error_of(again)["problems"][0]["fix"] == (
            "call export_audience again with overwrite=true to replace it"
        )
        replaced = await server.ok(
            "export_audience", {"audience_id": audience_id, "path": "abs.csv", "overwrite": True}
        )
        assert replaced["rows"] == absolute["rows"]

    assert not (tmp_path / "outside.csv").exists()
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in exports.iterdir()) == ["abs.csv", "link", "sub"]


@pytest.mark.slow
async def test_read_only_lists_only_the_tools_that_change_nothing(tmp_path: Path) -> None:
    async with stdio_server(tmp_path, "--sandbox", "--read-only") as server:
        tools = (await server.session.list_tools()).tools
        assert {tool.name for tool in tools} == READ_ONLY_TOOLS
        assert all(tool.annotations and tool.annotations.read_only_hint for tool in tools)
        refused = await server.call(
            "create_audience", {"name": "NYC", "filters": {"city": ["New York"]}}
        )
        assert refused.is_error
        assert "read-only" in text_of(refused)
        assert (await server.ok("list_audiences"))["audiences"] == []
        assert "read-only" in (server.session.instructions or "")
    assert sandbox_audiences(tmp_path / "sandbox") == []


@pytest.mark.slow
async def test_resources_give_the_schema_the_attribute_values_and_the_guide(
    tmp_path: Path,
) -> None:
    async with stdio_server(tmp_path, "--sandbox") as server:
        schema = await server.session.read_resource("audiencelab://filters/schema")
        seniority = await server.session.read_resource("audiencelab://attributes/seniority")
        guide = await server.session.read_resource("audiencelab://reference")
        with pytest.raises(MCPError, match="did you mean 'industries'"):
            await server.session.read_resource("audiencelab://attributes/industry")
    body = json.loads(schema.contents[0].text)
    assert schema.contents[0].mime_type == "application/schema+json"
    assert body["properties"]["zip"]["description"].startswith("Five-digit ZIP codes")
    values = json.loads(seniority.contents[0].text)
    assert values["use_in"] == "filters.businessProfile.seniority"
    assert values["count"] == len(values["values"]) > 0
    assert "silently ignores" in guide.contents[0].text


@pytest.mark.slow
@pytest.mark.anyio
async def test_values_are_checked_and_warned_about_for_the_model(tmp_path: Path) -> None:
    async with stdio_server(tmp_path, "--sandbox") as server:
        typo = await server.call(
            "create_audience",
            {"name": "x", "filters": {"businessProfile": {"industry": ["Sofware Development"]}}},
        )
        assert typo.is_error
        [problem] = error_of(typo)["problems"]
        assert problem["path"] == "filters.businessProfile.industry[0]"
        assert problem["suggestion"] == "Software Development"
        assert "nothing was sent" in text_of(typo).lower()

        everyone = await server.call("create_audience", {"name": "all", "filters": {}})
        assert everyone.is_error
        assert "allow_unfiltered=true" in text_of(everyone)

        preview = await server.ok(
            "preview_audience",
            {"filters": {"businessProfile": {"industry": ["Quantum Basket Weaving"]}}},
        )
        assert any("'Quantum Basket Weaving' is not among" in w for w in preview["warnings"])

        few = await server.call(
            "create_audience",
            {"name": "few", "filters": {"zip": ["60601"], "age": {"minAge": 119}}, "min_count": 1},
        )
        assert few.is_error
        assert "fewer than the 1 asked for" in text_of(few)
        assert sandbox_audiences(tmp_path / "sandbox") == []
