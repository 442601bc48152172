"""The flags of ``audiencelab sandbox serve`` and ``python -m audiencelab.sandbox``, as one table.

The flags are the metadata of ``SandboxConfig``'s fields (``_config.flag``). Both entry points read
them from :data:`SERVE_FLAGS` (Typer options for the command, argparse arguments for ``python -m``)
and turn the raw strings into a :class:`SandboxConfig` with :func:`config_from_flags`, so they accept
exactly the same flags, with the same defaults and the same error messages. A bad value is a
``ValueError`` whose message names the flag; the caller prints it as one ``error: ...`` line and
exits with status 2. Nothing here imports Starlette or uvicorn: the command line reads this table
for ``--help`` without the ``sandbox`` extra.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from audiencelab.sandbox._config import (
    DEFAULT_API_KEY,
    Flag,
    SandboxConfig,
    is_loopback_host,
    serve_flags,
)
from audiencelab.sandbox._profile import read_profile

__all__ = ["SERVE_FLAGS", "Flag", "config_from_flags", "startup_warnings"]


#: ``--profile FILE`` sets no field of its own: it reads a doctor report into several (a flag
#: given on the command line wins over the profile).
PROFILE_FLAG = Flag(
    "profile",
    "profile",
    "FILE",
    "Mimic the API as a report of `audiencelab doctor -o FILE` found it.",
    "",
    "profile",
)
#: Every flag: the metadata of ``SandboxConfig``'s fields (declared there and nowhere else), then
#: ``--profile``.
SERVE_FLAGS: tuple[Flag, ...] = (*serve_flags(), PROFILE_FLAG)


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
