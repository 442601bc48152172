"""The live vocabularies on disk: one JSON file per API origin and attribute, fresh for a day.

In the user's cache directory (``platformdirs``: ``~/.cache/audiencelab`` on Linux,
``~/Library/Caches/audiencelab`` on macOS, ``%LOCALAPPDATA%\\audiencelab\\Cache`` on Windows), or
``$AUDIENCELAB_CACHE_DIR``. A missing, stale, unreadable or corrupt file is simply not used, and
a directory that cannot be written only means the next client fetches again: the cache never
makes a request fail.

What is found there is not trusted: only a regular file is read (not a symlink, a FIFO or a
device), at most :data:`MAX_BYTES` of it, and its content must be a list this module wrote (the
right kind, origin and attribute; a date that is neither in the future nor older than a day;
values of the right shape). Anything else is a cache miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audiencelab._logging import log

__all__ = ["CACHE_DIR_ENV", "FRESH_SECONDS", "MAX_BYTES", "load", "save"]

#: The environment variable naming the cache directory.
CACHE_DIR_ENV = "AUDIENCELAB_CACHE_DIR"
#: How long a fetched list is used without asking the API again.
FRESH_SECONDS = 24 * 3600
#: The largest file read (the longest list, segments, is well under a megabyte).
MAX_BYTES = 16 * 1024 * 1024
_KIND = "audiencelab-vocabulary"
_SEGMENT_ID = re.compile(r"^b2[bc]_\d+$")
# Opened without following a symlink, and without waiting for a writer (a FIFO).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


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


def _read(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_BYTES`; ValueError for anything else."""
    if not stat.S_ISREG(os.lstat(path).st_mode):  # a symlink, a FIFO, a device, a folder
        raise ValueError("not a regular file")
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)  # what was opened, in case the path changed since lstat
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > MAX_BYTES:
            raise ValueError(f"{info.st_size:,} bytes, more than {MAX_BYTES:,}")
        data = os.read(fd, MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ValueError(f"more than {MAX_BYTES:,} bytes")
        return data
    finally:
        os.close(fd)


def _valid_values(attribute: str, values: object) -> bool:
    """Whether ``values`` is a non-empty list of what the API lists for ``attribute``: segment
    objects (``id``, and ``name``/``b2b`` if present), or non-empty strings."""
    if not isinstance(values, list) or not values:
        return False
    if attribute == "segments":
        return all(
            isinstance(item, dict)
            and isinstance(item.get("id"), str)
            and _SEGMENT_ID.match(item["id"]) is not None
            and isinstance(item.get("name", ""), (str, type(None)))
            and isinstance(item.get("b2b", False), (bool, type(None)))
            for item in values
        )
    return all(isinstance(item, str) and item.strip() for item in values)


def _ours(data: object, base_url: str, attribute: str) -> str | None:
    """Why ``data`` is not a list this module wrote for ``attribute`` of ``base_url``, or None."""
    if not isinstance(data, dict):
        return "not an object"
    if data.get("kind") != _KIND:
        return "not a vocabulary file"
    if data.get("origin") != base_url or data.get("attribute", attribute) != attribute:
        return "for another API or attribute"
    fetched_at = data.get("fetched_at")
    if (
        isinstance(fetched_at, bool)
        or not isinstance(fetched_at, (int, float))
        or not math.isfinite(fetched_at)
    ):
        return "no date"
    if not _valid_values(attribute, data.get("values")):
        return "values of the wrong shape"
    return None


def load(base_url: str, attribute: str, now: float | None = None) -> list[Any] | None:
    """The values cached for ``attribute`` of the API at ``base_url``, if fresh; else None."""
    path = _file(base_url, attribute)
    now = time.time() if now is None else now
    try:
        data = json.loads(_read(path))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:
        log(
            logging.DEBUG,
            "vocabulary_cache",
            "ignoring the cached %s (%s): %s",
            attribute,
            path,
            exc,
        )
        return None
    why = _ours(data, base_url, attribute)
    if why is not None:
        log(
            logging.DEBUG,
            "vocabulary_cache",
            "ignoring the cached %s (%s): %s",
            attribute,
            path,
            why,
        )
        return None
    age = now - data["fetched_at"]
    if not 0 <= age < FRESH_SECONDS:  # a date in the future (clock skew) is not fresh either
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
