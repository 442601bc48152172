"""Long work that says how far it is and stops when the client cancels.

The tools run on worker threads (the SDK client is synchronous). From there, :class:`Work` sends
``notifications/progress`` through the request's context (a no-op when the client passed no
progress token) and checks, between steps, whether the request was cancelled: the MCP SDK
cancels the call's scope when the client sends ``notifications/cancelled`` (or closes a 2026-07-28
response stream), and :meth:`Work.check` raises that cancellation in the thread, so a wait stops
within a fraction of a second and an export stops after the page it is writing (its checkpoint
kept: ``resume=true`` continues it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.from_thread

__all__ = ["Work", "poll_until"]

T = TypeVar("T")

#: How often a sleeping wait looks for a cancellation.
_TICK = 0.2


class Work:
    """Progress reports and cancellation checks for one tool call (``ctx``: its MCP context,
    or None outside a request)."""

    def __init__(self, ctx: Any | None) -> None:
        self.ctx = ctx
        self._last = -1.0

    def check(self) -> None:
        """Raise the request's cancellation, if it was cancelled."""
        try:
            anyio.from_thread.check_cancelled()
        except RuntimeError:  # not on a worker thread of a request: nothing to cancel
            return

    def report(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """One progress notification (progress must grow: a value not above the last is
        nudged up)."""
        self.check()
        if self.ctx is None:
            return
        progress = max(float(progress), self._last + 0.001)
        self._last = progress
        try:
            anyio.from_thread.run(self.ctx.report_progress, progress, total, message)
        except RuntimeError:  # not on a worker thread of a request
            return

    def sleep(self, seconds: float) -> None:
        """Sleep, waking up to check for a cancellation."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.check()
            time.sleep(min(left, _TICK))
        self.check()


def poll_until(
    work: Work,
    timeout: float,
    attempt: Callable[[], T | None],
    saying: Callable[[float], str],
    *,
    first_delay: float = 1.0,
    max_delay: float = 15.0,
) -> T | None:
    """Call ``attempt`` until it returns something (returned) or ``timeout`` seconds pass (None),
    waiting longer each time (up to ``max_delay``) and reporting progress in seconds waited, out of
    ``timeout``, with the message ``saying(elapsed)``."""
    started = time.monotonic()
    delay = first_delay
    while True:
        work.check()
        found = attempt()
        if found is not None:
            return found
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            return None
        work.report(elapsed, timeout, saying(elapsed))
        work.sleep(min(delay, timeout - elapsed))
        delay = min(delay * 1.5, max_delay)
