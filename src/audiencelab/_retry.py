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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class Delivery(enum.Enum):
    """How far a failed request got, judged from the transport error."""

    NOT_SENT = "not sent"  # the connection was never made: the server cannot have acted
    SENT = "sent"  # the body may have reached the server: it may have acted
    BROKEN = "broken"  # a local bug or unsupported URL: retrying cannot help


def classify_transport_error(exc: Exception) -> Delivery:
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return Delivery.NOT_SENT
    if isinstance(exc, httpx.ProxyError):
        return Delivery.NOT_SENT
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
        return Delivery.BROKEN
    return Delivery.SENT


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; ``Retry-After`` honoured up to ``max_retry_after``."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def backoff(self, retries_done: int, rand: Callable[[], float]) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2.0**retries_done)
        return rand() * ceiling


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
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


def decide_retry(
    policy: RetryPolicy,
    *,
    retries_done: int,
    safe_to_retry: bool,
    status_code: int | None = None,
    headers: Mapping[str, str] | None = None,
    delivery: Delivery | None = None,
    rand: Callable[[], float],
    now: datetime | None = None,
) -> RetryDecision:
    """Decide what to do after a failed attempt: either a status code or a ``delivery`` is given."""
    budget_left = retries_done < policy.max_retries
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
            wait += rand() * min(1.0, wait * 0.1)
        else:
            wait = policy.backoff(retries_done, rand)
        return RetryDecision(True, wait, reason=f"HTTP {status_code}")
    if status_code >= 500:
        return RetryDecision(False, outcome_unknown=True, reason=f"HTTP {status_code}")
    return RetryDecision(False, reason=f"HTTP {status_code}")
