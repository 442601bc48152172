"""The filters' schema a model sees: every key the SDK accepts, each one described."""

from __future__ import annotations

from typing import Any

import pytest

from audiencelab import FilterValidationError, operations
from audiencelab.mcp import filters_schema
from audiencelab.mcp._schema import ATTRIBUTE_FILTERS, filter_paths

PATHS = filter_paths()


def _node(path: str) -> dict[str, Any]:
    node = filters_schema()
    for part in path.split("."):
        node = node["properties"][part]
    return node


def _sample(node: dict[str, Any]) -> Any:
    if node.get("type") == "object":
        return {name: _sample(prop) for name, prop in node.get("properties", {}).items()}
    if node.get("type") == "array":
        return ["NY"]
    return 30


def test_the_schema_is_plain_json_schema_with_every_key_described() -> None:
    schema = filters_schema()
    text = repr(schema)
    assert "$ref" not in text
    assert "$defs" not in text
    assert "anyOf" not in text
    assert schema["description"]
    assert len(PATHS) > 50
    for path in PATHS:
        node = _node(path)
        assert node.get("description"), path
        assert "title" not in node, path


@pytest.mark.parametrize("path", PATHS)
def test_every_key_in_the_schema_is_accepted_by_the_sdk(path: str) -> None:
    top, *rest = path.split(".")
    value: Any = _sample(_node(path))
    if path.endswith("zip"):
        value = ["10001"]
    elif path.endswith("gender"):
        value = ["F"]
    elif path in ("notNulls", "nullOnly"):
        value = ["VALID_PHONES"]
    elif path.startswith("age"):
        value = {"minAge": 30} if path == "age" else 30
    elif rest and rest[-1] in ("min", "max"):
        value = 1
    for part in reversed(rest):
        value = {part: value}
    body = operations.create_audience("x", {top: value}, value_checks="off").body  # keys only
    assert top in body["filters"]


def test_a_key_outside_the_schema_is_refused_by_the_sdk() -> None:
    assert "zipCode" not in PATHS
    with pytest.raises(FilterValidationError):
        operations.create_audience("x", {"zipCode": ["10001"]})


@pytest.mark.parametrize("name", sorted(ATTRIBUTE_FILTERS))
def test_attribute_backed_keys_say_where_their_values_come_from(name: str) -> None:
    where = ATTRIBUTE_FILTERS[name]
    if not where.startswith("filters."):
        return  # segments: an argument of its own, described on the tools
    node = _node(where.removeprefix("filters."))
    assert f'list_attribute_values with name="{name}"' in node["description"]
    assert f"audiencelab://attributes/{name}" in node["description"]
    assert "enum" not in node
    assert "enum" not in node.get("items", {})


# ---------------------------------------------------------------------------------------------
# What tools/list costs a model's context (issue 17: under 20 KB by default)


def _tools_list_bytes(tools: list[str] | None) -> tuple[int, set[str]]:
    import asyncio
    import json
    import tempfile
    from pathlib import Path

    from audiencelab import AudienceLab
    from audiencelab.mcp import build_server
    from mcp import Client

    async def listed(folder: Path) -> tuple[int, set[str]]:
        client = AudienceLab(api_key="sk_test_unused", base_url="http://127.0.0.1:9")
        async with Client(build_server(client, export_dir=folder, tools=tools)) as session:
            result = await session.list_tools()
        wire = result.model_dump(mode="json", by_alias=True, exclude_none=True)
        size = len(json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode())
        return size, {tool.name for tool in result.tools}

    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(listed(Path(folder)))


def test_the_default_tools_cost_under_20_kb_and_the_rest_are_one_flag_away() -> None:
    from audiencelab.mcp import DEFAULT_TOOLSETS, TOOLSETS

    size, names = _tools_list_bytes(None)
    assert size < 20 * 1024, size
    assert names == {name for toolset in DEFAULT_TOOLSETS for name in TOOLSETS[toolset]}
    assert {"preview_audience", "create_audience", "export_audience"} <= names
    size_all, names_all = _tools_list_bytes(["audiences", "enrichment"])
    assert set(TOOLSETS["enrichment"]) <= names_all
    assert size_all > size
