"""What the runners (export, Arrow record batches, ``create_many``; written once in ``_async/`` and
generated into ``_sync/``) promise, in both flavours, over real HTTP on 127.0.0.1: each test here
was written for a one-line mutant that the rest of the suite let pass (issue 23)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest

from audiencelab import (
    EVENT_ATTRIBUTE,
    APIStatusError,
    AsyncAudienceLab,
    AudienceLab,
    CreateResult,
    PermissionDeniedError,
    RetryPolicy,
)
from audiencelab.pytest_plugin import AudienceLabSandbox
from tests.e2e.conftest import API_KEY, start_sandbox
from tests.e2e.plain_server import Answer, json_answer, plain_server

QUICK = RetryPolicy(initial_delay=0.01, max_delay=0.05, max_retry_after=0.25)
BROAD = {"age": {"minAge": 30, "maxAge": 60}}
SPECS = [{"name": f"Spec {i}", "filters": {"city": ["Austin"]}} for i in range(4)]
FLAVOURS = pytest.mark.parametrize("flavour", ["sync", "async"])


def events(caplog: pytest.LogCaptureFixture, event: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if getattr(r, EVENT_ATTRIBUTE, None) == event]


def retries(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]


def in_flavour(flavour: str, base_url: str, work: Callable[[Any], Any], **options: Any) -> Any:
    """``work(client)`` with a sync client, or ``await work(client)`` with an async one."""
    if flavour == "sync":
        with AudienceLab(api_key=API_KEY, base_url=base_url, **options) as client:
            return work(client)

    async def run() -> Any:
        async with AsyncAudienceLab(api_key=API_KEY, base_url=base_url, **options) as client:
            result = work(client)
            return await result if isinstance(result, Awaitable) else result

    return anyio.run(run)


# -- export(max_retries=...): each page read is retried exactly that many times ----------------


@FLAVOURS
@pytest.mark.parametrize("max_retries", [0, 2])
def test_export_max_retries_is_how_often_a_page_read_is_retried(
    flavour: str, max_retries: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every request fails (the sandbox's fail_rate=1): the first page is tried 1 + max_retries
    times, not the default 8 retries, then the export stops with the page's error."""
    with (
        start_sandbox(tmp_path, max_audience_size=500) as clean,
        AudienceLab(api_key=API_KEY, base_url=clean.base_url) as client,
    ):
        audience_id = client.audiences.create(name="x", filters=BROAD).audience_id
    caplog.set_level(logging.INFO, logger="audiencelab")
    with start_sandbox(tmp_path, max_audience_size=500, fail_rate=1.0, seed=3) as failing:

        def export(client: Any) -> Any:
            return client.audiences.export(
                audience_id, tmp_path / "out.csv", wait_timeout=0, max_retries=max_retries
            )

        with pytest.raises(APIStatusError) as info:
            in_flavour(flavour, failing.base_url, export, retry_policy=QUICK)
    assert info.value.status_code >= 500
    assert len(retries(caplog)) == max_retries, retries(caplog)


# -- the row-count mismatch warning --------------------------------------------------------------


