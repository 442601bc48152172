"""The MCP server: the tools, resources and prompt on one ``MCPServer``, served over stdio or
streamable HTTP.

Arguments are checked at the boundary as well: an argument a tool does not have (``daysBack``,
``api_key``) is refused with the closest real one, and arguments that do not fit a tool's input
schema come back as the same structured problems as the SDK's own refusals, never as a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import pydantic
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations

from audiencelab import (
    AudienceLab,
    AudienceLabError,
    InputProblem,
    InputValidationError,
    __version__,
)
from audiencelab.mcp._audiences import audience_tools
from audiencelab.mcp._auth import StaticTokenVerifier, auth_settings
from audiencelab.mcp._errors import (
    clip,
    error_result,
    input_error_result,
    no_such_tool_result,
    problems_from_arguments,
    tool_error,
)
from audiencelab.mcp._policy import Policy
from audiencelab.mcp._prompts import build_audience_prompt
from audiencelab.mcp._resources import register_resources
from audiencelab.mcp._services import service_tools
from audiencelab.mcp._tools import ToolContext, ToolSpec, closest
from audiencelab.mcp._wire import (
    MAX_RESULT_BYTES,
    compact_filters_schema,
    compact_schema,
    compact_text,
    outline_schema,
    result_size,
    shared_filters_schema,
)

__all__ = [
    "DEFAULT_TOOLSETS",
    "TOOLSETS",
    "AudienceLabMCP",
    "build_server",
    "run_http",
    "run_stdio",
    "select_tools",
    "tool_specs",
]

INSTRUCTIONS = """\
AudienceLab: build audiences of people from filters, read and export them, enrich contacts, \
manage website pixels.{where}
To build an audience: list_attribute_values (exact spellings of industries, departments, \
seniority, segments) -> preview_audience -> create_audience -> wait_for_audience -> \
export_audience (files are written only inside {export_dir}). Read audiencelab://reference for \
the filters and their traps. Every refused call says what to fix and that nothing was sent; a \
create whose outcome is unknown is never repeated: call list_audiences before trying again.\
{read_only}"""


#: Tools by what they are about (``--tools audiences,pixels``); a name may also be a tool's.
TOOLSETS: dict[str, tuple[str, ...]] = {
    "audiences": (
        "list_attribute_values",
        "preview_audience",
        "create_audience",
        "list_audiences",
        "wait_for_audience",
        "get_audience_records",
        "export_audience",
        "delete_audience",
        "create_custom_audience",
    ),
    "enrichment": (
        "enrich_contact",
        "create_enrichment_job",
        "list_enrichment_jobs",
        "get_enrichment_job",
        "download_enrichment_result",
    ),
    "pixels": ("create_pixel", "list_pixels", "get_pixel_events", "delete_pixel"),
    "segments": ("get_segment_records",),
}
#: What a server offers unless told (``--tools``): every tool costs context in every
#: conversation, and building audiences is what agents come for. With the enrichment tools too,
#: ``tools/list`` is over the 20 KB a server should cost (docs/mcp.md, "Figures"): they are one
#: ``--tools audiences,enrichment`` away, as GitHub's MCP server keeps its toolsets.
#: ``all`` names every toolset.
DEFAULT_TOOLSETS = ("audiences",)

_TOO_LARGE = (
    "The answer would be {size:,} bytes, over this server's limit of {limit:,} for one answer, "
    "so it is not sent. Ask for less: fewer rows (page_size, limit) or fewer columns (columns)."
)


def tool_specs(ctx: ToolContext, *, read_only: bool = False) -> list[ToolSpec]:
    """The tools this server offers (only those that change nothing with ``read_only``)."""
    specs = audience_tools(ctx) + service_tools(ctx)
    return [spec for spec in specs if spec.read_only or not read_only]


def select_tools(specs: list[ToolSpec], names: Sequence[str] | None) -> list[ToolSpec]:
    """The specs named by ``names`` (tool or toolset names, or ``all``); the default toolsets
    when None.

    Raises ``ValueError`` naming every unknown name, with the closest real one.
    """
    names = DEFAULT_TOOLSETS if names is None else names
    if "all" in names:
        return specs
    known = {spec.name for spec in specs} | {n for members in TOOLSETS.values() for n in members}
    wanted: set[str] = set()
    unknown: list[str] = []
    for name in names:
        if name in TOOLSETS:
            wanted.update(TOOLSETS[name])
        elif name in known:
            wanted.add(name)
        else:
            suggestion = closest(name, [*TOOLSETS, *sorted(known)], cutoff=0.6)
            unknown.append(f"{name!r}" + (f" (did you mean {suggestion!r}?)" if suggestion else ""))
    if unknown:
        raise ValueError(
            f"unknown tools or toolsets: {', '.join(unknown)}; toolsets are "
            f"{', '.join(TOOLSETS)} (or all), or give tool names"
        )
    return [spec for spec in specs if spec.name in wanted]


def _unknown_argument(name: str, arguments: tuple[str, ...]) -> InputProblem:
    if "key" in name.lower() or "token" in name.lower():
        return InputProblem.at(
            (name,),
            "not an argument: the server uses the API key it was started with, never one from a "
            "tool call",
        )
    return InputProblem.at((name,), "unknown argument", closest(name, arguments))


class AudienceLabMCP(MCPServer[Any]):
    """An ``MCPServer`` that refuses unknown tools and arguments, and arguments that do not fit a
    tool's schema, with the same structured problems as the SDK's refusals; and whose every answer
    is compact, capped in size, and valid against what the tool declares."""

    def __init__(
        self,
        specs: list[ToolSpec],
        ctx: ToolContext,
        *,
        hidden: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        self._specs = {spec.name: spec for spec in specs}
        self._tools = _tools(specs, ctx)
        #: Tools of the full set that this server does not offer, and why.
        self._hidden = hidden or {}
        super().__init__(tools=list(self._tools.values()), **kwargs)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        tool, spec = self._tools.get(name), self._specs.get(name)
        if tool is None or spec is None:
            return self._unknown_tool(name)
        known = tuple(tool.parameters.get("properties", {}))
        hints = spec.hints(known)
        problems = [_unknown_argument(key, known) for key in arguments if key not in known]
        try:
            valid = tool.fn_metadata.validate_arguments(arguments)
        except pydantic.ValidationError as exc:
            problems.extend(problems_from_arguments(exc))
        else:
            if problems and spec.check is not None:
                problems.extend(_checked(spec.check, valid))
        if problems:
            return input_error_result(problems, hints)
        try:
            result = await super().call_tool(name, arguments, context)
        except UnexpectedToolError as exc:
            # Anything the tool raised (its __cause__): an SDK error becomes a tool error a model
            # can act on; anything else an internal error, without its details or traceback.
            return error_result(exc.__cause__ or exc, hints)
        except ToolError as exc:  # raised on purpose by the SDK around the tool (a resolver)
            cause = exc.__cause__
            if isinstance(cause, AudienceLabError):
                return error_result(cause, hints)
            return tool_error(clip(str(exc), 1000), {"error": "tool_error"})
        if isinstance(result, InputRequiredResult):
            return result  # a question for the user (2026-07-28): the call comes back answered
        result = compact_text(result)
        size = result_size(result)
        if size > MAX_RESULT_BYTES:
            text = _TOO_LARGE.format(size=size, limit=MAX_RESULT_BYTES)
            return tool_error(text, {"error": "too_large", "size": size})
        return result

    def _unknown_tool(self, name: str) -> CallToolResult:
        if name in self._hidden:
            problem = InputProblem("", f"{name} is not available: {self._hidden[name]}")
        else:
            suggestion = closest(name, list(self._tools), cutoff=0.6)
            problem = InputProblem("", f"there is no tool named {clip(name, 80)!r}", suggestion)
        return no_such_tool_result(problem)


def _checked(check: Callable[..., object], arguments: dict[str, Any]) -> list[InputProblem]:
    """The SDK's problems with otherwise valid arguments (its pure checks send nothing)."""
    try:
        check(**arguments)
    except InputValidationError as exc:
        return list(exc.problems)
    except Exception:  # the call is refused anyway: a check that fails otherwise adds nothing
        return []
    return []


