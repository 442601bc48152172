"""Record batches, exactly: the schema fixed by the first page, later pages aligned to it, values as
text or null, what is logged, what is fetched when, and what is refused before anything is sent."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

import anyio
import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pyarrow as pa
import pytest

from audiencelab import EVENT_ATTRIBUTE, AsyncAudienceLab, InputValidationError, NotFoundError
from tests.sdk.mock import Recorder, reply

AUDIENCE = "aud-1"
PAGES: dict[int, list[dict[str, Any]]] = {
    1: [{"A": "1", "B": "x"}, {"A": "2", "B": "y"}],
    2: [{"A": "3", "C": "new"}, {"A": 4, "B": None}],
    3: [{"A": "5", "B": {"k": [1]}, "C": "again", "D": "d"}],
}
EXPECTED = {"A": ["1", "2", "3", "4", "5"], "B": ["x", "y", None, None, '{"k":[1]}']}


def serve_pages(request: httpx.Request) -> httpx.Response:
    page = int(request.url.params["page"])
    return reply(
        200,
        {"data": PAGES.get(page, []), "page": page, "page_size": 2, "total_pages": 3},
    )


def dropped(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if getattr(r, EVENT_ATTRIBUTE, None) == "columns_dropped"
    ]


def test_later_pages_are_aligned_to_the_first_pages_columns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="audiencelab")
    recorder = Recorder([serve_pages])
    with recorder.sync_client() as client:
        reader = client.audiences.record_batches(AUDIENCE, page_size=2, wait_timeout=0)
        assert len(recorder.requests) == 1  # page 1 only: it fixes the schema
        assert reader.schema == pa.schema(
            [pa.field("A", pa.string(), nullable=True), pa.field("B", pa.string(), nullable=True)]
        )
        batches = list(reader)
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert pa.Table.from_batches(batches).to_pydict() == EXPECTED
    assert sorted(int(r.url.params["page"]) for r in recorder.requests) == [1, 2, 3]
    messages = dropped(caplog)
    assert len(messages) == 2  # C once (though on pages 2 and 3), then D
    assert "column(s) C first appeared on page 2" in messages[0]
    assert "column(s) D first appeared on page 3" in messages[1]
    assert "audience:aud-1" in messages[0]


def test_the_async_iterator_aligns_pages_the_same_way(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="audiencelab")
    recorder = Recorder([serve_pages])

    async def read() -> list[Any]:
        async with recorder.async_client() as client:
            stream = client.audiences.record_batches(AUDIENCE, page_size=2, wait_timeout=0)
            return [batch async for batch in stream]

    batches = anyio.run(read)
    assert pa.Table.from_batches(batches).to_pydict() == EXPECTED
    assert len(dropped(caplog)) == 2


def test_an_empty_audience_gives_an_empty_stream() -> None:
    empty = Recorder([reply(200, {"data": [], "page": 1, "total_pages": 0})])
    with empty.sync_client() as client:
        table = client.audiences.record_batches(AUDIENCE, wait_timeout=0).read_all()
    assert table.num_rows == 0
    assert table.num_columns == 0
    assert len(empty.requests) == 1


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"concurrency": 65}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"wait_timeout": -1}, "wait_timeout"),
    ],
)
def test_bad_options_are_refused_before_anything_is_sent(
    options: dict[str, Any], field: str
) -> None:
    recorder = Recorder([serve_pages])
    with recorder.sync_client() as client, pytest.raises(InputValidationError) as caught:
        client.audiences.record_batches(AUDIENCE, **options)
    assert [p.path for p in caught.value.problems] == [field]

    async def refused() -> None:
        async with recorder.async_client() as client:
            client.audiences.record_batches(AUDIENCE, **options)

    with pytest.raises(InputValidationError):
        anyio.run(refused)
    assert recorder.requests == []


def test_without_pyarrow_the_error_names_the_extra_and_nothing_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now fails
    recorder = Recorder([serve_pages])
    with (
        recorder.sync_client() as client,
        pytest.raises(ImportError, match=r'pip install "audiencelab\[arrow\]"'),
    ):
        client.segments.record_batches("seg-1")
    assert recorder.requests == []


def many_pages(request: httpx.Request) -> dict[str, Any]:
    page = int(request.url.params["page"])
    rows = [{"N": str(page * 10 + i)} for i in range(2)] if page <= 6 else []
    return {"data": rows, "page": page, "page_size": 2, "total_pages": 6}


def test_pages_are_fetched_concurrently_and_delivered_in_order() -> None:
    """Pages 2 and 3 each wait until the other has arrived: only concurrent fetching gets past."""
    both = threading.Barrier(2, timeout=10)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] in ("2", "3"):
            both.wait()
        return reply(200, many_pages(request))

    recorder = Recorder([handler])
    with recorder.sync_client() as client:
        table = client.audiences.record_batches(AUDIENCE, concurrency=4, wait_timeout=0).read_all()
    assert table.column("N").to_pylist() == [str(p * 10 + i) for p in range(1, 7) for i in (0, 1)]


def test_the_async_iterator_fetches_pages_concurrently_and_in_order() -> None:
    arrived = {"2": anyio.Event(), "3": anyio.Event()}

    async def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params["page"]
        if page in arrived:
            arrived[page].set()
            with anyio.fail_after(10):  # the other page must be in flight at the same time
                await arrived["3" if page == "2" else "2"].wait()
        return reply(200, many_pages(request))

    async def read() -> list[Any]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncAudienceLab(api_key="sk_test_unit", http_client=http) as client:
            stream = client.segments.record_batches("seg-1", concurrency=3)
            return [batch async for batch in stream]

    table = pa.Table.from_batches(anyio.run(read))
    assert table.column("N").to_pylist() == [str(p * 10 + i) for p in range(1, 7) for i in (0, 1)]


def test_a_page_that_fails_for_good_raises_its_error_sync_and_async() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "4":
            return reply(404, {"error": "gone"})
        return reply(200, many_pages(request))

    recorder = Recorder([handler])
    with recorder.sync_client() as client:
        reader = client.audiences.record_batches(AUDIENCE, wait_timeout=0)
        with pytest.raises(NotFoundError):
            reader.read_all()

    async def read() -> None:
        async with recorder.async_client() as client:
            async for _ in client.audiences.record_batches(AUDIENCE, wait_timeout=0):
                pass

    with pytest.raises(NotFoundError):
        anyio.run(read)
