"""Work off the event loop, bounded: a few worker threads, and a budget of body bytes.

Pages of people and request bodies cost real work (generating, encoding, parsing, checking); it
runs in worker threads so that the event loop keeps answering other clients. Two bounds keep a
burst from taking the machine:

* at most :data:`WORK_THREADS` threads work at once (the rest wait their turn): more threads
  would not go faster (they share one interpreter lock) but would make every answer wait longer
  for it, the event loop's included;
* at most ``SandboxConfig.body_budget_bytes`` of request bodies (64 MiB by default) are read
  and parsed at once. Parsing a body takes about 3.5 times its size in memory, so 16 uploads of
  32 MB took 1.85 GB; now a body waits for its turn (before anything of it is read) for up to
  :data:`BODY_WAIT_SECONDS` (or half the body deadline), then is answered 503 with
  ``Retry-After`` and nothing is done.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread

from audiencelab.sandbox._config import BODY_BUDGET_BYTES

__all__ = [
    "BODY_BUDGET_BYTES",
    "BODY_WAIT_SECONDS",
    "WORK_THREADS",
    "ByteBudget",
    "Workers",
]

T = TypeVar("T")

#: Worker threads at once (chosen: two, so that a page is built while a body is parsed or a
#: write waits on SQLite, which lets go of the interpreter lock; more threads only queue for the
#: lock, and each one more makes every answer, the event loop's included, wait longer for it)
WORK_THREADS = 2
#: How long a body waits for its turn before the 503 (chosen: long enough for two maximum-size
#: bodies before it to be handled on a slow machine).
BODY_WAIT_SECONDS = 10.0


class ByteBudget:
    """Bytes that may be in use at once, handed out first come, first served.

    Used from the event loop only (no lock): ``acquire`` waits, ``release`` hands the freed
    bytes to the waiters in order. A request for more than the whole budget gets the whole.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        #: the largest ``used`` seen (for tests and the curious)
        self.peak = 0
        self._waiters: deque[tuple[int, anyio.Event]] = deque()

    async def acquire(self, amount: int, timeout: float) -> int | None:
        """Take ``amount`` bytes (at most the capacity); the bytes taken, or ``None`` after
        ``timeout`` seconds without them."""
        amount = min(amount, self.capacity)
        if not self._waiters and self.used + amount <= self.capacity:
            self._take(amount)
            return amount
        turn = (amount, anyio.Event())
        self._waiters.append(turn)
        with anyio.move_on_after(timeout):
            await turn[1].wait()
        if turn[1].is_set():
            return amount  # granted (possibly just as the wait timed out)
        self._waiters.remove(turn)
        self._grant()  # a large request leaving may let smaller ones behind it through
        return None

    def release(self, amount: int) -> None:
        self.used -= amount
        self._grant()

    def _take(self, amount: int) -> None:
        self.used += amount
        self.peak = max(self.peak, self.used)

    def _grant(self) -> None:
        while self._waiters and self.used + self._waiters[0][0] <= self.capacity:
            amount, event = self._waiters.popleft()
            self._take(amount)
            event.set()


class Workers:
    """The worker threads of one sandbox and its body budget."""

    def __init__(self, threads: int = WORK_THREADS, body_bytes: int = BODY_BUDGET_BYTES) -> None:
        self.threads = threads
        self.bodies = ByteBudget(body_bytes)
        # a limiter belongs to one event loop (an app may be driven by several, one after the
        # other, in-process)
        self._limiter: anyio.lowlevel.RunVar[anyio.CapacityLimiter] = anyio.lowlevel.RunVar(
            f"audiencelab-sandbox-workers-{id(self)}"
        )

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        try:
            return self._limiter.get()
        except LookupError:
            limiter = anyio.CapacityLimiter(self.threads)
            self._limiter.set(limiter)
            return limiter

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread, when one is free."""
        return await anyio.to_thread.run_sync(work, limiter=self.limiter)
