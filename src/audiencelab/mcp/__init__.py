"""``audiencelab mcp``: an MCP server that lets AI agents build audiences safely (extra ``mcp``).

The tools put the SDK's checks between a model and the API: a refused call lists every problem
with its path and a suggested fix, and nothing is sent. Exports are written to files, inside one
folder only.

>>> from audiencelab import AudienceLab
>>> from audiencelab.mcp import build_server, run_stdio
>>> run_stdio(build_server(AudienceLab(), export_dir="."))  # doctest: +SKIP
"""

from audiencelab.mcp._policy import Policy
from audiencelab.mcp._schema import filters_schema
from audiencelab.mcp._server import (
    DEFAULT_TOOLSETS,
    TOOLSETS,
    AudienceLabMCP,
    build_server,
    run_http,
    run_stdio,
    tool_specs,
)
from audiencelab.mcp._tools import ToolContext, ToolSpec

__all__ = [
    "DEFAULT_TOOLSETS",
    "TOOLSETS",
    "AudienceLabMCP",
    "Policy",
    "ToolContext",
    "ToolSpec",
    "build_server",
    "filters_schema",
    "run_http",
    "run_stdio",
    "tool_specs",
]