def pages_of(rows: list[dict[str, str]], announced: int, size: int) -> Callable[..., Answer]:
    """A plain server's route: ``rows`` in pages of ``size``, announcing ``announced`` in all."""
    pages = max(1, -(-len(rows) // size))

    def route(method: str, path: str, body: Any) -> Answer:
        query = parse_qs(urlsplit(path).query)
        page = int(query["page"][0])
        data = rows[(page - 1) * size : page * size]
        return json_answer(
            {
                "data": data,
                "page": page,
                "page_size": size,
                "total_records": announced,
                "total_pages": pages,
            }
        )

    return route


@FLAVOURS
@pytest.mark.parametrize(("announced", "warned"), [(7, True), (5, False)])
@pytest.mark.slow
def test_export_warns_when_the_rows_written_differ_from_total_records(
    flavour: str, announced: int, warned: bool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [{"FIRST_NAME": f"n{i}", "LAST_NAME": "x"} for i in range(5)]
    caplog.set_level(logging.INFO, logger="audiencelab")
    with plain_server(pages_of(rows, announced, size=2)) as server:
        summary = in_flavour(
            flavour,
            server.url,
            lambda c: c.audiences.export("a-1", tmp_path / "out.jsonl", page_size=2),
        )
    assert summary.rows == 5
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows
    mismatch = events(caplog, "row_count_mismatch")
    assert mismatch == ([f"exported 5 rows but the API announced {announced} (total_records)"]
                        if warned else [])  # fmt: skip


# -- Arrow record batches slow down on a 429 -----------------------------------------------------


@FLAVOURS
@pytest.mark.audiencelab_sandbox(max_audience_size=4_000, rate_limit=4)
@pytest.mark.slow
def test_record_batches_slow_down_when_rate_limited(
    flavour: str, caplog: pytest.LogCaptureFixture, audiencelab_sandbox: AudienceLabSandbox
) -> None:
    """4 requests a second against 8 at once: the 429s make the stream halve its concurrency
    (the scheduler says so), and every row still comes, once, in order."""
    with audiencelab_sandbox.client() as client:
        audience_id = client.audiences.create(name="slow", filters=BROAD).audience_id
        rows = list(client.audiences.records(audience_id))
    caplog.set_level(logging.INFO, logger="audiencelab")

    def read(client: Any) -> Any:
        found = client.audiences.record_batches(audience_id, page_size=250, concurrency=8)
        if flavour == "sync":
            return found.read_all().to_pylist()

        async def gather() -> list[Any]:
            return [row async for batch in found for row in batch.to_pylist()]

        return gather()

    settings: dict[str, Any] = {"retry_policy": QUICK, "max_retries": 200}
    if flavour == "sync":
        with audiencelab_sandbox.client(**settings) as client:
            assert read(client) == rows
    else:

        async def read_async() -> list[Any]:
            async with audiencelab_sandbox.async_client(**settings) as client:
                return await read(client)  # type: ignore[no-any-return]

        assert anyio.run(read_async) == rows
    assert any("HTTP 429" in m for m in retries(caplog))
    slowed = events(caplog, "throttled")
    assert slowed, "the record batches never slowed down although they were rate limited"
    assert "with 4 concurrent requests" in slowed[0]  # 8 halved


# -- create_many: a refused key stops the rest; what was in flight is never "not sent" ----------


@FLAVOURS
def test_a_403_stops_the_rest_of_create_many(flavour: str, tmp_path: Path) -> None:
    with start_sandbox(tmp_path, forbidden_endpoints=("POST /audiences",)) as sandbox:
        results = in_flavour(
            flavour, sandbox.base_url, lambda c: c.audiences.create_many(SPECS, concurrency=1)
        )
        with AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client:
            assert list(client.audiences.list()) == []
    assert results[0].status == "failed"
    assert isinstance(results[0].error, PermissionDeniedError)
    assert [r.status for r in results[1:]] == ["not_sent"] * (len(SPECS) - 1)
    assert all(r.error is results[0].error for r in results[1:])


@pytest.mark.slow
def test_creates_in_flight_when_the_run_is_stopped_are_unknown_never_not_sent(
    tmp_path: Path,
) -> None:
    """The run is stopped from outside (a cancel, as Ctrl-C would) while two creates are in
    flight: they were sent, so they are ``unknown`` (they may exist); the two never started are
    ``not_sent``. Each is reported to ``on_result``."""
    seen: list[CreateResult] = []

    async def run(base_url: str) -> None:
        async with AsyncAudienceLab(api_key=API_KEY, base_url=base_url) as client:
            with anyio.move_on_after(0.3):  # each answer takes 1 s
                await client.audiences.create_many(SPECS, concurrency=2, on_result=seen.append)

    with start_sandbox(tmp_path, latency_ms=1000) as sandbox:
        anyio.run(run, sandbox.base_url)
    assert sorted((r.index, r.status) for r in seen) == [
        (0, "unknown"),
        (1, "unknown"),
        (2, "not_sent"),
        (3, "not_sent"),
    ]
