"""The live vocabularies on disk: one JSON file per API origin and attribute, fresh for a day.

In the user's cache directory (``platformdirs``: ``~/.cache/audiencelab`` on Linux,
``~/Library/Caches/audiencelab`` on macOS, ``%LOCALAPPDATA%\\audiencelab\\Cache`` on Windows), or
``$AUDIENCELAB_CACHE_DIR``. A missing, stale, unreadable or corrupt file is simply not used, and
a directory that cannot be written only means the next client fetches again: the cache never
makes a request fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audiencelab._logging import log

__all__ = ["CACHE_DIR_ENV", "FRESH_SECONDS", "load", "save"]

#: The environment variable naming the cache directory.
CACHE_DIR_ENV = "AUDIENCELAB_CACHE_DIR"
#: How long a fetched list is used without asking the API again.
FRESH_SECONDS = 24 * 3600
_KIND = "audiencelab-vocabulary"


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs  # only when a vocabulary is cached

    return Path(platformdirs.user_cache_dir("audiencelab", appauthor=False))


def _file(base_url: str, attribute: str) -> Path:
    parts = urlsplit(base_url)
    readable = "".join(c if c.isalnum() or c in "-." else "_" for c in parts.netloc)
    digest = hashlib.sha256(base_url.encode()).hexdigest()[:12]
    return cache_dir() / "vocabularies" / f"{readable}-{digest}" / f"{attribute}.json"


def load(base_url: str, attribute: str, now: float | None = None) -> list[Any] | None:
    """The values cached for ``attribute`` of the API at ``base_url``, if fresh; else None."""
    path = _file(base_url, attribute)
    now = time.time() if now is None else now
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log(
            logging.DEBUG,
            "vocabulary_cache",
            "ignoring the cached %s (%s): %s",
            attribute,
            path,
            exc,
        )
        return None
    if (
        not isinstance(data, dict)
        or data.get("kind") != _KIND
        or data.get("origin") != base_url
        or not isinstance(data.get("values"), list)
        or not isinstance(data.get("fetched_at"), (int, float))
    ):
        log(
            logging.DEBUG,
            "vocabulary_cache",
            "ignoring the cached %s (%s): not ours",
            attribute,
            path,
        )
        return None
    age = now - data["fetched_at"]
    if not 0 <= age < FRESH_SECONDS:
        log(
            logging.DEBUG,
            "vocabulary_cache",
            "the cached %s is %.0f s old: fetching again",
            attribute,
            age,
        )
        return None
    values: list[Any] = data["values"]
    return values


def save(base_url: str, attribute: str, values: list[Any], now: float | None = None) -> None:
    """Keep ``values`` for a day (atomically replaced; errors only logged)."""
    path = _file(base_url, attribute)
    data = {
        "kind": _KIND,
        "origin": base_url,
        "attribute": attribute,
        "fetched_at": time.time() if now is None else now,
        "values": values,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
        ) as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(f.name, path)
    except OSError as exc:
        log(logging.DEBUG, "vocabulary_cache", "cannot cache %s in %s: %s", attribute, path, exc)
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(f.name)
