"""Raw and streaming responses and per-call options against a real sandbox (the pytest plugin's)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from audiencelab import AsyncAudienceLab, AudienceLab, InputValidationError
from audiencelab.pytest_plugin import AudienceLabSandbox, SandboxClock


def test_a_raw_create_then_a_streamed_page(audiencelab_client: AudienceLab) -> None:
    raw = audiencelab_client.audiences.with_raw_response.create(
        name="raw", filters={"city": "Austin"}, extra_headers={"X-Trace-Tag": "e2e"}
    )
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.request_id == raw.headers.get("x-request-id")
    assert raw.retries_taken == 0
    created = raw.parse()
    page = audiencelab_client.audiences.get(created.audience_id, page=1, page_size=5)
    with audiencelab_client.audiences.with_streaming_response.get(
        created.audience_id, page=1, page_size=5
    ) as response:
        assert response.status_code == 200
        streamed = response.parse()
    assert streamed == page


def test_the_key_header_is_refused_before_anything_reaches_the_sandbox(
    audiencelab_client: AudienceLab, audiencelab_sandbox: AudienceLabSandbox
) -> None:
    app = audiencelab_sandbox.sandbox.app
    assert app is not None
    before = app.faults.stats["requests"]
    with pytest.raises(InputValidationError, match="cannot be replaced"):
        audiencelab_client.audiences.create(
            name="n", filters={"city": "Austin"}, extra_headers={"X-Api-Key": "sk_test_other"}
        )
    assert app.faults.stats["requests"] == before


@pytest.mark.audiencelab_sandbox(enrichment_seconds=60)
def test_a_result_file_streams_once_the_job_is_done(
    audiencelab_client: AudienceLab, audiencelab_clock: SandboxClock, tmp_path: Path
) -> None:
    client = audiencelab_client
    records = [{"email": f"lead{i}@example.com", "first_name": f"Lead{i}"} for i in range(5)]
    job = client.enrichment.create_job("stream", records)
    audiencelab_clock.advance(61)
    done = client.enrichment.wait(job, timeout=10, poll_interval=0.05)
    with client.enrichment.with_streaming_response.download(done) as response:
        body = b"".join(response.iter_bytes())
    client.enrichment.download(done, tmp_path / "r.csv")
    assert body == (tmp_path / "r.csv").read_bytes()
    assert len(list(csv.DictReader(io.StringIO(body.decode())))) == 5


@pytest.mark.anyio
async def test_the_async_client_against_the_sandbox(
    async_audiencelab_client: AsyncAudienceLab,
) -> None:
    raw = await async_audiencelab_client.audiences.with_raw_response.create(
        name="a", filters={"city": "Austin"}, timeout=30
    )
    created = raw.parse()
    async with async_audiencelab_client.audiences.with_streaming_response.get(
        created.audience_id, page_size=3
    ) as response:
        chunks = [chunk async for chunk in response.iter_bytes()]
    assert b'"data"' in b"".join(chunks)