def _tools(specs: list[ToolSpec], ctx: ToolContext) -> dict[str, Tool]:
    """The SDK's tools, with compact schemas; the full filters schema only on the first tool
    that takes ``filters``."""
    tools: dict[str, Tool] = {}
    filters_owner: str | None = None
    for spec in specs:
        tool = _tool(spec, ctx)
        properties = tool.parameters.get("properties", {})
        if "filters" in properties:
            if filters_owner is None:
                filters_owner = spec.name
                properties["filters"] = compact_filters_schema()
            else:
                properties["filters"] = shared_filters_schema(filters_owner)
        tools[spec.name] = tool
    return tools


def _tool(spec: ToolSpec, ctx: ToolContext) -> Tool:
    read_only = spec.read_only
    # destructiveHint and idempotentHint mean something only for a tool that is not read-only
    # (the spec's words); said for the others, they would only cost context.
    annotations = ToolAnnotations(
        read_only_hint=read_only,
        destructive_hint=None if read_only else spec.destructive,
        idempotent_hint=None if read_only else spec.idempotent,
        # The sandbox is a closed world on this machine; the real API is not (and open is the
        # spec's default: not said).
        open_world_hint=False if ctx.sandbox else None,
    )
    tool = Tool.from_function(
        spec.fn,
        name=spec.name,
        description=spec.description,
        annotations=annotations,
        structured_output=True,
    )
    tool.parameters = compact_schema(tool.parameters, null=False)
    output = tool.fn_metadata.output_schema
    if output is not None:
        # Published only: results are validated against the output model itself.
        tool.fn_metadata.output_schema = outline_schema(
            compact_schema(output, descriptions=False), depth=1
        )
    return tool


