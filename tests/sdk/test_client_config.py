"""Client construction: the key, the base URL, timeouts, context managers."""

from __future__ import annotations

import httpx2
import pytest

from audiencelab import AsyncAudienceLab, AudienceLab, AudienceLabError
from tests.sdk.mock import API_KEY, Recorder, reply


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIENCELAB_API_KEY", API_KEY)
    recorder = Recorder([reply(200, {"audienceId": "a"})])
    with AudienceLab(http_client=httpx2.Client(transport=httpx2.MockTransport(recorder))) as client:
        client.audiences.create(name="n", filters={"city": ["Austin"]})
    assert recorder.requests[0].headers["x-api-key"] == API_KEY


def test_explicit_key_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIENCELAB_API_KEY", "sk_env_key_000")
    recorder = Recorder([reply(200, {"audienceId": "a"})])
    with recorder.sync_client(api_key="sk_arg_key_111") as client:
        client.audiences.create(name="n", filters={"city": ["Austin"]})
    assert recorder.requests[0].headers["x-api-key"] == "sk_arg_key_111"


@pytest.mark.parametrize("cls", [AudienceLab, AsyncAudienceLab])
@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_key_says_how_to_set_it(cls: type, key: str | None) -> None:
    with pytest.raises(AudienceLabError, match="AUDIENCELAB_API_KEY"):
        cls(api_key=key)


def test_key_with_whitespace_is_refused_without_echoing_it() -> None:
    with pytest.raises(AudienceLabError) as info:
        AudienceLab(api_key="sk_bad key\n")
    assert "sk_bad" not in str(info.value)


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIENCELAB_BASE_URL", "http://127.0.0.1:8765/")
    client = AudienceLab(api_key=API_KEY)
    assert client.base_url == "http://127.0.0.1:8765"
    client.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765",
        "http://localhost:9",
        "http://[::1]:80",
        "https://api.audiencelab.io",
        "https://proxy.internal/al",
    ],
)
def test_accepted_base_urls(url: str) -> None:
    with AudienceLab(api_key=API_KEY, base_url=url) as client:
        assert client.base_url == url


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://api.audiencelab.io", "plain-http"),
        ("http://10.0.0.5:8765", "plain-http"),
        ("ftp://example.com", "Invalid base URL"),
        ("api.audiencelab.io", "Invalid base URL"),
        ("https://user:pw@api.audiencelab.io", "credentials"),
        ("https://api.audiencelab.io/?x=1", "query"),
    ],
)
def test_refused_base_urls(url: str, needle: str) -> None:
    with pytest.raises(AudienceLabError, match=needle):
        AudienceLab(api_key=API_KEY, base_url=url)


def test_timeouts() -> None:
    with AudienceLab(api_key=API_KEY) as client:
        timeout = client.timeout
        assert timeout is not None
        assert timeout.connect is not None
        assert timeout.read is not None
        assert timeout.connect < timeout.read
    with AudienceLab(api_key=API_KEY, timeout=5) as client:
        assert client.timeout is not None
        assert client.timeout.read == 5.0
    with AudienceLab(api_key=API_KEY, timeout=httpx2.Timeout(3.0, connect=1.0)) as client:
        assert client.timeout is not None
        assert client.timeout.connect == 1.0
    for bad in (0, -1, "5", True):
        with pytest.raises(AudienceLabError, match="timeout"):
            AudienceLab(api_key=API_KEY, timeout=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, True, 1.5])
def test_max_retries_is_checked(bad: object) -> None:
    with pytest.raises(AudienceLabError, match="max_retries"):
        AudienceLab(api_key=API_KEY, max_retries=bad)  # type: ignore[arg-type]


def test_own_http_client_is_not_closed_and_keeps_its_timeout() -> None:
    recorder = Recorder([reply(200, {"audienceId": "a"})])
    http = httpx2.Client(transport=httpx2.MockTransport(recorder), timeout=httpx2.Timeout(2.5))
    with AudienceLab(api_key=API_KEY, http_client=http) as client:
        client.audiences.create(name="n", filters={"city": ["Austin"]})
    assert not http.is_closed
    assert recorder.requests[0].extensions["timeout"]["read"] == 2.5
    http.close()


def test_owned_http_client_is_closed() -> None:
    client = AudienceLab(api_key=API_KEY)
    with client:
        pass
    assert client._http.is_closed


@pytest.mark.anyio
async def test_async_context_manager_closes() -> None:
    client = AsyncAudienceLab(api_key=API_KEY)
    async with client:
        pass
    assert client._http.is_closed
