"""``audiencelab mcp``: serve the API to AI agents over the Model Context Protocol (extra ``mcp``).

The ``mcp`` package is imported only when the command runs, so ``audiencelab --help`` stays fast.
The client comes from the run's :class:`State`, as for every other command: the key from
``AUDIENCELAB_API_KEY``, or with ``--sandbox`` the same local sandbox state as the CLI's.

Over HTTP off loopback the server does not start without a bearer token (``--token`` or
``AUDIENCELAB_MCP_TOKEN``): anyone who reaches it could spend the key. Exports go to
``--export-dir``, by default a folder in the user's data directory (desktop clients start servers
in ``/``, which must not become the export folder).
"""

from __future__ import annotations

import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import platformdirs
import typer

from audiencelab import is_loopback_host
from audiencelab.cli._context import State, get_state
from audiencelab.cli._errors import EXIT_USAGE, CliError
from audiencelab.cli._extras import missing_extra_message

__all__ = ["TOKEN_ENV", "default_export_dir", "mcp_command"]

DEFAULT_PORT = 8766
#: Where the bearer token is read when --token is not given (keep it out of process listings).
TOKEN_ENV = "AUDIENCELAB_MCP_TOKEN"
MIN_TOKEN_LENGTH = 16
#: A missing extra is not a usage error (the command was right): 1, as for every command.
EXIT_MISSING_EXTRA = 1


class Confirm(StrEnum):
    never = "never"
    spend = "spend"
    all = "all"


def default_export_dir() -> Path:
    """The export folder when none is given: ``exports`` in the user's data directory."""
    return Path(platformdirs.user_data_dir("audiencelab", appauthor=False)) / "exports"


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


class _HideSecrets(logging.Formatter):
    """Whole log lines, tracebacks included, with every secret replaced."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__("%(name)s] %(message)s")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        # "info [uvicorn.error] ...": as the command line's own log lines
        text = f"{record.levelname.lower()} [{super().format(record)}"
        for secret in self.secrets:
            text = text.replace(secret, "[API key hidden]")
        return text


def _log_everything_else(ctx: typer.Context, state: State, token: str | None = None) -> None:
    """The MCP SDK's and uvicorn's records on stderr, secrets (the key, the bearer token)
    hidden; the ``audiencelab`` logger keeps the handler the command line gave it (``--verbose``
    shows its debug records)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_HideSecrets((*state.secrets, *([token] if token else []))))
    root, ours = logging.getLogger(), logging.getLogger("audiencelab")
    level, propagate = root.level, ours.propagate
    root.addHandler(handler)
    root.setLevel(logging.INFO if state.verbose else logging.WARNING)
    ours.propagate = False  # it has its own handler

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(level)
        ours.propagate = propagate

    ctx.call_on_close(restore)


def _folder(path: Path) -> Path:
    folder = path.expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(
            f"--export-dir {str(path)!r} cannot be used: {exc.strerror or exc}; pass a folder "
            "you can write to",
            EXIT_USAGE,
        ) from None
    if not os.access(folder, os.W_OK):
        raise CliError(
            f"--export-dir {str(path)!r} is not writable; pass a folder you can write to",
            EXIT_USAGE,
        )
    return folder.resolve()


def _tool_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _token(option: str | None, transport: Transport, host: str) -> str | None:
    """The bearer token HTTP requests must carry; refuse to serve off loopback without one."""
    token = option if option is not None else os.environ.get(TOKEN_ENV)
    if transport is not Transport.http:
        if option is not None:
            raise CliError("--token is for --transport http: stdio needs none", EXIT_USAGE)
        return None
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise CliError(
            f"the bearer token must be at least {MIN_TOKEN_LENGTH} characters long; make one "
            'with: python -c "import secrets; print(secrets.token_urlsafe(32))"',
            EXIT_USAGE,
        )
    if token is None and not is_loopback_host(host):
        raise CliError(
            f"--host {host} is not a loopback address, and there is no bearer token: anyone who "
            f"can reach the port could use the API key. Set {TOKEN_ENV} (or pass --token) to a "
            "long random secret, and have clients send it as 'Authorization: Bearer <token>'",
            EXIT_USAGE,
        )
    return token