def build_server(
    client: AudienceLab,
    *,
    export_dir: str | Path,
    read_only: bool = False,
    sandbox: bool = False,
    policy: Policy | None = None,
    tools: Sequence[str] | None = None,
    token: str | None = None,
) -> AudienceLabMCP:
    """An MCP server whose tools use ``client``; exports go inside ``export_dir`` only.

    ``sandbox`` says that ``client`` talks to the local sandbox (the model is told, and the tools
    are not marked open-world). ``policy`` decides what asks the user first and how many creates
    are allowed (``read_only`` is the same as ``Policy(read_only=True)``); ``tools`` keeps only
    these tools or toolsets (:data:`TOOLSETS`). ``token``: over HTTP, every request must carry
    ``Authorization: Bearer <token>``.
    """
    policy = policy or Policy()
    if read_only:
        policy.read_only = True
    ctx = ToolContext(
        client=client, export_dir=Path(export_dir).resolve(), sandbox=sandbox, policy=policy
    )
    everything = tool_specs(ctx)
    offered = select_tools(tool_specs(ctx, read_only=policy.read_only), tools)
    names = {spec.name for spec in offered}
    hidden = {
        spec.name: "this server is read-only"
        if policy.read_only and not spec.read_only
        else "this server was not started with it (--tools; add it, or pass --tools all)"
        for spec in everything
        if spec.name not in names
    }
    where = (
        " This server uses a LOCAL SANDBOX, not the real API: the people are synthetic and "
        "nothing costs credits."
        if sandbox
        else ""
    )
    only = (
        " This server is read-only: it offers only tools that change nothing."
        if policy.read_only
        else ""
    )
    auth: dict[str, Any] = {}
    if token is not None:
        auth = {"token_verifier": StaticTokenVerifier(token), "auth": auth_settings()}
    server = AudienceLabMCP(
        offered,
        ctx,
        hidden=hidden,
        name="audiencelab",
        title="AudienceLab",
        version=__version__,
        instructions=INSTRUCTIONS.format(where=where, export_dir=ctx.export_dir, read_only=only),
        log_level="WARNING",
        **auth,
    )
    register_resources(server, ctx)
    server.prompt(
        name="build_audience",
        title="Build an audience",
        description=(
            "Walks through building an audience from a description of the people wanted: "
            "attribute values, preview, create, wait, export."
        ),
    )(build_audience_prompt)
    return server


def run_stdio(server: MCPServer[Any]) -> None:
    """Serve over stdin/stdout until the client closes stdin."""
    anyio.run(server.run_stdio_async)


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so that port 0 gives a known free port."""
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)  # now: a client that read the printed URL may connect before serving
    except OSError:
        sock.close()
        raise
    return sock


def _security(host: str) -> TransportSecuritySettings:
    """Host and Origin checks (DNS rebinding): loopback names, and the host served on."""
    names = {"127.0.0.1", "localhost", "[::1]", f"[{host}]" if ":" in host else host}
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{name}:*" for name in sorted(names)],
        allowed_origins=[
            f"{scheme}://{name}:*" for name in sorted(names) for scheme in ("http", "https")
        ],
    )


def run_http(
    server: MCPServer[Any],
    *,
    host: str = "127.0.0.1",
    port: int = 8766,
    on_listening: Callable[[str], None] | None = None,
    log_requests: bool = False,
) -> None:
    """Serve streamable HTTP on ``http://host:port/mcp`` until SIGINT or SIGTERM.

    ``on_listening`` is called with the URL once the socket listens (``port=0`` picks a free
    port). Requests whose Host or Origin header is not this server's are refused.
    """
    import uvicorn  # only for HTTP: it pulls in click

    app = server.streamable_http_app(transport_security=_security(host), host=host)
    sock = _bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    config = uvicorn.Config(
        app,
        log_config=None,  # the command's logging (secrets hidden) handles uvicorn's records too
        access_log=log_requests,
        lifespan="on",
        timeout_graceful_shutdown=2,
        server_header=False,
    )
    uv = _uvicorn_server(config)
    if on_listening is not None:
        on_listening(f"http://{shown}:{bound_port}/mcp")
    try:
        asyncio.run(uv.serve(sockets=[sock]))
    finally:
        sock.close()


def _uvicorn_server(config: Any) -> Any:
    """uvicorn's server, except that a signal only asks it to stop (it is not re-raised after),
    so that Ctrl-C or SIGTERM ends :func:`run_http` normally."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return Server(config)
