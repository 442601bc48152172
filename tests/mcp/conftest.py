"""The MCP server driven by the MCP SDK's real client: ``audiencelab mcp`` in a subprocess, over
stdio or streamable HTTP, against a sandbox on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from audiencelab.mcp._errors import ERROR_META
from audiencelab.sandbox import Sandbox, SandboxConfig
from mcp import ClientSession, StdioServerParameters

#: A distinctive key: no response and no log line may ever contain it.
KEY = "sk_test_mcp_distinctive_4f9a2c71"
WRONG_KEY = "sk_test_mcp_wrong_key_83d1e0b6"
COMMAND = [sys.executable, "-m", "audiencelab.cli"]
URL_LINE = re.compile(r"MCP server on (http://\S+/mcp)")


@dataclass
class Server:
    """One ``audiencelab mcp`` process and the client session connected to it."""

    session: ClientSession
    stderr: Path
    export_dir: Path

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        return await self.session.call_tool(name, arguments or {})

    async def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """The structured result of a call that must succeed."""
        result = await self.call(name, arguments)
        assert not result.is_error, text_of(result)
        assert result.structured_content is not None
        return result.structured_content

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")


def error_of(result: CallToolResult) -> dict[str, Any]:
    """The data of an error result (``_meta``); errors carry no structured content."""
    assert result.is_error, text_of(result)
    assert result.structured_content is None
    assert result.meta is not None
    data = result.meta[ERROR_META]
    assert isinstance(data, dict)
    return data


def text_of(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def dump(value: Any) -> str:
    """Everything a response carries, as text (to look for secrets)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    return json.dumps(value, ensure_ascii=False, default=str)


def sandbox_env(folder: Path) -> dict[str, str]:
    """A ``--sandbox`` of the test's own, whose audiences build at once (and the test's cache
    folder: MCP clients give servers a minimal environment)."""
    return {
        "AUDIENCELAB_SANDBOX_DIR": str(folder),
        "AUDIENCELAB_SANDBOX_BUILD_SECONDS": "0",
        "AUDIENCELAB_CACHE_DIR": os.environ["AUDIENCELAB_CACHE_DIR"],
        "NO_COLOR": "1",
    }


@contextlib.asynccontextmanager
async def stdio_server(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    export_dir: Path | None = None,
    global_args: Sequence[str] = (),
) -> AsyncIterator[Server]:
    """``audiencelab GLOBAL_ARGS mcp ARGS --export-dir DIR`` over stdio (its environment: a
    sandbox folder in ``tmp_path`` unless ``env`` is given)."""
    folder = export_dir or tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    if "--tools" not in args:
        args = (*args, "--tools", "all")  # the tests exercise every tool
    params = StdioServerParameters(
        command=COMMAND[0],
        args=[*COMMAND[1:], *global_args, "mcp", *args, "--export-dir", str(folder)],
        env=env if env is not None else sandbox_env(tmp_path / "sandbox"),
        cwd=str(tmp_path),
    )
    stderr = tmp_path / f"stderr-{time.monotonic_ns()}.log"
    with stderr.open("w", encoding="utf-8") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield Server(session, stderr, folder)


@contextlib.contextmanager
def http_process(
    tmp_path: Path, args: Sequence[str], env: dict[str, str], global_args: Sequence[str] = ()
) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """``audiencelab GLOBAL_ARGS mcp --transport http --port 0 ARGS``: yields its URL, its
    stderr file and the process (stopped with SIGINT afterwards)."""
    stderr = tmp_path / "http-stderr.log"
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    options = ["--transport", "http", "--port", "0", "--export-dir", str(folder)]
    if "--tools" not in args:
        options += ["--tools", "all"]
    with stderr.open("wb") as errfile:
        process = subprocess.Popen(
            [*COMMAND, *global_args, "mcp", *options, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errfile,
            env={**os.environ, **env},
            cwd=str(tmp_path),
        )
    try:
        deadline = time.monotonic() + 60
        url = None
        while url is None:
            match = URL_LINE.search(stderr.read_text(encoding="utf-8", errors="replace"))
            if match:
                url = match.group(1)
            elif process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{stderr.read_text()}")
            else:
                time.sleep(0.05)
        yield url, stderr, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.asynccontextmanager
async def http_session(url: str, token: str | None = None) -> AsyncIterator[ClientSession]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@pytest.fixture
def keyed_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox that accepts only the distinctive key (state in ``tmp_path``)."""
    config = SandboxConfig(
        port=0,
        build_seconds=0,
        enrichment_seconds=0,
        api_keys=(KEY,),
        db=str(tmp_path / "keyed.db"),
        max_audience_size=2000,
    )
    with Sandbox(config) as sandbox:
        yield sandbox
