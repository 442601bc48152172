"""``audiencelab sandbox ...``: run the local emulator (extra ``sandbox``)."""

from __future__ import annotations

import math
import sys
from typing import Any, NoReturn

import typer

sandbox_app = typer.Typer(
    help="Run the local AudienceLab sandbox (an offline emulator of the API)."
)

_DEFAULT_KEY = "sk_test_sandbox"  # audiencelab.sandbox.DEFAULT_API_KEY, without importing starlette


def _fail(message: str, code: int = 2) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _number(flag: str, raw: str, low: Any, high: Any, *, integer: bool = False) -> float:
    """Parse a flag value; bad input ends the command with one clear line and exit status 2."""
    what = "an integer" if integer else "a number"
    bounds = f"{low:d} and {high:d}" if integer else f"{low:g} and {high:g}"
    rule = f"{flag} must be {what} between {bounds} (got {raw!r})"
    try:
        value = int(raw.strip(), 10) if integer else float(raw)
    except ValueError:
        _fail(rule)
    if not math.isfinite(value) or not low <= value <= high:
        _fail(rule)
    return value


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
        "0", "--fail-rate", help="Share of requests answered 500/502/503.", metavar="P"
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
) -> None:
    """Start the sandbox and serve until Ctrl-C."""
    port_n = int(_number("--port", port, 0, 65535, integer=True))
    build = _number("--build-seconds", build_seconds, 0, 86400)
    size = int(_number("--max-audience-size", max_audience_size, 1, 5_000_000, integer=True))
    latency_ms = _number("--latency", latency, 0, 60_000)
    fail = _number("--fail-rate", fail_rate, 0, 1)
    drop = _number("--drop-rate", drop_rate, 0, 1)
    limit = _number("--rate-limit", rate_limit, 0.001, 1_000_000) if rate_limit.strip() else None
    seed_n = int(_number("--seed", seed, 0, 2**63 - 1, integer=True)) if seed.strip() else None
    if fail + drop > 1:
        _fail("--fail-rate plus --drop-rate must not exceed 1")
    if not db.strip():
        _fail("--db must be a file path (or :memory:)")

    try:
        from audiencelab.sandbox import SandboxConfig, SandboxStartError, serve
        from audiencelab.sandbox._config import is_loopback_host
    except ImportError as exc:
        _fail(f"{exc} (pip install 'audiencelab[cli,sandbox]')", 1)

    try:
        config = SandboxConfig(
            host=host,
            port=port_n,
            db=db,
            api_keys=tuple(api_key) or (_DEFAULT_KEY,),
            build_seconds=build,
            max_audience_size=size,
            latency_ms=latency_ms,
            fail_rate=fail,
            drop_rate=drop,
            rate_limit=limit,
            seed=seed_n,
        )
    except ValueError as exc:
        _fail(str(exc))
    if not is_loopback_host(host):
        print(
            f"WARNING: --host {host} is not a loopback address: other machines can reach this "
            "sandbox. Use --host 127.0.0.1 unless you really mean it.",
            file=sys.stderr,
            flush=True,
        )
    try:
        serve(config)
    except SandboxStartError as exc:
        _fail(str(exc), 1)
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        pass
    print("Sandbox stopped.", file=sys.stderr, flush=True)
