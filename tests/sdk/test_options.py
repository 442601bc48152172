"""Public client options: ``with_options`` shares the pool and changes only the copy."""

from __future__ import annotations

import httpx2
import pytest

import audiencelab
from audiencelab import AsyncAudienceLab, AudienceLab, InternalServerError, RetryPolicy
from tests.sdk.mock import API_KEY, NO_WAIT, Recorder, reply

CREATED = reply(200, {"audienceId": "a-1"})


def test_with_options_changes_retries_for_that_client_only() -> None:
    recorder = Recorder([reply(503, b"", {"Retry-After": "0"})])
    with recorder.sync_client(max_retries=2) as client:
        once = client.with_options(max_retries=0)
        with pytest.raises(InternalServerError):
            once.audiences.list(page=1)
        assert len(recorder.requests) == 1
        with pytest.raises(InternalServerError):
            client.audiences.list(page=1)
        assert len(recorder.requests) == 1 + 3  # the original still retries twice
    assert (once.max_retries, client.max_retries) == (0, 2)


def test_with_options_shares_the_pool_and_closing_the_copy_keeps_it_open() -> None:
    recorder = Recorder([CREATED])
    http = httpx2.Client(transport=httpx2.MockTransport(recorder))
    client = AudienceLab(api_key=API_KEY, http_client=http, retry_policy=NO_WAIT)
    copy = client.with_options(timeout=5, retry_policy=RetryPolicy(jitter=0))
    copy.close()
    assert not http.is_closed
    copy.audiences.create(name="n", filters={"city": "Austin"})  # still usable: the same pool
    assert copy.timeout == httpx2.Timeout(5.0, connect=5.0)
    assert client.timeout is None  # the caller's client keeps its own timeouts
    assert (copy.retry_policy.jitter, client.retry_policy) == (0, NO_WAIT)
    client.close()
    assert not http.is_closed  # never ours to close
    http.close()


def test_with_options_can_change_the_key_and_base_url() -> None:
    recorder = Recorder([CREATED])
    with recorder.sync_client() as client:
        other = client.with_options(api_key="sk_test_other_key", base_url="https://b.example")
        other.audiences.create(name="n", filters={"city": "Austin"})
    request = recorder.requests[0]
    assert request.headers["x-api-key"] == "sk_test_other_key"
    assert str(request.url) == "https://b.example/audiences"
    assert "sk_test_other_key" not in repr(other)


@pytest.mark.anyio
async def test_async_with_options() -> None:
    recorder = Recorder([reply(503, b"")])
    async with recorder.async_client(max_retries=3) as client:
        once = client.with_options(max_retries=0)
        assert isinstance(once, AsyncAudienceLab)
        with pytest.raises(InternalServerError):
            await once.audiences.list(page=1)
    assert len(recorder.requests) == 1


def test_the_loopback_check_is_public() -> None:
    for host in (
        "localhost",
        "LOCALHOST",
        "api.localhost",
        "127.0.0.1",
        "127.9.8.7",
        "::1",
        "[::1]",
    ):
        assert audiencelab.is_loopback_host(host), host
    for host in ("0.0.0.0", "10.0.0.1", "example.com", "localhost.example.com", "", "::"):
        assert not audiencelab.is_loopback_host(host), host