def mcp_command(
    ctx: typer.Context,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Serve the local sandbox instead of the real API (the CLI's sandbox state).",
        ),
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="API address (default: the real API).", metavar="URL"),
    ] = None,
    transport: Annotated[
        Transport,
        typer.Option(
            "--transport",
            help="stdio (what Claude Desktop, Claude Code, Cursor and VS Code launch) or http.",
        ),
    ] = Transport.stdio,
    host: Annotated[
        str,
        typer.Option("--host", help="With --transport http: address to listen on.", metavar="HOST"),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port", help="With --transport http: TCP port (0: a free one).", min=0, max=65535
        ),
    ] = DEFAULT_PORT,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Offer only the tools that change nothing.")
    ] = False,
    export_dir: Annotated[
        Path | None,
        typer.Option(
            "--export-dir",
            help="The only folder files are written to; created if missing (default: "
            "'exports' in your data folder).",
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
    tools: Annotated[
        str | None,
        typer.Option(
            "--tools",
            help="Tools or toolsets to offer, comma-separated: audiences, enrichment, pixels, "
            "segments, all, or tool names (default: audiences).",
            metavar="LIST",
        ),
    ] = None,
    confirm: Annotated[
        Confirm,
        typer.Option(
            "--confirm",
            help="What asks the user first (where the client can ask): spend (credits), all "
            "(also creating pixels and deleting), or never.",
        ),
    ] = Confirm.spend,
    max_creates: Annotated[
        int,
        typer.Option(
            "--max-creates",
            help="Creates (audiences, jobs, pixels) this server may make; 0 for none.",
            min=0,
        ),
    ] = 10,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help=f"With --transport http: the bearer token every request must carry (default: "
            f"${TOKEN_ENV}; required off loopback).",
            metavar="TOKEN",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the API to AI agents over MCP (stdio by default), with every call checked first.

    The API key comes from AUDIENCELAB_API_KEY; it is never a tool argument and never shown.
    """
    state = get_state(ctx)
    if sandbox:
        state.sandbox = True
    state.sandbox_runs_on = True  # its sandbox serves the links it hands out while it runs
    if base_url is not None:
        state.base_url = base_url
    if state.sandbox and state.base_url is not None:
        raise CliError(
            "--sandbox and --base-url cannot be used together: the sandbox runs on its own "
            "local address. Drop one of them.",
            EXIT_USAGE,
        )
    bearer = _token(token, transport, host)
    try:
        from audiencelab.mcp import Policy, build_server, run_http, run_stdio
    except ImportError as exc:
        raise CliError(
            missing_extra_message("mcp", "`audiencelab mcp`", getattr(exc, "name", None)),
            EXIT_MISSING_EXTRA,
        ) from None
    folder = _folder(export_dir if export_dir is not None else default_export_dir())

    policy = Policy(confirm=confirm.value, max_creates=max_creates, read_only=read_only)
    client = state.client()
    try:
        server = build_server(
            client,
            export_dir=folder,
            sandbox=state.sandbox,
            policy=policy,
            tools=_tool_names(tools),
            token=bearer,
        )
    except ValueError as exc:  # --tools names a tool or toolset that does not exist
        raise CliError(f"--tools: {exc}", EXIT_USAGE) from None
    _log_everything_else(ctx, state, bearer)
    where = "the local sandbox" if state.sandbox else (state.base_url or "the AudienceLab API")
    mode = ", read-only" if read_only else ""
    if transport is Transport.stdio:
        state.out.info(f"AudienceLab MCP server on stdio ({where}{mode}); exports go to {folder}")
        run_stdio(server)
        return

    def listening(url: str) -> None:
        # Always shown (not only without --quiet): clients need the address.
        auth = "; bearer token required" if bearer else ""
        print(
            f"AudienceLab MCP server on {url} (streamable HTTP; {where}{mode}{auth}); exports go "
            f"to {folder}. Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )

    try:
        run_http(server, host=host, port=port, on_listening=listening, log_requests=state.verbose)
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1) from None
    print("MCP server stopped.", file=sys.stderr, flush=True)
