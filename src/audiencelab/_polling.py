"""How long to wait between status checks: pure, shared by the sync and async waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from audiencelab._exceptions import InputProblem, InputValidationError
from audiencelab._validate import check_seconds

__all__ = ["Poller"]


@dataclass
class Poller:
    """Waits between status checks: growing from ``initial`` by ``factor`` up to ``maximum``,
    never past the deadline. ``next_delay()`` is None once the time is up."""

    timeout: float
    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 15.0
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)
    _delay: float = field(init=False)

    def __post_init__(self) -> None:
        problems: list[InputProblem] = []
        check_seconds(self.timeout, problems, "timeout")
        check_seconds(self.initial, problems, "poll_interval", minimum=1e-3)
        if problems:
            raise InputValidationError(problems)
        self.started = self.clock()
        self._delay = self.initial

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def next_delay(self) -> float | None:
        left = self.timeout - self.elapsed
        if left <= 0:
            return None
        delay = min(self._delay, left)
        self._delay = min(self._delay * self.factor, self.maximum)
        return delay
