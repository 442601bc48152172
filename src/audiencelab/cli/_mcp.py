"""``audiencelab mcp``: serve the API to AI agents over the Model Context Protocol (extra ``mcp``).

The ``mcp`` package is imported only when the command runs, so ``audiencelab --help`` stays fast.
The client comes from the run's :class:`State`, as for every other command: the key from
``AUDIENCELAB_API_KEY``, or with ``--sandbox`` the same local sandbox state as the CLI's.
"""

from __future__ import annotations

import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from audiencelab import is_loopback_host
from audiencelab.cli._context import State, get_state
from audiencelab.cli._errors import EXIT_USAGE, CliError

__all__ = ["mcp_command"]

DEFAULT_PORT = 8766


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


def _log_everything_else(ctx: typer.Context, state: State) -> None:
    """The MCP SDK's and uvicorn's records on stderr, secrets hidden; the ``audiencelab`` logger
    keeps the handler the command line gave it (``--verbose`` shows its debug records)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_HideSecrets(state.secrets))
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
            help="The only folder files are written to; created if missing (default: the current folder).",
            metavar="DIR",
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
    if base_url is not None:
        state.base_url = base_url
    if state.sandbox and state.base_url is not None:
        raise CliError(
            "--sandbox and --base-url cannot be used together: the sandbox runs on its own "
            "local address. Drop one of them.",
            EXIT_USAGE,
        )
    folder = _folder(export_dir if export_dir is not None else Path.cwd())
    try:
        from audiencelab.mcp import build_server, run_http, run_stdio
    except ImportError as exc:
        raise CliError(
            f"audiencelab mcp needs the mcp extra ({exc}): pip install 'audiencelab[mcp]'",
            EXIT_USAGE,
        ) from None

    _log_everything_else(ctx, state)
    server = build_server(
        state.client(), export_dir=folder, read_only=read_only, sandbox=state.sandbox
    )
    where = "the local sandbox" if state.sandbox else (state.base_url or "the AudienceLab API")
    mode = ", read-only" if read_only else ""
    if transport is Transport.stdio:
        state.out.info(f"AudienceLab MCP server on stdio ({where}{mode}); exports go to {folder}")
        run_stdio(server)
        return
    if not is_loopback_host(host):
        state.out.warning(
            f"--host {host} is not a loopback address: anyone who can reach it can use the API "
            "key through this server, without authentication."
        )

    def listening(url: str) -> None:
        # Always shown (not only without --quiet): clients need the address.
        print(
            f"AudienceLab MCP server on {url} (streamable HTTP; {where}{mode}); exports go to "
            f"{folder}. Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )

    try:
        run_http(server, host=host, port=port, on_listening=listening, log_requests=state.verbose)
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1) from None
    print("MCP server stopped.", file=sys.stderr, flush=True)
