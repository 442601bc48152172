"""The retry policy, as a pure function: given what happened, retry (after how long) or stop.

Shared by the sync and async clients. The rule for requests that are not safe to repeat (creates):
repeat only when the server cannot have acted on it. Otherwise report that the outcome is unknown,
because repeating could create a second audience, job or pixel.

=====================================  ==================  ==========================================
What happened                          Safe (GET, DELETE,  Not safe to repeat (POST creates)
                                       preview, enrich)
=====================================  ==================  ==========================================
connection never made (refused, DNS,   retry               retry
connect timeout, pool timeout)
429 Too Many Requests                  retry               retry (the server refused it)
503 with Retry-After                   retry               retry (the server refused it)
503 without Retry-After, 500, 502,     retry               no retry; ``outcome_unknown=True``
504, other 5xx
408 Request Timeout                    retry               no retry (not acted on)
body sent, then read timeout or        retry               no retry; ``outcome_unknown=True``
dropped connection
other 4xx                              no retry            no retry
=====================================  ==================  ==========================================
"""

from __future__ import annotations

import email.utils
import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from audiencelab._exceptions import ConfigurationError

__all__ = [
    "RETRYABLE_STATUSES",
    "Delivery",
    "RetryDecision",
    "RetryPolicy",
    "TransportFailure",
    "decide_retry",
    "parse_retry_after",
]

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class Delivery(enum.Enum):
    """How far a failed request got, judged by the I/O shell from its transport error."""

    NOT_SENT = "not sent"  # the connection was never made: the server cannot have acted
    SENT = "sent"  # the body may have reached the server: it may have acted
    BROKEN = "broken"  # a local bug or unsupported URL: retrying cannot help


@dataclass(frozen=True)
class TransportFailure:
    """A transport error as the core sees it: no HTTP library types, only what the table needs."""

    delivery: Delivery
    timed_out: bool
    detail: str  # the error's own words, for the message
    kind: str = ""  # its type name, for the debug log


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before a retry: exponential backoff with jitter, and ``Retry-After``.

    Retry *n* (from 0) waits up to ``initial_delay * 2**n`` seconds, capped at ``max_delay``.
    ``jitter`` is the share of that wait that is random: 1.0 ("full jitter", the default) waits
    anywhere in (0, ceiling], so that parallel clients do not retry in step; 0 waits exactly the
    ceiling. A server's ``Retry-After`` (seconds or an HTTP date) is honoured up to
    ``max_retry_after`` seconds. How many retries happen is the client's ``max_retries``.
    """

    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 1.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        for name in ("initial_delay", "max_delay", "max_retry_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigurationError(
                    f"RetryPolicy.{name} must be a number of seconds, got {value!r}",
                    setting="retry_policy",
                )
            if not math.isfinite(value) or value < 0:
                raise ConfigurationError(
                    f"RetryPolicy.{name} must be a finite number of seconds >= 0, got {value!r}",
                    setting="retry_policy",
                )
        jitter = self.jitter
        if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not 0 <= jitter <= 1:
            raise ConfigurationError(
                f"RetryPolicy.jitter must be between 0 and 1, got {jitter!r}",
                setting="retry_policy",
            )

    def backoff(self, retries_done: int, rand: Callable[[], float]) -> float:
        """The wait before retry number ``retries_done`` (from 0); ``rand`` is in [0, 1)."""
        ceiling = min(self.max_delay, self.initial_delay * 2.0**retries_done)
        return ceiling * (1.0 - self.jitter * rand())


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    delay: float = 0.0
    outcome_unknown: bool = False
    reason: str = ""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


def decide_retry(
    policy: RetryPolicy,
    *,
    max_retries: int,
    retries_done: int,
    safe_to_retry: bool,
    status_code: int | None = None,
    headers: Mapping[str, str] | None = None,
    delivery: Delivery | None = None,
    rand: Callable[[], float],
    now: datetime | None = None,
) -> RetryDecision:
    """Decide what to do after a failed attempt: either a status code or a ``delivery`` is given."""
    budget_left = retries_done < max_retries
    retry_after = parse_retry_after((headers or {}).get("retry-after"), now)

    if delivery is not None:
        if delivery is Delivery.BROKEN:
            return RetryDecision(False, reason="request could not be sent")
        if delivery is Delivery.NOT_SENT:
            if budget_left:
                return RetryDecision(True, policy.backoff(retries_done, rand), reason="connect")
            return RetryDecision(False, reason="could not connect")
        # SENT: the server may have acted on it.
        if safe_to_retry:
            if budget_left:
                return RetryDecision(True, policy.backoff(retries_done, rand), reason="no answer")
            return RetryDecision(False, reason="no answer")
        return RetryDecision(False, outcome_unknown=True, reason="no answer after sending")

    assert status_code is not None
    # The server refused the request outright: safe to repeat whatever the method.
    refused = status_code == 429 or (status_code == 503 and retry_after is not None)
    if safe_to_retry or refused:
        if status_code not in RETRYABLE_STATUSES or not budget_left:
            return RetryDecision(False, reason=f"HTTP {status_code}")
        if retry_after is not None:
            wait = min(retry_after, policy.max_retry_after)
            # A little extra jitter (never less than asked) so parallel workers do not all wake at once.
            wait += policy.jitter * rand() * min(1.0, wait * 0.1)
        else:
            wait = policy.backoff(retries_done, rand)
        return RetryDecision(True, wait, reason=f"HTTP {status_code}")
    if status_code >= 500:
        return RetryDecision(False, outcome_unknown=True, reason=f"HTTP {status_code}")
    return RetryDecision(False, reason=f"HTTP {status_code}")
