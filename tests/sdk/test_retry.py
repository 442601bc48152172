"""The retry policy: the pure decision table, then the same table through both clients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from audiencelab import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
)
from audiencelab._retry import Delivery, decide_retry, parse_retry_after
from audiencelab._sansio import Operation
from tests.sdk.mock import Recorder, reply

POLICY = RetryPolicy()
MAX_RETRIES = 2
NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


def decide(
    safe: bool,
    status: int | None = None,
    retry_after: str | None = None,
    delivery: Delivery | None = None,
    retries_done: int = 0,
) -> tuple[bool, bool]:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    d = decide_retry(
        POLICY,
        max_retries=MAX_RETRIES,
        retries_done=retries_done,
        safe_to_retry=safe,
        status_code=status,
        headers=headers,
        delivery=delivery,
        rand=lambda: 0.5,
        now=NOW,
    )
    return d.retry, d.outcome_unknown


# (what happened, safe: (retry, unknown), create: (retry, unknown)) -- the README's table.
TABLE: list[tuple[dict[str, Any], tuple[bool, bool], tuple[bool, bool]]] = [
    ({"delivery": Delivery.NOT_SENT}, (True, False), (True, False)),
    ({"status": 429}, (True, False), (True, False)),
    ({"status": 429, "retry_after": "3"}, (True, False), (True, False)),
    ({"status": 503, "retry_after": "2"}, (True, False), (True, False)),
    ({"status": 503}, (True, False), (False, True)),
    ({"status": 500}, (True, False), (False, True)),
    ({"status": 502}, (True, False), (False, True)),
    ({"status": 504}, (True, False), (False, True)),
    ({"status": 507}, (False, False), (False, True)),
    ({"status": 408}, (True, False), (False, False)),
    ({"delivery": Delivery.SENT}, (True, False), (False, True)),
    ({"delivery": Delivery.BROKEN}, (False, False), (False, False)),
    ({"status": 400}, (False, False), (False, False)),
    ({"status": 401}, (False, False), (False, False)),
    ({"status": 404}, (False, False), (False, False)),
]


@pytest.mark.parametrize(("event", "safe", "create"), TABLE)
def test_decision_table(
    event: dict[str, Any], safe: tuple[bool, bool], create: tuple[bool, bool]
) -> None:
    assert decide(True, **event) == safe
    assert decide(False, **event) == create


@pytest.mark.parametrize(("event", "safe", "create"), TABLE)
def test_no_retry_once_the_budget_is_spent(
    event: dict[str, Any], safe: tuple[bool, bool], create: tuple[bool, bool]
) -> None:
    # With the budget spent nothing is retried, and whether the outcome is unknown does not
    # change: it depends on what happened, not on how many tries were left.
    assert decide(True, retries_done=MAX_RETRIES, **event) == (False, safe[1])
    assert decide(False, retries_done=MAX_RETRIES, **event) == (False, create[1])
    # One retry before the end of the budget, the table holds as it is.
    assert decide(True, retries_done=MAX_RETRIES - 1, **event) == safe
    assert decide(False, retries_done=MAX_RETRIES - 1, **event) == create


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    assert [policy.backoff(n, lambda: 0.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.backoff(3, lambda: 0.999) == pytest.approx(0.004)
    assert policy.backoff(3, lambda: 0.75) == 1.0


def test_jitter_is_the_random_share_of_the_wait() -> None:
    assert RetryPolicy(jitter=0).backoff(2, lambda: 0.9) == 2.0
    assert RetryPolicy(jitter=0.5).backoff(2, lambda: 0.5) == 1.5


@pytest.mark.parametrize(
    "kwargs",
    [{"initial_delay": -1}, {"max_delay": float("nan")}, {"jitter": 2}, {"max_retry_after": "5"}],
)
def test_a_bad_retry_policy_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as info:
        RetryPolicy(**kwargs)
    assert info.value.setting == "retry_policy"
    assert next(iter(kwargs)) in str(info.value)


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    d = decide_retry(
        policy,
        max_retries=MAX_RETRIES,
        retries_done=0,
        safe_to_retry=False,
        status_code=429,
        headers={"retry-after": "5"},
        rand=lambda: 0.0,
    )
    assert d.retry
    assert d.delay == 5.0
    d = decide_retry(
        policy,
        max_retries=MAX_RETRIES,
        retries_done=0,
        safe_to_retry=True,
        status_code=503,
        headers={"retry-after": "3600"},
        rand=lambda: 0.0,
    )
    assert d.delay == 60.0
    d = decide_retry(
        policy,
        max_retries=MAX_RETRIES,
        retries_done=0,
        safe_to_retry=True,
        status_code=429,
        headers={"retry-after": "10"},
        rand=lambda: 1.0,
    )
    assert 10.0 <= d.delay <= 11.0  # jitter only ever adds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ((NOW + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT"), 30.0),
        ((NOW - timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT"), 0.0),
        ("soon", None),
        ("nan", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


# --- the same table through the clients --------------------------------------------------------


def create(recorder: Recorder, **kwargs: Any) -> Any:
    with recorder.sync_client(**kwargs) as client:
        return client.audiences.create(name="Austin", filters={"city": ["Austin"]})


def read(recorder: Recorder) -> Any:
    op: Operation[Any] = Operation("GET", "/audiences", parse=lambda r: r.json())
    with recorder.sync_client() as client:
        return client.send(op)


CREATED = reply(200, {"audienceId": "a-1"})


@pytest.mark.parametrize("status", [500, 502, 504, 503])
def test_create_is_not_repeated_when_the_server_may_have_acted(status: int) -> None:
    recorder = Recorder([reply(status, {"message": "boom"}), CREATED])
    with pytest.raises(InternalServerError) as info:
        create(recorder)
    assert len(recorder.requests) == 1
    assert info.value.outcome_unknown is True
    assert "may or may not have taken effect" in str(info.value)
    assert "'Austin'" in str(info.value)  # says how to check


@pytest.mark.parametrize(
    "exc",
    [
        httpx2.ReadTimeout("read timed out"),
        httpx2.RemoteProtocolError("Server disconnected without sending a response."),
        httpx2.ReadError("connection reset"),
        httpx2.WriteError("broken pipe"),
    ],
)
def test_create_is_not_repeated_after_the_body_was_sent(exc: Exception) -> None:
    recorder = Recorder([exc, CREATED])
    with pytest.raises(APIConnectionError) as info:
        create(recorder)
    assert len(recorder.requests) == 1
    assert info.value.outcome_unknown is True
    assert isinstance(info.value, APITimeoutError) == isinstance(exc, httpx2.TimeoutException)
    assert isinstance(info.value.__cause__, type(exc))


@pytest.mark.parametrize(
    "first",
    [
        httpx2.ConnectError("connection refused"),
        httpx2.ConnectTimeout("connect timed out"),
        httpx2.PoolTimeout("no connection available"),
        reply(429, {"message": "slow"}, {"Retry-After": "0"}),
        reply(429, {"message": "slow"}),
        reply(503, {"message": "down"}, {"Retry-After": "0"}),
    ],
)
def test_create_is_repeated_when_the_server_cannot_have_acted(first: Any) -> None:
    recorder = Recorder([first, CREATED])
    assert create(recorder).audience_id == "a-1"
    assert len(recorder.requests) == 2
    assert recorder.requests[0].content == recorder.requests[1].content


def test_create_gives_up_after_max_retries_with_a_known_outcome() -> None:
    recorder = Recorder([reply(429, {"message": "slow"}, {"Retry-After": "0"})])
    with pytest.raises(RateLimitError) as info:
        create(recorder, max_retries=3)
    assert len(recorder.requests) == 4
    assert info.value.outcome_unknown is False


def test_connection_refused_after_retries() -> None:
    recorder = Recorder([httpx2.ConnectError("refused")])
    with pytest.raises(APIConnectionError) as info:
        create(recorder)
    assert len(recorder.requests) == 3
    assert info.value.outcome_unknown is False
    assert "nothing was sent" in str(info.value)


@pytest.mark.parametrize(
    "first",
    [
        reply(500, b"oops"),
        reply(502, b""),
        reply(503, b""),
        reply(504, b""),
        reply(408, b""),
        httpx2.ReadTimeout("slow"),
        httpx2.RemoteProtocolError("dropped"),
    ],
)
def test_reads_are_retried(first: Any) -> None:
    recorder = Recorder([first, reply(200, {"ok": True})])
    assert read(recorder) == {"ok": True}
    assert len(recorder.requests) == 2


def test_no_retries_when_max_retries_is_zero() -> None:
    recorder = Recorder([reply(503, b"", {"Retry-After": "0"}), CREATED])
    with pytest.raises(InternalServerError):
        create(recorder, max_retries=0)
    assert len(recorder.requests) == 1


def test_client_sleeps_what_the_policy_says(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("audiencelab._sync.client.time.sleep", slept.append)
    recorder = Recorder(
        [
            reply(429, b"", {"Retry-After": "4"}),
            reply(503, b"", {"Retry-After": "2"}),
            reply(429, b""),
            CREATED,
        ]
    )
    create(recorder, max_retries=3, retry_policy=RetryPolicy(initial_delay=0.25, jitter=0))
    assert slept == [4.0, 2.0, 1.0]  # Retry-After twice, then the backoff of the third retry


@pytest.mark.anyio
async def test_async_client_follows_the_same_table() -> None:
    recorder = Recorder([httpx2.ConnectError("refused"), reply(500, b"boom"), CREATED])
    async with recorder.async_client() as client:
        with pytest.raises(InternalServerError) as info:
            await client.audiences.create(name="Austin", filters={"city": ["Austin"]})
    assert len(recorder.requests) == 2
    assert info.value.outcome_unknown is True


# --- the table's numbers and words (found unguarded by mutmut) ---------------------------------


def _decision(safe: bool = True, **what: Any) -> Any:
    return decide_retry(
        RetryPolicy(initial_delay=0.5, max_delay=8.0, jitter=1.0),
        max_retries=2,
        retries_done=1,
        safe_to_retry=safe,
        rand=lambda: 0.5,
        now=NOW,
        **what,
    )


@pytest.mark.parametrize(
    ("what", "safe", "reason", "delay"),
    [
        ({"delivery": Delivery.NOT_SENT}, False, "connect", 0.5),  # 1 s ceiling, half of it
        ({"delivery": Delivery.SENT}, True, "no answer", 0.5),
        ({"delivery": Delivery.SENT}, False, "no answer after sending", 0.0),
        ({"delivery": Delivery.BROKEN}, True, "request could not be sent", 0.0),
        ({"status_code": 503}, True, "HTTP 503", 0.5),
        ({"status_code": 500}, False, "HTTP 500", 0.0),
        ({"status_code": 404}, True, "HTTP 404", 0.0),
        # Retry-After, plus jitter of at most 10% of it and at most 1 s: 3 + 0.5 * 0.3
        ({"status_code": 429, "headers": {"retry-after": "3"}}, False, "HTTP 429", 3.15),
        ({"status_code": 429, "headers": {"retry-after": "20"}}, False, "HTTP 429", 20.5),
        # an HTTP date, counted from `now`
        (
            {"status_code": 503, "headers": {"retry-after": "Mon, 30 Nov 2026 12:00:10 GMT"}},
            False,
            "HTTP 503",
            10.5,
        ),
    ],
)
def test_each_decision_has_its_reason_and_delay(
    what: dict[str, Any], safe: bool, reason: str, delay: float
) -> None:
    decision = _decision(safe, **what)
    assert decision.reason == reason
    assert decision.delay == pytest.approx(delay)


def test_out_of_budget_reasons() -> None:
    spent = decide_retry(
        RetryPolicy(), max_retries=0, retries_done=0, safe_to_retry=True,
        delivery=Delivery.NOT_SENT, rand=lambda: 0.5,
    )  # fmt: skip
    assert (spent.retry, spent.reason) == (False, "could not connect")
    unanswered = decide_retry(
        RetryPolicy(), max_retries=0, retries_done=0, safe_to_retry=True,
        delivery=Delivery.SENT, rand=lambda: 0.5,
    )  # fmt: skip
    assert (unanswered.retry, unanswered.reason) == (False, "no answer")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("Mon, 30 Nov 2026 12:00:10 -0000", 10.0),  # a date without a zone is UTC
        ("Mon, 30 Nov 2026 14:00:10 +0200", 10.0),
        ("inf", None),
        ("-inf", None),
        ("nan", None),
        ("-5", 0.0),
    ],
)
def test_retry_after_edge_values(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds
