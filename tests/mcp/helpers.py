"""The server in-process, with the MCP SDK's own client, against a sandbox on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult

from audiencelab import AudienceLab
from audiencelab.mcp import Policy, build_server
from audiencelab.mcp._errors import ERROR_META
from audiencelab.sandbox import DEFAULT_API_KEY, Sandbox, SandboxConfig
from mcp import Client


@contextlib.contextmanager
def sandbox_client(**config: Any) -> Iterator[AudienceLab]:
    settings = {"port": 0, "build_seconds": 0, "enrichment_seconds": 0, **config}
    with (
        Sandbox(SandboxConfig(**settings)) as sandbox,
        AudienceLab(api_key=DEFAULT_API_KEY, base_url=sandbox.base_url) as client,
    ):
        yield client


@contextlib.asynccontextmanager
async def connected(
    client: AudienceLab,
    export_dir: Path,
    *,
    policy: Policy | None = None,
    tools: list[str] | None = None,
    **client_options: Any,
) -> AsyncIterator[Client]:
    """A server over ``client`` (every tool unless ``tools``), and the SDK's client on it."""
    server = build_server(
        client, export_dir=export_dir, sandbox=True, policy=policy, tools=tools or ["all"]
    )
    async with Client(server, **client_options) as session:
        yield session


def error_data(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error
    assert result.structured_content is None
    assert result.meta is not None
    data: dict[str, Any] = result.meta[ERROR_META]
    return data


def text(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def wire_size(result: CallToolResult) -> int:
    wire = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return len(json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode())


class Answers:
    """An elicitation callback that answers every question the same way, and records them."""

    def __init__(self, action: str = "accept", confirm: bool = True) -> None:
        self.action = action
        self.confirm = confirm
        self.questions: list[str] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        if self.action != "accept":
            return ElicitResult(action=self.action)  # type: ignore[arg-type]
        return ElicitResult(action="accept", content={"confirm": self.confirm})
