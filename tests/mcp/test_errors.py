"""How failures reach a model: remedies said as tools and arguments, and never a traceback."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from audiencelab import AudienceLab, CallMethod, PassArgument
from audiencelab.mcp import build_server
from audiencelab.mcp._errors import _INSTEAD, TOOL_FOR_METHOD, ErrorHints, say_remedy
from audiencelab.mcp._server import tool_specs
from audiencelab.mcp._tools import ToolContext

from .conftest import error_of

SDK = Path(__file__).resolve().parents[2] / "src" / "audiencelab"


def _tool_names() -> set[str]:
    client = AudienceLab(api_key="sk_test_unused", base_url="http://127.0.0.1:9")
    return {spec.name for spec in tool_specs(ToolContext(client, Path.cwd()))}


def test_every_method_the_sdk_suggests_is_said_as_a_tool_or_what_to_do_instead() -> None:
    suggested = set()
    for path in SDK.rglob("*.py"):
        if path.relative_to(SDK).parts[0] in ("cli", "mcp"):
            continue
        suggested.update(re.findall(r'CallMethod\(\s*"([a-z_.]+)"', path.read_text()))
    assert "audiences.list" in suggested  # the scan finds them
    assert suggested <= set(TOOL_FOR_METHOD) | set(_INSTEAD)
    assert set(TOOL_FOR_METHOD.values()) <= _tool_names()


def test_remedies_are_said_in_tool_terms() -> None:
    hints = ErrorHints("export_audience", ("audience_id", "path", "overwrite"))
    assert say_remedy(PassArgument("overwrite", True, "to replace it"), hints) == (
        "call export_audience again with overwrite=true to replace it"
    )
    assert say_remedy(PassArgument("format", "jsonl"), hints) == ""  # no such argument here
    assert say_remedy(CallMethod("audiences.wait_until_ready", ("a-1",), "to wait"), hints) == (
        'call wait_for_audience(audience_id="a-1") to wait'
    )
    assert say_remedy(CallMethod("audiences.list"), hints) == "call the list_audiences tool"
    assert say_remedy(CallMethod("enrichment.create_jobs"), hints) == (
        "split the records over several create_enrichment_job calls"
    )


@pytest.mark.anyio
async def test_an_unexpected_failure_reaches_the_model_without_its_details(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = AudienceLab(api_key="sk_test_unused", base_url="http://127.0.0.1:9")

    def broken(**_: object) -> None:
        raise RuntimeError("internal detail 7f3e")

    monkeypatch.setattr(client.audiences, "list", broken)
    server = build_server(client, export_dir=tmp_path)
    with caplog.at_level(logging.DEBUG, logger="audiencelab.mcp"):
        result = await server.call_tool("list_audiences", {})
    assert result.is_error
    text = result.content[0].text
    assert "internal error" in text
    assert "RuntimeError" in text
    assert "7f3e" not in text
    assert "Traceback" not in text
    assert error_of(result) == {"error": "internal"}
    assert result.structured_content is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "tool list_audiences failed unexpectedly (RuntimeError)"
    ]
    details = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("Traceback" in d and "internal detail 7f3e" in d for d in details)
