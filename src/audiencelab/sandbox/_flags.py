"""The flags of ``audiencelab sandbox serve`` and ``python -m audiencelab.sandbox``, as one table.

Both entry points read their flags from :data:`SERVE_FLAGS` and turn the raw strings into a
:class:`SandboxConfig` with :func:`config_from_flags`, so they accept exactly the same flags, with
the same defaults and the same error messages. A bad value is a ``ValueError`` whose message names
the flag; the caller prints it as one ``error: ...`` line and exits with status 2.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from audiencelab.sandbox._config import (
    DEFAULT_API_KEY,
    MAX_AUDIENCE_SIZE_LIMIT,
    SandboxConfig,
    is_loopback_host,
)
from audiencelab.sandbox._profile import read_profile

__all__ = ["SERVE_FLAGS", "Flag", "config_from_flags", "startup_warnings"]


@dataclass(frozen=True)
class Flag:
    """One command-line flag: how it reads and which ``SandboxConfig`` field it sets."""

    name: str
    field: str
    metavar: str
    help: str
    #: the default as typed on the command line ("" means "not given")
    default: str
    kind: Literal["text", "integer", "number", "keys", "list", "url", "choice", "profile"]
    low: float = 0
    high: float = 0

    @property
    def option(self) -> str:
        return "--" + self.name


SERVE_FLAGS: tuple[Flag, ...] = (
    Flag(
        "host", "host", "HOST", "Address to listen on (loopback by default).", "127.0.0.1", "text"
    ),
    Flag("port", "port", "PORT", "TCP port; 0 picks a free one.", "8765", "integer", 0, 65535),
    Flag("db", "db", "PATH", "SQLite file that keeps state across restarts.", ":memory:", "text"),
    Flag(
        "api-key",
        "api_keys",
        "KEY",
        f"Accepted X-Api-Key (repeatable). Default: {DEFAULT_API_KEY}.",
        "",
        "keys",
    ),
    Flag(
        "build-seconds",
        "build_seconds",
        "S",
        "Seconds an audience (or enrichment job) takes to build.",
        "3",
        "number",
        0,
        86400,
    ),
    Flag(
        "max-audience-size",
        "max_audience_size",
        "N",
        "Largest audience, 1..5000000.",
        "10000",
        "integer",
        1,
        MAX_AUDIENCE_SIZE_LIMIT,
    ),
    Flag(
        "latency",
        "latency_ms",
        "MS",
        "Delay added to every API response.",
        "0",
        "number",
        0,
        60_000,
    ),
    Flag(
        "fail-rate",
        "fail_rate",
        "P",
        "Share of requests answered 500/502/503/504.",
        "0",
        "number",
        0,
        1,
    ),
    Flag(
        "drop-rate",
        "drop_rate",
        "P",
        "Share of connections closed without a response.",
        "0",
        "number",
        0,
        1,
    ),
    Flag(
        "rate-limit",
        "rate_limit",
        "N",
        "Requests per second per key before 429 (default: none).",
        "",
        "number",
        0.001,
        1_000_000,
    ),
    Flag("seed", "seed", "N", "Make injected faults reproducible.", "", "integer", 0, 2**63 - 1),
    Flag(
        "fail-after-commit-rate",
        "fail_after_commit_rate",
        "P",
        "Share of successful writes committed, then answered 502/503/504 or dropped.",
        "0",
        "number",
        0,
        1,
    ),
    Flag(
        "error-style",
        "error_style",
        "STYLE",
        'Error bodies: object {"error": {"code", "message"}}, string {"error": "..."}, '
        'or message {"message": "..."}.',
        "object",
        "choice",
    ),
    Flag(
        "list-total-key",
        "list_total_key",
        "KEY",
        "The total of list envelopes: total_records or total.",
        "total_records",
        "choice",
    ),
    Flag(
        "job-fail-rate",
        "job_fail_rate",
        "P",
        "Share of enrichment jobs that end FAILED.",
        "0",
        "number",
        0,
        1,
    ),
    Flag(
        "header-timeout",
        "header_timeout",
        "S",
        "Seconds a request's headers may take to arrive before the connection is closed.",
        "10",
        "number",
        0.1,
        3600,
    ),
    Flag(
        "body-timeout",
        "body_timeout",
        "S",
        "Seconds a request's body may take after its headers before the connection is closed.",
        "30",
        "number",
        0.1,
        3600,
    ),
    Flag(
        "public-url",
        "public_url",
        "URL",
        "URL clients use to reach the sandbox (behind a proxy); links it hands out start with it.",
        "",
        "url",
    ),
    # The API as one key sees it (what `audiencelab doctor` finds), one variant at a time or all
    # at once from a doctor report; a flag given on the command line wins over the profile.
    Flag(
        "attribute-list",
        "attribute_lists",
        "NAME",
        "Serve only this attribute list; the others answer 404 (repeatable). Default: all six.",
        "",
        "list",
    ),
    Flag(
        "missing-endpoint",
        "missing_endpoints",
        "ENDPOINT",
        "Answer 404 for this endpoint, e.g. 'GET /pixels' (repeatable).",
        "",
        "list",
    ),
    Flag(
        "forbidden-endpoint",
        "forbidden_endpoints",
        "ENDPOINT",
        "Answer 403 (missing permission) for this endpoint, e.g. 'GET /enrichments' (repeatable).",
        "",
        "list",
    ),
    Flag(
        "profile",
        "profile",
        "FILE",
        "Mimic the API as a report of `audiencelab doctor -o FILE` found it.",
        "",
        "profile",
    ),
)


def _number(flag: Flag, raw: str) -> float | int:
    integer = flag.kind == "integer"
    what = "an integer" if integer else "a number"
    if integer:
        bounds = f"{int(flag.low):d} and {int(flag.high):d}"
    else:
        bounds = f"{flag.low:g} and {flag.high:g}"
    rule = f"{flag.option} must be {what} between {bounds} (got {raw!r})"
    try:
        value: float | int = int(raw.strip(), 10) if integer else float(raw)
    except ValueError:
        raise ValueError(rule) from None
    if not math.isfinite(value) or not flag.low <= value <= flag.high:
        raise ValueError(rule)
    return value


def config_from_flags(values: Mapping[str, Any]) -> SandboxConfig:
    """A config from raw flag values keyed by flag name (``"build-seconds"``); missing flags
    take their defaults, ``--api-key`` is a list. Raises ``ValueError`` naming the flag."""
    settings: dict[str, Any] = {}
    for flag in SERVE_FLAGS:
        raw = values.get(flag.name, flag.default)
        if flag.kind == "profile":
            continue
        if flag.kind == "list":
            if raw:
                settings[flag.field] = tuple(raw)
        elif flag.kind == "keys":
            keys: Sequence[str] = raw or ()
            settings[flag.field] = tuple(keys) or (DEFAULT_API_KEY,)
        elif flag.kind == "choice":
            settings[flag.field] = str(raw).strip()
        elif flag.kind == "url":
            settings[flag.field] = str(raw).strip() or None
        elif flag.kind == "text":
            if not str(raw).strip():
                what = "a file path (or :memory:)" if flag.name == "db" else "a non-empty string"
                raise ValueError(f"{flag.option} must be {what}")
            settings[flag.field] = str(raw)
        elif str(raw).strip():
            settings[flag.field] = _number(flag, str(raw))
        else:
            settings[flag.field] = None
    if settings["fail_rate"] + settings["drop_rate"] > 1:
        raise ValueError("--fail-rate plus --drop-rate must not exceed 1")
    profile = str(values.get("profile") or "").strip()
    if profile:
        given = {
            f.field for f in SERVE_FLAGS if values.get(f.name, f.default) not in (f.default, [])
        }
        for name, value in read_profile(profile).items():
            if name not in given:
                settings[name] = value
    try:
        return SandboxConfig(**settings)
    except ValueError as exc:
        message = str(exc)
        for flag in SERVE_FLAGS:  # "public_url must be ..." -> "--public-url must be ..."
            if message.startswith((f"{flag.field} ", f"{flag.field}:")):
                message = flag.option + message[len(flag.field) :]
        raise ValueError(message) from None


def startup_warnings(config: SandboxConfig) -> list[str]:
    """What ``serve`` should say loudly before it starts."""
    if is_loopback_host(config.host):
        return []
    return [
        f"WARNING: --host {config.host} is not a loopback address: other machines can reach this "
        "sandbox. Use --host 127.0.0.1 unless you really mean it."
    ]
