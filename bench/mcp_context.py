"""What the MCP server costs a model's context: bytes of ``tools/list``, of a default preview, and
the largest answer over a set of calls (a hostile argument included).

Each figure is printed with a baseline measured in the same run: ``tools/list`` as the MCP SDK
generates it from the same functions (full filters schema on every tool that takes filters,
generated titles, descriptions everywhere), and the preview as the tool answered before (5 people,
every column). Targets: tools/list < 20 KB, default preview < 4 KB, no answer > 64 KB.

    python bench/mcp_context.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.tools import Tool

from audiencelab import AudienceLab
from audiencelab.mcp import build_server, tool_specs
from audiencelab.mcp._tools import ToolContext
from audiencelab.mcp._wire import MAX_RESULT_BYTES
from audiencelab.sandbox import DEFAULT_API_KEY, Sandbox, SandboxConfig
from mcp import Client

KB = 1024
TARGETS = {"tools/list": 20 * KB, "preview": 4 * KB, "largest": MAX_RESULT_BYTES}
AUSTIN = {"city": ["Austin"], "age": {"minAge": 30, "maxAge": 39}}


def size(value: Any) -> int:
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def sdk_tools_list(client: AudienceLab, folder: Path) -> int:
    """The baseline: every tool as ``Tool.from_function`` makes it (what the server published
    before), with the full filters schema wherever filters are taken."""
    tools = []
    for spec in tool_specs(ToolContext(client, folder)):
        tool = Tool.from_function(spec.fn, name=spec.name, description=spec.description)
        tools.append(
            {
                "name": tool.name,
                "title": spec.title,
                "description": tool.description,
                "inputSchema": tool.parameters,
                "outputSchema": tool.output_schema,
                "annotations": {"title": spec.title, "readOnlyHint": spec.read_only},
            }
        )
    return size({"tools": tools})


async def measure(client: AudienceLab, folder: Path) -> dict[str, Any]:
    audience = client.audiences.create("Austin 30s", AUSTIN).audience_id
    figures: dict[str, Any] = {"answers": {}}
    async with Client(build_server(client, export_dir=folder)) as session:
        figures["tools/list"] = size(await session.list_tools())
    async with Client(build_server(client, export_dir=folder, tools=["all"])) as session:
        figures["tools/list (all)"] = size(await session.list_tools())
        calls: dict[str, tuple[str, dict[str, Any]]] = {
            "preview (default)": ("preview_audience", {"filters": AUSTIN}),
            "preview (5 people, every column: before)": (
                "preview_audience",
                {"filters": AUSTIN, "limit": 5, "columns": ["*"]},
            ),
            "records (25, default columns)": ("get_audience_records", {"audience_id": audience}),
            "records (50, default columns)": (
                "get_audience_records",
                {"audience_id": audience, "page_size": 50},
            ),
            "records (50, every column: refused)": (
                "get_audience_records",
                {"audience_id": audience, "page_size": 50, "columns": ["*"]},
            ),
            "hostile: city [1]*100000": ("preview_audience", {"filters": {"city": [1] * 100_000}}),
            "hostile: 70,000-character ID": ("wait_for_audience", {"audience_id": "a" * 70_000}),
            "hostile: 70,000-character key": (
                "preview_audience",
                {"filters": {"k" * 70_000: ["x"]}},
            ),
            "list_attribute_values industries": ("list_attribute_values", {"name": "industries"}),
            "segments (query)": ("list_attribute_values", {"name": "segments", "query": "b2c"}),
            "export": ("export_audience", {"audience_id": audience, "path": "a.csv"}),
        }
        for label, (tool, arguments) in calls.items():
            figures["answers"][label] = size(await session.call_tool(tool, arguments))
    figures["baseline tools/list"] = sdk_tools_list(client, folder)
    return figures


def main() -> int:
    config = SandboxConfig(port=0, build_seconds=0)
    with (
        tempfile.TemporaryDirectory() as folder,
        Sandbox(config) as sandbox,
        AudienceLab(api_key=DEFAULT_API_KEY, base_url=sandbox.base_url) as client,
    ):
        figures = asyncio.run(measure(client, Path(folder)))
    answers: dict[str, int] = figures["answers"]
    preview = answers["preview (default)"]
    before = answers["preview (5 people, every column: before)"]
    largest_label = max(answers, key=lambda k: answers[k])
    largest = answers[largest_label]
    baseline = figures["baseline tools/list"]
    print(f"{'tools/list (default toolsets)':44} {figures['tools/list']:>9,} B")
    print(f"{'tools/list (--tools all)':44} {figures['tools/list (all)']:>9,} B")
    print(f"{'tools/list as the SDK generates it (baseline)':44} {baseline:>9,} B")
    print(f"  ratio default/baseline: {figures['tools/list'] / baseline:.2f}")
    print()
    for label, value in answers.items():
        print(f"{label:44} {value:>9,} B")
    print(f"  ratio default preview/before: {preview / before:.2f}")
    print()
    checks = {
        "tools/list": figures["tools/list"],
        "preview": preview,
        "largest": largest,
    }
    ok = True
    for name, value in checks.items():
        verdict = "ok" if value < TARGETS[name] else "OVER"
        ok &= value < TARGETS[name]
        extra = f" ({largest_label})" if name == "largest" else ""
        print(f"{name:12} {value:>9,} B < {TARGETS[name]:,} B: {verdict}{extra}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
