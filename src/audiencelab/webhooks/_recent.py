"""The keys of the events received lately: duplicate deliveries detected in bounded memory."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["RecentKeys"]


class RecentKeys:
    """The last ``max_keys`` event keys seen within ``ttl`` seconds (an LRU with an age limit).

    :meth:`add` says whether a key is new; a key older than ``ttl``, or pushed out by
    ``max_keys`` newer ones, counts as new again. Memory is bounded by ``max_keys`` (about 150
    bytes a key). Safe to share between threads.
    """

    def __init__(
        self,
        max_keys: int = 100_000,
        ttl: float = 24 * 3600.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError(f"max_keys must be a positive integer (got {max_keys!r})")
        if not isinstance(ttl, (int, float)) or isinstance(ttl, bool) or not ttl > 0:
            raise ValueError(f"ttl must be a positive number of seconds (got {ttl!r})")
        self.max_keys = max_keys
        self.ttl = float(ttl)
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        """Note ``key``; True if it was not seen within the window (a new event)."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            seen = key in self._seen
            self._seen[key] = now
            self._seen.move_to_end(key)
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
            return not seen

    def __contains__(self, key: object) -> bool:
        with self._lock:
            self._expire(self._clock())
            return key in self._seen

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._seen)

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self.ttl:
                break
            del self._seen[oldest]
