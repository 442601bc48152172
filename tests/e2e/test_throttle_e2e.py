"""A rate-limited export slows down: the scheduler hears of every 429 (sync and async).

The sandboxes come from the pytest plugin (the marker sets the rate limit)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from audiencelab import EVENT_ATTRIBUTE, RetryPolicy
from audiencelab.pytest_plugin import AudienceLabSandbox

BROAD = {"age": {"minAge": 30, "maxAge": 60}}  # reaches the sandbox's size cap
QUICK = RetryPolicy(initial_delay=0.05, max_delay=0.25, max_retry_after=0.25)


def throttles(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if getattr(r, EVENT_ATTRIBUTE, None) == "throttled"
    ]


# 4 requests per second and a burst of 4, against 8 pages at once: 429s are certain.
RATE_LIMITED = pytest.mark.audiencelab_sandbox(max_audience_size=4_000, rate_limit=4)


@pytest.mark.slow
@RATE_LIMITED
def test_a_rate_limited_export_halves_its_concurrency(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, audiencelab_sandbox: AudienceLabSandbox
) -> None:
    caplog.set_level(logging.INFO, logger="audiencelab")
    with audiencelab_sandbox.client(retry_policy=QUICK) as client:
        audience_id = client.audiences.create(name="slow", filters=BROAD).audience_id
        summary = client.audiences.export(
            audience_id, tmp_path / "out.csv", page_size=250, concurrency=8, max_retries=200
        )
    assert summary.rows == 4_000
    assert throttles(caplog), "the export never slowed down although it was rate limited"
    assert "exporting with 4 concurrent requests" in throttles(caplog)[0]


@pytest.mark.slow
@RATE_LIMITED
@pytest.mark.anyio
async def test_a_rate_limited_async_export_halves_its_concurrency(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, audiencelab_sandbox: AudienceLabSandbox
) -> None:
    caplog.set_level(logging.INFO, logger="audiencelab")
    async with audiencelab_sandbox.async_client(retry_policy=QUICK) as client:
        audience_id = (await client.audiences.create(name="slow", filters=BROAD)).audience_id
        summary = await client.audiences.export(
            audience_id, tmp_path / "out.csv", page_size=250, concurrency=8, max_retries=200
        )
    assert summary.rows == 4_000
    assert throttles(caplog), "the export never slowed down although it was rate limited"
