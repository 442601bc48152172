"""``with_raw_response`` and ``with_streaming_response``, as openai-python gives them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from audiencelab import (
    AudienceCreated,
    BadRequestError,
    EnrichmentJob,
    InternalServerError,
    RecordsPage,
)
from tests.sdk.leaks import strings_reachable_from
from tests.sdk.mock import API_KEY, Recorder, reply


def answer(status: int, body: Any, request_id: str, name: str = "x-request-id") -> Any:
    def make(request: httpx2.Request) -> httpx2.Response:
        return reply(status, body, {name: request_id})

    return make


CREATE = {"name": "n", "filters": {"city": "Austin"}}


def _busy(request: httpx2.Request) -> httpx2.Response:
    return reply(503, b"", {"Retry-After": "0", "x-request-id": "req-busy"})


def test_a_raw_create_gives_the_headers_and_request_id_of_the_create() -> None:
    recorder = Recorder([_busy, answer(200, {"audienceId": "a-1"}, "req-create")])
    with recorder.sync_client() as client:
        raw = client.audiences.with_raw_response.create(**CREATE)
    assert raw.status_code == 200
    assert raw.request_id == "req-create"
    assert raw.headers["X-Request-Id"] == "req-create"  # case-insensitive
    assert raw.retries_taken == 1  # the 503 with Retry-After was retried
    assert raw.method == "POST"
    assert raw.url == "https://api.audiencelab.io/audiences"
    assert isinstance(raw.elapsed, timedelta)
    assert raw.json() == {"audienceId": "a-1"}
    created = raw.parse()
    assert created == AudienceCreated(audienceId="a-1")
    assert len(recorder.requests) == 2


def test_with_min_count_the_raw_response_is_the_creates_not_the_previews() -> None:
    recorder = Recorder(
        [
            answer(200, {"count": 5000, "sample": []}, "req-preview"),
            answer(200, {"audienceId": "a-1"}, "req-create"),
        ]
    )
    with recorder.sync_client() as client:
        raw = client.audiences.with_raw_response.create(**CREATE, min_count=10)
    assert [r.url.path for r in recorder.requests] == ["/audiences/preview", "/audiences"]
    assert raw.request_id == "req-create"
    assert raw.parse().audience_id == "a-1"


@pytest.mark.parametrize(
    "name", ["x-request-id", "request-id", "x-amzn-requestid", "x-correlation-id", "cf-ray"]
)
def test_the_usual_request_id_headers_are_read(name: str) -> None:
    recorder = Recorder([answer(200, {"audienceId": "a-1"}, "rid-7", name)])
    with recorder.sync_client() as client:
        assert client.audiences.with_raw_response.create(**CREATE).request_id == "rid-7"


def test_a_status_error_still_raises_with_its_request_id() -> None:
    recorder = Recorder([answer(400, {"error": "no"}, "req-bad")])
    with recorder.sync_client() as client, pytest.raises(BadRequestError) as info:
        client.audiences.with_raw_response.get("a-1")
    assert info.value.request_id == "req-bad"


def test_every_resource_has_raw_methods() -> None:
    recorder = Recorder(
        [
            answer(200, {"data": [], "total_records": 0, "page": 1, "total_pages": 0}, "r1"),
            answer(201, {"pixel_id": "p-1", "install_url": "https://x/p.js"}, "r2"),
            answer(204, None, "r3"),
            answer(200, {"segment_name": "s", "data": [], "has_more": False}, "r4"),
            answer(202, {"jobId": "j-1", "status": "IN_QUEUE"}, "r5"),
        ]
    )
    with recorder.sync_client() as client:
        page = client.audiences.with_raw_response.get("a-1", page=2, page_size=10)
        pixel = client.pixels.with_raw_response.create("site", "https://site.example")
        deleted = client.pixels.with_raw_response.delete("p-1")
        segment = client.segments.with_raw_response.get("seg_1")
        job = client.enrichment.with_raw_response.create_job("j", [{"email": "a@b.c"}])
    assert isinstance(page.parse(), RecordsPage)
    assert [page.request_id, pixel.request_id, deleted.request_id] == ["r1", "r2", "r3"]
    assert (pixel.status_code, deleted.status_code, deleted.parse()) == (201, 204, None)
    assert (segment.request_id, job.status_code, job.parse().job_id) == ("r4", 202, "j-1")


@pytest.mark.anyio
async def test_the_async_client_gives_raw_responses_too() -> None:
    recorder = Recorder([_busy, answer(200, {"audienceId": "a-1"}, "req-create")])
    async with recorder.async_client() as client:
        raw = await client.audiences.with_raw_response.create(**CREATE)
    assert (raw.request_id, raw.retries_taken) == ("req-create", 1)
    assert raw.parse().audience_id == "a-1"


# --- streaming ------------------------------------------------------------------------------------

RECORDS = {"data": [{"EMAIL": "a@b.c"}], "total_records": 1, "page": 1, "total_pages": 1}


def test_a_records_page_streams_unread_then_parses() -> None:
    recorder = Recorder([_busy, answer(200, RECORDS, "req-page")])
    with recorder.sync_client() as client:
        with client.audiences.with_streaming_response.get("a-1", page=1) as response:
            assert response.status_code == 200
            assert (response.request_id, response.retries_taken) == ("req-page", 1)
            chunks = list(response.iter_bytes())
        assert b"".join(chunks) == httpx2.Response(200, json=RECORDS).content
        with client.segments.with_streaming_response.get("seg_1") as segment:
            page = segment.parse()
    assert page.data == [{"EMAIL": "a@b.c"}]


def test_a_streamed_answer_holds_no_key() -> None:
    with (
        Recorder([answer(200, RECORDS, "r")]).sync_client() as client,
        client.audiences.with_streaming_response.get("a-1") as response,
    ):
        assert not [s for s in strings_reachable_from(response) if API_KEY in s]  # type: ignore[arg-type]


def test_a_streamed_request_that_fails_raises_before_the_block() -> None:
    entered = False
    with (
        Recorder([reply(500, b"")]).sync_client() as client,
        pytest.raises(InternalServerError),
        client.audiences.with_streaming_response.get("a-1"),
    ):
        entered = True
    assert not entered


def test_a_result_file_streams(tmp_path: Path) -> None:
    job = EnrichmentJob(id="j", status="COMPLETED", csv_url="https://files.example/r.csv")
    recorder = Recorder([reply(200, b"EMAIL\na@b.c\n")])
    with (
        recorder.sync_client() as client,
        client.enrichment.with_streaming_response.download(job) as response,
    ):
        body = response.read()
    assert body == b"EMAIL\na@b.c\n"
    assert "x-api-key" not in recorder.requests[0].headers  # another origin: no key


@pytest.mark.anyio
async def test_the_async_client_streams_too() -> None:
    recorder = Recorder([answer(200, RECORDS, "req-page")])
    async with (
        recorder.async_client() as client,
        client.audiences.with_streaming_response.get("a-1") as response,
    ):
        assert response.request_id == "req-page"
        parsed = await response.parse()
    assert parsed.data == [{"EMAIL": "a@b.c"}]
