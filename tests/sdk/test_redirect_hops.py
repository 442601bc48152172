"""Every hop of a redirect is held to the base URL's rule: https, or plain http on loopback only.

Issue 23, defect 6: a download redirected from https to plain http on another machine carried a
file of personal data unencrypted. The "internet" here is a mock transport (these hosts must
never be reached for real): it records which URLs were asked for.
"""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from audiencelab import APIStatusError, AsyncAudienceLab, AudienceLab, EnrichmentJob
from tests.sdk.mock import API_KEY

API = "https://api.example"
FILES = "https://files.example/results/r.csv?token=s3cr3t"


def internet(hops: dict[str, str]) -> tuple[httpx2.MockTransport, list[str]]:
    """Each URL in ``hops`` redirects (302) to its value; any other answers a CSV body."""
    asked: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        url = str(request.url)
        asked.append(url)
        if url in hops:
            return httpx2.Response(302, headers={"Location": hops[url]})
        return httpx2.Response(200, content=b"EMAIL\na@b.c\n")

    return httpx2.MockTransport(handler), asked


HOPS = {
    FILES: "https://cdn.example/r.csv",  # https to https: followed
    "https://cdn.example/r.csv": "http://cdn.example/r.csv",  # then to plain http: refused
}
JOB = EnrichmentJob(id="j", status="COMPLETED", csv_url=FILES)


def test_a_download_is_not_followed_to_plain_http(tmp_path: Path) -> None:
    transport, asked = internet(HOPS)
    with (
        AudienceLab(
            api_key=API_KEY, base_url=API, http_client=httpx2.Client(transport=transport)
        ) as client,
        pytest.raises(APIStatusError) as info,
    ):
        client.enrichment.download(JOB, tmp_path / "r.csv")
    assert asked == [FILES, "https://cdn.example/r.csv"]  # the second hop is checked too
    assert "plain http" in str(info.value)
    assert "unencrypted" in str(info.value)
    assert "http://cdn.example/r.csv" in str(info.value)
    assert "s3cr3t" not in str(info.value)  # a signed URL's token is not repeated
    assert list(tmp_path.iterdir()) == []  # no file, not even a .part


@pytest.mark.anyio
async def test_the_async_client_checks_every_hop_too(tmp_path: Path) -> None:
    transport, asked = internet(HOPS)
    http = httpx2.AsyncClient(transport=transport)
    async with AsyncAudienceLab(api_key=API_KEY, base_url=API, http_client=http) as client:
        with pytest.raises(APIStatusError, match="plain http"):
            await client.enrichment.download(JOB, tmp_path / "r.csv")
    assert asked == [FILES, "https://cdn.example/r.csv"]


@pytest.mark.parametrize(
    "target",
    [
        "http://api.example/audiences",
        "http://10.0.0.7/audiences",
        "ftp://api.example/x",
        "file:///etc/passwd",
    ],
)
def test_an_api_call_is_not_followed_to_plain_http_or_another_scheme(target: str) -> None:
    # A create's body (filters), or an enrichment's records, would travel unencrypted.
    transport, asked = internet({f"{API}/audiences": target})
    with (
        AudienceLab(
            api_key=API_KEY, base_url=API, http_client=httpx2.Client(transport=transport)
        ) as client,
        pytest.raises(APIStatusError) as info,
    ):
        client.audiences.create(name="n", filters={"city": "Austin"})
    assert asked == [f"{API}/audiences"]
    assert info.value.outcome_unknown  # the first server may have acted on it


def test_plain_http_on_loopback_is_followed(tmp_path: Path) -> None:
    # The sandbox (http on 127.0.0.1) may redirect within this machine.
    transport, asked = internet({FILES: "http://127.0.0.1:9/r.csv"})
    with AudienceLab(
        api_key=API_KEY, base_url=API, http_client=httpx2.Client(transport=transport)
    ) as client:
        client.enrichment.download(JOB, tmp_path / "r.csv")
    assert asked == [FILES, "http://127.0.0.1:9/r.csv"]
    assert (tmp_path / "r.csv").read_bytes() == b"EMAIL\na@b.c\n"
