"""``audiencelab sandbox ...``: run the local emulator (extra ``sandbox``).

The flags are declared here for ``--help`` (without importing the sandbox, so that the command
line starts fast and works without the extra); their values are checked by the sandbox's own flag
table (``audiencelab.sandbox.config_from_flags``), which ``python -m audiencelab.sandbox`` uses too.
Bad values raise :class:`CliError`, like every other command: one ``error: ...`` line, exit 2.
"""

from __future__ import annotations

import sys

import typer

from audiencelab.cli._errors import EXIT_API, EXIT_USAGE, CliError

sandbox_app = typer.Typer(
    help="Run the local AudienceLab sandbox (an offline emulator of the API)."
)

_DEFAULT_KEY = "sk_test_sandbox"  # audiencelab.sandbox.DEFAULT_API_KEY, without importing starlette


@sandbox_app.command("serve")
def serve_command(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (loopback by default).", metavar="HOST"
    ),
    port: str = typer.Option(
        "8765", "--port", help="TCP port; 0 picks a free one.", metavar="PORT"
    ),
    db: str = typer.Option(
        ":memory:", "--db", help="SQLite file that keeps state across restarts.", metavar="PATH"
    ),
    api_key: list[str] = typer.Option(  # noqa: B008
        [],
        "--api-key",
        help=f"Accepted X-Api-Key (repeatable). Default: {_DEFAULT_KEY}.",
        metavar="KEY",
        show_default=False,
    ),
    build_seconds: str = typer.Option(
        "3",
        "--build-seconds",
        help="Seconds an audience (or enrichment job) takes to build.",
        metavar="S",
    ),
    max_audience_size: str = typer.Option(
        "10000", "--max-audience-size", help="Largest audience, 1..5000000.", metavar="N"
    ),
    latency: str = typer.Option(
        "0", "--latency", help="Delay added to every API response.", metavar="MS"
    ),
    fail_rate: str = typer.Option(
        "0", "--fail-rate", help="Share of requests answered 500/502/503/504.", metavar="P"
    ),
    drop_rate: str = typer.Option(
        "0", "--drop-rate", help="Share of connections closed without a response.", metavar="P"
    ),
    rate_limit: str = typer.Option(
        "",
        "--rate-limit",
        help="Requests per second per key before 429 (default: none).",
        metavar="N",
    ),
    seed: str = typer.Option("", "--seed", help="Make injected faults reproducible.", metavar="N"),
    fail_after_commit_rate: str = typer.Option(
        "0",
        "--fail-after-commit-rate",
        help="Share of successful writes committed, then answered 502/503/504 or dropped.",
        metavar="P",
    ),
    error_style: str = typer.Option(
        "object",
        "--error-style",
        help='Error bodies: object {"error": {"code", "message"}}, string {"error": "..."}, '
        'or message {"message": "..."}.',
        metavar="STYLE",
    ),
    list_total_key: str = typer.Option(
        "total_records",
        "--list-total-key",
        help="The total of list envelopes: total_records or total.",
        metavar="KEY",
    ),
    job_fail_rate: str = typer.Option(
        "0", "--job-fail-rate", help="Share of enrichment jobs that end FAILED.", metavar="P"
    ),
    header_timeout: str = typer.Option(
        "10",
        "--header-timeout",
        help="Seconds a request's headers may take to arrive before the connection is closed.",
        metavar="S",
    ),
    body_timeout: str = typer.Option(
        "30",
        "--body-timeout",
        help="Seconds a request's body may take after its headers before the connection is closed.",
        metavar="S",
    ),
    public_url: str = typer.Option(
        "",
        "--public-url",
        help="URL clients use to reach the sandbox (behind a proxy); links it hands out start "
        "with it.",
        metavar="URL",
    ),
    attribute_list: list[str] = typer.Option(  # noqa: B008
        [],
        "--attribute-list",
        help="Serve only this attribute list; the others answer 404 (repeatable). Default: all six.",
        metavar="NAME",
        show_default=False,
    ),
    missing_endpoint: list[str] = typer.Option(  # noqa: B008
        [],
        "--missing-endpoint",
        help="Answer 404 for this endpoint, e.g. 'GET /pixels' (repeatable).",
        metavar="ENDPOINT",
        show_default=False,
    ),
    forbidden_endpoint: list[str] = typer.Option(  # noqa: B008
        [],
        "--forbidden-endpoint",
        help="Answer 403 (missing permission) for this endpoint, e.g. 'GET /enrichments' "
        "(repeatable).",
        metavar="ENDPOINT",
        show_default=False,
    ),
    profile: str = typer.Option(
        "",
        "--profile",
        help="Mimic the API as a report of `audiencelab doctor -o FILE` found it.",
        metavar="FILE",
    ),
) -> None:
    """Start the sandbox and serve until Ctrl-C."""
    try:
        from audiencelab.sandbox import (
            SandboxStartError,
            config_from_flags,
            serve,
            startup_warnings,
        )
    except ImportError as exc:
        raise CliError(f"{exc} (pip install 'audiencelab[cli,sandbox]')", EXIT_API) from None

    flags = {
        "host": host,
        "port": port,
        "db": db,
        "api-key": api_key,
        "build-seconds": build_seconds,
        "max-audience-size": max_audience_size,
        "latency": latency,
        "fail-rate": fail_rate,
        "drop-rate": drop_rate,
        "rate-limit": rate_limit,
        "seed": seed,
        "fail-after-commit-rate": fail_after_commit_rate,
        "error-style": error_style,
        "list-total-key": list_total_key,
        "job-fail-rate": job_fail_rate,
        "header-timeout": header_timeout,
        "body-timeout": body_timeout,
        "public-url": public_url,
        "attribute-list": attribute_list,
        "missing-endpoint": missing_endpoint,
        "forbidden-endpoint": forbidden_endpoint,
        "profile": profile,
    }
    try:
        config = config_from_flags(flags)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    for warning in startup_warnings(config):
        print(warning, file=sys.stderr, flush=True)
    try:
        serve(config)
    except SandboxStartError as exc:
        raise CliError(str(exc), EXIT_API) from None
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        pass
    print("Sandbox stopped.", file=sys.stderr, flush=True)
