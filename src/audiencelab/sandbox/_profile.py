"""``--profile FILE``: the API as one key saw it, from a report of ``audiencelab doctor -o FILE``.

The report is read on the sandbox's own terms, as JSON: the sandbox does not import the SDK that
wrote it. A profile is an object of ``SandboxConfig`` settings, either a whole doctor report (its
``"sandbox_profile"``) or that object alone, so it can be written by hand too::

    {"version": 1, "list_total_key": "total", "error_style": "string",
     "attribute_lists": ["segments", "industries"], "missing_endpoints": ["GET /pixels"],
     "forbidden_endpoints": ["GET /enrichments"], "notes": ["..."]}

Every key is optional (a missing one keeps the sandbox's default); ``notes`` (what the sandbox
cannot mimic) is for people and ignored here.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from audiencelab.sandbox._config import SandboxConfig

__all__ = ["PROFILE_SETTINGS", "PROFILE_VERSION", "read_profile"]

PROFILE_VERSION = 1
#: profile key -> whether it holds a list of strings (else one string)
PROFILE_SETTINGS: dict[str, bool] = {
    "list_total_key": False,
    "error_style": False,
    "attribute_lists": True,
    "missing_endpoints": True,
    "forbidden_endpoints": True,
}
_IGNORED = frozenset({"version", "notes"})


def read_profile(path: str) -> dict[str, Any]:
    """The ``SandboxConfig`` settings of the profile in ``path``; ``ValueError`` naming the file and
    every problem in it."""
    where = f"--profile {path}"
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not a UTF-8 text file") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{where}: not JSON ({exc})") from None
    if isinstance(document, dict) and "sandbox_profile" in document:
        document = document["sandbox_profile"]
    if not isinstance(document, dict):
        raise ValueError(
            f"{where}: expected a report of `audiencelab doctor -o FILE` or a JSON object of "
            f"settings ({', '.join(PROFILE_SETTINGS)})"
        )
    settings, problems = _settings(document)
    if not problems:
        try:
            SandboxConfig(**settings)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))
    return settings


def _settings(profile: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    settings: dict[str, Any] = {}
    problems: list[str] = []
    version = profile.get("version", PROFILE_VERSION)
    if version != PROFILE_VERSION:
        problems.append(
            f"version {version!r} is not one this sandbox reads ({PROFILE_VERSION}); run "
            "`audiencelab doctor -o FILE` again with this version"
        )
    for key, value in profile.items():
        if key in _IGNORED:
            continue
        is_list = PROFILE_SETTINGS.get(key)
        if is_list is None:
            close = difflib.get_close_matches(key, PROFILE_SETTINGS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"unknown key {key!r}{hint}")
        elif is_list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{key} must be a list of strings (got {value!r})")
            else:
                settings[key] = tuple(value)
        elif not isinstance(value, str):
            problems.append(f"{key} must be a string (got {value!r})")
        else:
            settings[key] = value
    return settings, problems
