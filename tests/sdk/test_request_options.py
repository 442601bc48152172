"""Per-call options on the wire: ``extra_headers``, ``extra_query``, ``timeout``; the key header
protected; every problem refused before anything is sent (exact requests, recorded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from audiencelab import (
    AsyncAudienceLab,
    AudienceLab,
    ConfigurationError,
    InputValidationError,
    PassArgument,
)
from tests.sdk.mock import API_KEY, Recorder, reply


def created(request: httpx2.Request) -> httpx2.Response:
    """A fresh answer each time: the sync and the async client both read one."""
    return reply(200, {"audienceId": "a-1"})


PAGE = {"data": [{"id": "a-1", "name": "n"}], "total": 1, "page": 1, "total_pages": 1}


def _create(client: AudienceLab, **options: Any) -> Any:
    return client.audiences.create(name="n", filters={"city": "Austin"}, **options)


def test_extra_headers_query_and_timeout_reach_the_request() -> None:
    recorder = Recorder([created])
    with recorder.sync_client() as client:
        _create(
            client,
            extra_headers={"X-Trace-Tag": "t-1", "Idempotency-Key": "k-9"},
            extra_query={"dry": True, "n": 3},
            timeout=2.5,
        )
    (request,) = recorder.requests
    assert request.headers["x-trace-tag"] == "t-1"
    assert request.headers["idempotency-key"] == "k-9"
    assert request.headers["x-api-key"] == API_KEY  # still the client's
    assert str(request.url) == "https://api.audiencelab.io/audiences?dry=true&n=3"
    assert request.extensions["timeout"] == httpx2.Timeout(2.5, connect=2.5).as_dict()


def test_without_options_the_request_is_unchanged() -> None:
    recorder = Recorder([created])
    with recorder.sync_client(timeout=7) as client:
        _create(client)
    (request,) = recorder.requests
    assert str(request.url) == "https://api.audiencelab.io/audiences"
    assert request.extensions["timeout"]["read"] == 7.0


@pytest.mark.parametrize("name", ["X-Api-Key", "x-api-key", "X-API-KEY"])
def test_the_key_header_cannot_be_replaced(name: str) -> None:
    recorder = Recorder([created])
    with recorder.sync_client() as client, pytest.raises(InputValidationError) as info:
        _create(client, extra_headers={name: "sk_test_someone_else"})
    assert recorder.requests == []  # nothing was sent
    (problem,) = info.value.problems
    assert problem.path == f"extra_headers[{name!r}]"
    assert "cannot be replaced" in problem.message
    assert isinstance(problem.remedy, PassArgument)
    assert problem.remedy.name == "api_key"
    assert "sk_test_someone_else" not in str(info.value)


@pytest.mark.parametrize(
    "options",
    [
        {"extra_headers": {"Authorization": f"Bearer {API_KEY}"}},
        {"extra_headers": {"X-Forwarded-Key": API_KEY}},
        {"extra_query": {"api_key": API_KEY}},
        {"extra_query": {API_KEY: "1"}},
    ],
)
def test_the_key_cannot_leave_under_another_name(options: dict[str, Any]) -> None:
    recorder = Recorder([created])
    with recorder.sync_client() as client, pytest.raises(InputValidationError) as info:
        _create(client, **options)
    assert recorder.requests == []
    assert "holds the API key" in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    recorder = Recorder([created])
    with recorder.sync_client() as client, pytest.raises(InputValidationError) as info:
        _create(
            client,
            extra_headers={
                "Content-Length": "3",
                "Transfer-Encoding": "chunked",
                "Host": "elsewhere.example",
                "X-Split": "a\r\nX-Injected: 1",
                "X-Name": "café",
                "bad name": "x",
            },
            extra_query={"list": [1, 2]},
            timeout=-1,
        )
    assert recorder.requests == []
    paths = [p.path for p in info.value.problems]
    assert paths == [
        "extra_headers['Content-Length']",
        "extra_headers['Transfer-Encoding']",
        "extra_headers['Host']",
        "extra_headers['X-Split']",
        "extra_headers['X-Name']",
        "extra_headers['bad name']",
        "extra_query['list']",
        "timeout",
    ]
    assert "8 problems" in str(info.value)


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"extra_headers": ["X-A", "1"]}, "extra_headers"),
        ({"extra_query": "a=1"}, "extra_query"),
        ({"timeout": "5"}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
    ],
)
def test_wrong_types_are_refused(options: dict[str, Any], path: str) -> None:
    with Recorder([created]).sync_client() as client, pytest.raises(InputValidationError) as info:
        _create(client, **options)
    assert [p.path for p in info.value.problems] == [path]


def test_a_parameter_the_method_sends_cannot_be_overridden() -> None:
    recorder = Recorder([reply(200, PAGE)])
    with recorder.sync_client() as client, pytest.raises(InputValidationError) as info:
        client.audiences.list(page=1, extra_query={"page": 3})
    assert recorder.requests == []
    (problem,) = info.value.problems
    assert problem.path == "extra_query['page']"
    assert problem.remedy == PassArgument("page", ..., "to the method instead")


def test_a_pager_applies_the_options_to_every_page() -> None:
    def pages(request: httpx2.Request) -> httpx2.Response:
        page = int(request.url.params["page"])
        return reply(200, {"data": [{"ID": str(page)}], "page": page, "total_pages": 3})

    recorder = Recorder([pages])
    with recorder.sync_client() as client:
        rows = list(client.audiences.records("a-1", extra_headers={"X-Tag": "t"}, timeout=3))
    assert rows == [{"ID": "1"}, {"ID": "2"}, {"ID": "3"}]
    assert [r.headers["x-tag"] for r in recorder.requests] == ["t", "t", "t"]
    assert {r.extensions["timeout"]["read"] for r in recorder.requests} == {3.0}


def test_a_download_elsewhere_gets_neither_extra_headers_nor_extra_query(tmp_path: Path) -> None:
    from audiencelab import EnrichmentJob

    recorder = Recorder([reply(200, b"EMAIL\na@b.c\n")])
    job = EnrichmentJob(id="j", status="COMPLETED", csv_url="https://files.example/r.csv?sig=1")
    with recorder.sync_client() as client:
        client.enrichment.download(
            job, tmp_path / "r.csv", extra_headers={"X-Tag": "t"}, extra_query={"q": 1}
        )
    (request,) = recorder.requests
    assert str(request.url) == "https://files.example/r.csv?sig=1"  # a signed URL, untouched
    assert "x-tag" not in request.headers
    assert "x-api-key" not in request.headers


def test_a_per_call_timeout_overrides_a_brought_clients_own() -> None:
    recorder = Recorder([created, created])
    http = httpx2.Client(transport=httpx2.MockTransport(recorder), timeout=httpx2.Timeout(9.0))
    with AudienceLab(api_key=API_KEY, http_client=http) as client:
        _create(client)
        _create(client, timeout=httpx2.Timeout(1.0, read=4.0))
    assert [r.extensions["timeout"]["read"] for r in recorder.requests] == [9.0, 4.0]
    http.close()


def test_with_options_timeout_must_still_be_valid() -> None:
    with Recorder([created]).sync_client() as client, pytest.raises(ConfigurationError):
        client.with_options(timeout=0)


@pytest.mark.anyio
async def test_the_async_client_takes_the_same_options() -> None:
    recorder = Recorder([created])
    async with recorder.async_client() as client:
        await client.audiences.create(
            name="n", filters={"city": "Austin"}, extra_headers={"X-Tag": "t"}, timeout=2
        )
        with pytest.raises(InputValidationError):
            await client.pixels.delete("p-1", extra_headers={"x-api-key": "other"})
    (request,) = recorder.requests
    assert request.headers["x-tag"] == "t"
    assert isinstance(client, AsyncAudienceLab)
