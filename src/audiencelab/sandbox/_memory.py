"""Handing freed heap memory back to the operating system after a large request.

Parsing a 12 MB body creates ~100 MB of short-lived Python objects; CPython frees them, but glibc
keeps the pages in its arenas, so the process would stay at its peak size. ``malloc_trim(0)``
returns them. Elsewhere (macOS, Windows, musl) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

__all__ = ["LARGE_BODY_BYTES", "release_memory"]

#: Bodies at least this large are followed by :func:`release_memory` (chosen: below it, the
#: temporary objects fit in memory the process keeps using anyway).
LARGE_BODY_BYTES = 1024 * 1024


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_memory() -> None:
    """Return free heap pages to the OS (glibc); does nothing where that is not available."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
