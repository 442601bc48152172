"""``audiencelab mcp --transport http`` against a sandbox that accepts one distinctive key: the
tools over streamable HTTP, Host/Origin checks, and the key in no response and no log line."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

from audiencelab.sandbox import Sandbox

from .conftest import (
    KEY,
    WRONG_KEY,
    dump,
    error_of,
    http_process,
    http_session,
    stdio_server,
    text_of,
)

pytestmark = pytest.mark.anyio

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    },
}
MCP_HEADERS = {"accept": "application/json, text/event-stream"}


@pytest.mark.slow
async def test_http_tools_work_and_the_key_is_in_no_response_and_no_log_line(
    tmp_path: Path, keyed_sandbox: Sandbox
) -> None:
    env = {"AUDIENCELAB_API_KEY": KEY, "NO_COLOR": "1"}
    args = ["--base-url", keyed_sandbox.base_url]
    responses: list[str] = []
    with http_process(tmp_path, args, env, global_args=["--verbose"]) as (url, stderr, process):
        assert url.startswith("http://127.0.0.1:")
        async with http_session(url) as session:
            tools = (await session.list_tools()).tools
            responses.append(dump(tools))
            assert len(tools) == 19
            # The real API (here: any --base-url) is an open world: the spec's default, not said.
            assert all(t.annotations and t.annotations.open_world_hint is None for t in tools)

            async def call(name: str, arguments: dict[str, object]) -> dict[str, object]:
                result = await session.call_tool(name, arguments)
                responses.append(dump(result))
                if result.is_error:  # errors carry their data in _meta, not structured content
                    assert result.structured_content is None
                    return {**error_of(result), "message": text_of(result)}
                assert result.structured_content is not None
                return result.structured_content

            filters = {"city": ["Austin"], "age": {"minAge": 30, "maxAge": 39}}
            assert (await call("preview_audience", {"filters": filters}))["count"] > 0
            created = await call("create_audience", {"name": "Austin 30s", "filters": filters})
            audience_id = created["audience_id"]
            assert (await call("wait_for_audience", {"audience_id": audience_id}))["ready"]
            page = await call(
                "get_audience_records",
                {"audience_id": audience_id, "page_size": 2, "columns": ["FIRST_NAME"]},
            )
            assert page["columns"] == ["FIRST_NAME"]
            exported = await call("export_audience", {"audience_id": audience_id, "path": "a.csv"})
            assert exported["rows"] == page["total_records"]
            missing = await call("get_audience_records", {"audience_id": "no-such-audience"})
            assert missing["error"] == "not_found"
            assert missing["status_code"] == 404
            assert "list_audiences" in str(missing["message"])
            refused = await call("create_audience", {"name": "x", "filters": {"zipCode": []}})
            assert refused["error"] == "invalid_input"
            # A model that offers a key gets it neither used nor echoed.
            offered = await call("list_audiences", {"api_key": KEY})
            assert offered["error"] == "invalid_input"
            listed = await call("list_audiences", {})
            assert [a["id"] for a in listed["audiences"]] == [audience_id]
            responses.append(dump(await session.read_resource("audiencelab://attributes/gender")))

        # DNS rebinding protection: a foreign Host or Origin is refused before any tool runs.
        with httpx.Client(timeout=10) as probe:
            good = probe.post(url, json=INITIALIZE, headers=MCP_HEADERS)
            host = probe.post(url, json=INITIALIZE, headers={**MCP_HEADERS, "host": "evil.example"})
            origin = probe.post(
                url, json=INITIALIZE, headers={**MCP_HEADERS, "origin": "http://evil.example"}
            )
        assert good.status_code == 200
        assert host.status_code == 421
        assert origin.status_code == 403

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    log = stderr.read_text(encoding="utf-8")
    assert "POST /audiences" in log  # the SDK's request log (--verbose): there is much to check
    assert "MCP server stopped." in log
    assert "Traceback" not in log
    for text in [*responses, log]:
        assert KEY not in text
    # the responses are real JSON, not truncated reprs
    assert all(json.loads(text) is not None for text in responses)


@pytest.mark.slow
async def test_a_refused_key_is_reported_without_retry_and_never_shown(
    tmp_path: Path, keyed_sandbox: Sandbox
) -> None:
    env = {"AUDIENCELAB_API_KEY": WRONG_KEY, "NO_COLOR": "1"}
    async with stdio_server(
        tmp_path, "--base-url", keyed_sandbox.base_url, env=env, global_args=["--verbose"]
    ) as server:
        refused = await server.call("list_audiences")
        log = server.log()
    assert refused.is_error
    data = error_of(refused)
    assert data is not None
    assert data["error"] == "auth"
    assert data["status_code"] == 401
    assert "do not retry" in text_of(refused)
    for text in (dump(refused), log):
        assert WRONG_KEY not in text
        assert KEY not in text


@pytest.mark.slow
async def test_any_loopback_host_is_served_without_the_exposure_warning(
    tmp_path: Path, keyed_sandbox: Sandbox
) -> None:
    # 127.0.0.2 is loopback too: the CLI asks the SDK's check, not a list of three names.
    env = {"AUDIENCELAB_API_KEY": KEY, "NO_COLOR": "1"}
    args = ["--base-url", keyed_sandbox.base_url, "--host", "127.0.0.2"]
    with http_process(tmp_path, args, env) as (url, stderr, _process):
        assert url.startswith("http://127.0.0.2:")
        async with httpx.AsyncClient() as client:  # served, Host check included
            r = await client.post(url, json=INITIALIZE, headers=MCP_HEADERS)
        assert r.status_code == 200, r.text
    assert "not a loopback address" not in stderr.read_text()


BEARER = "tok_3b9f0c2e7a514d6c8e21f0a9"


@pytest.mark.slow
async def test_with_a_token_a_request_without_it_gets_401_and_one_with_it_works(
    tmp_path: Path, keyed_sandbox: Sandbox
) -> None:
    env = {"AUDIENCELAB_API_KEY": KEY, "NO_COLOR": "1", "AUDIENCELAB_MCP_TOKEN": BEARER}
    args = ["--base-url", keyed_sandbox.base_url]
    with http_process(tmp_path, args, env, global_args=["--verbose"]) as (url, stderr, _process):
        with httpx.Client(timeout=10) as probe:
            bare = probe.post(url, json=INITIALIZE, headers=MCP_HEADERS)
            wrong = probe.post(
                url,
                json=INITIALIZE,
                headers={**MCP_HEADERS, "authorization": f"Bearer {BEARER[:-1]}x"},
            )
            right = probe.post(
                url, json=INITIALIZE, headers={**MCP_HEADERS, "authorization": f"Bearer {BEARER}"}
            )
            # the Host check stays behind the token
            rebound = probe.post(
                url,
                json=INITIALIZE,
                headers={
                    **MCP_HEADERS,
                    "authorization": f"Bearer {BEARER}",
                    "host": "evil.example",
                },
            )
        async with http_session(url, token=BEARER) as session:
            listed = await session.call_tool("list_audiences", {})
    assert bare.status_code == 401
    assert wrong.status_code == 401
    assert bare.headers["www-authenticate"].startswith("Bearer")
    assert right.status_code == 200, right.text
    assert rebound.status_code == 421
    assert not listed.is_error
    log = stderr.read_text(encoding="utf-8")
    assert "bearer token required" in log
    for text in (log, bare.text, wrong.text, right.text):
        assert BEARER not in text
        assert KEY not in text
