"""Arrow record batches end to end: exactly the rows of ``records()``, in order, one batch per page,
into pandas, Polars and DuckDB; the async iterator; faults; waiting; flat memory."""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from audiencelab import AsyncAudienceLab, AudienceLab, AudienceNotReadyError, RetryPolicy
from audiencelab.sandbox import Sandbox
from tests.e2e.conftest import API_KEY, start_sandbox

BROAD = {"age": {"minAge": 18, "maxAge": 80}}  # reaches the sandbox's size cap
SIZE = 20_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, str, list[Any]]]:
    """A sandbox holding one audience of 20,000 people, and its records as ``records()`` reads
    them."""
    folder = tmp_path_factory.mktemp("arrow")
    with (
        start_sandbox(folder, max_audience_size=SIZE) as server,
        AudienceLab(api_key=API_KEY, base_url=server.base_url) as client,
    ):
        audience_id = client.audiences.create(name="arrow", filters=BROAD).audience_id
        rows = list(client.audiences.records(audience_id, page_size=1000))
        assert len(rows) == SIZE
        yield server, audience_id, rows


@pytest.fixture
def bclient(big: tuple[Sandbox, str, list[Any]]) -> Iterator[AudienceLab]:
    with AudienceLab(api_key=API_KEY, base_url=big[0].base_url) as client:
        yield client


def as_tuples(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in rows]


@pytest.mark.slow
def test_record_batches_hold_exactly_the_records_in_order_one_batch_per_page(
    big: tuple[Sandbox, str, list[Any]], bclient: AudienceLab
) -> None:
    _, audience_id, rows = big
    reader = bclient.audiences.record_batches(audience_id, page_size=1000, concurrency=8)
    assert isinstance(reader, pa.RecordBatchReader)
    assert reader.schema.names == list(rows[0])
    assert all(f.type == pa.string() and f.nullable for f in reader.schema)
    batches = list(reader)
    assert [b.num_rows for b in batches] == [1000] * 20
    assert pa.Table.from_batches(batches).to_pylist() == rows


@pytest.mark.slow
def test_pandas_polars_and_duckdb_read_the_stream_directly(
    big: tuple[Sandbox, str, list[Any]], bclient: AudienceLab
) -> None:
    import duckdb
    import polars as pl

    _, audience_id, rows = big
    frame = bclient.audiences.record_batches(audience_id, concurrency=4).read_pandas()
    assert frame.shape == (SIZE, len(rows[0]))
    assert frame.to_dict(orient="records") == rows

    polars_frame = pl.from_arrow(bclient.audiences.record_batches(audience_id, page_size=900))
    assert isinstance(polars_frame, pl.DataFrame)
    assert polars_frame.to_dicts() == rows

    relation = duckdb.from_arrow(bclient.audiences.record_batches(audience_id, page_size=600))
    assert relation.fetchall() == as_tuples(rows)
    reader = bclient.audiences.record_batches(audience_id)  # noqa: F841 - DuckDB finds it by name
    first = next(iter(rows[0]))
    counted = duckdb.sql(f'SELECT count(*), count(DISTINCT "{first}") FROM reader').fetchall()
    assert counted == [(SIZE, len({row[first] for row in rows}))]


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_async_client_gives_the_same_batches_and_can_stop_early(
    big: tuple[Sandbox, str, list[Any]],
) -> None:
    server, audience_id, rows = big
    async with AsyncAudienceLab(api_key=API_KEY, base_url=server.base_url) as client:
        batches = [
            b
            async for b in client.audiences.record_batches(
                audience_id, page_size=700, concurrency=3
            )
        ]
        assert [b.num_rows for b in batches] == [700] * 28 + [SIZE - 700 * 28]
        assert pa.Table.from_batches(batches).to_pylist() == rows
        # Breaking out leaves nothing running: the client goes on working at once.
        async for batch in client.audiences.record_batches(audience_id, page_size=500):
            assert batch.num_rows == 500
            break
        page = await client.audiences.get(audience_id, page=3, page_size=10)
        assert page.data == rows[20:30]


@pytest.mark.slow
def test_segments_stream_as_audiences_do(bclient: AudienceLab) -> None:
    segment_id = "9b7c2f4e-1d3a-4c5b-8e6f-0a1b2c3d4e5f"
    rows = list(bclient.segments.records(segment_id, page_size=1000))
    assert len(rows) > 1000
    reader = bclient.segments.record_batches(segment_id, page_size=1000)
    batches = list(reader)
    assert len(batches) == math.ceil(len(rows) / 1000)
    assert pa.Table.from_batches(batches).to_pylist() == rows


@pytest.mark.slow
def test_batches_survive_faults_in_order_sync_and_async(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """5xx, dropped connections and a rate limit: the same rows, once each, in order."""
    caplog.set_level(logging.INFO, logger="audiencelab")
    with (
        start_sandbox(tmp_path, max_audience_size=6_000) as clean,
        AudienceLab(api_key=API_KEY, base_url=clean.base_url) as c,
    ):
        audience_id = c.audiences.create(name="faulty", filters=BROAD).audience_id
        rows = list(c.audiences.records(audience_id))
    faulty = start_sandbox(
        tmp_path, max_audience_size=6_000, fail_rate=0.08, drop_rate=0.03, rate_limit=10, seed=5
    )
    quick = RetryPolicy(initial_delay=0.05, max_delay=0.5)
    with faulty, AudienceLab(api_key=API_KEY, base_url=faulty.base_url, retry_policy=quick) as c:
        table = c.audiences.record_batches(audience_id, page_size=250, concurrency=8).read_all()
        assert table.to_pylist() == rows

        async def read_async() -> list[Any]:
            async with AsyncAudienceLab(
                api_key=API_KEY, base_url=faulty.base_url, retry_policy=quick
            ) as ac:
                found = ac.audiences.record_batches(audience_id, page_size=250, concurrency=8)
                return [b async for b in found]

        import anyio

        assert pa.Table.from_batches(anyio.run(read_async)).to_pylist() == rows
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert any("HTTP 429" in m for m in retries)  # the faults really happened
    assert any("HTTP 5" in m for m in retries)


@pytest.mark.slow
def test_an_audience_being_built_is_waited_for_or_refused(tmp_path: Path) -> None:
    import anyio

    with (
        start_sandbox(tmp_path, build_seconds=1.5, max_audience_size=1_200) as slow,
        AudienceLab(api_key=API_KEY, base_url=slow.base_url) as client,
    ):
        audience_id = client.audiences.create(name="slow", filters=BROAD).audience_id
        with pytest.raises(AudienceNotReadyError):
            client.audiences.record_batches(audience_id, wait_timeout=0)

        async def read(wait_timeout: float) -> int:
            async with AsyncAudienceLab(api_key=API_KEY, base_url=slow.base_url) as ac:
                stream = ac.audiences.record_batches(audience_id, wait_timeout=wait_timeout)
                return sum([batch.num_rows async for batch in stream])

        with pytest.raises(AudienceNotReadyError):
            anyio.run(read, 0)
        assert anyio.run(read, 30) == 1_200  # waited for it

        audience_id = client.audiences.create(name="slow too", filters=BROAD).audience_id
        table = client.audiences.record_batches(audience_id, wait_timeout=30).read_all()
        assert table.num_rows == 1_200


MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from audiencelab import AudienceLab
    base_url, key, audience_id = sys.argv[1:4]
    rows = batches = 0
    with AudienceLab(api_key=key, base_url=base_url) as client:
        for batch in client.audiences.record_batches(audience_id):
            rows += batch.num_rows
            batches += 1
    # The peak resident set size (kilobytes on Linux, bytes on macOS: only ratios are compared).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "batches": batches, "peak": peak}))
    """
)


@pytest.mark.slow
def test_streaming_memory_stays_flat(tmp_path: Path) -> None:
    """Peak memory of a process streaming 100,000 rows stays within 1.2x of one streaming 10,000
    (the 50,000 / 500,000 version is ``bench/arrow_memory.py``)."""
    peaks = {}
    for size in (10_000, 100_000):
        folder = tmp_path / str(size)
        folder.mkdir()
        with (
            start_sandbox(folder, max_audience_size=size) as server,
            AudienceLab(api_key=API_KEY, base_url=server.base_url) as client,
        ):
            audience_id = client.audiences.create(name="memory", filters=BROAD).audience_id
            out = subprocess.run(
                [sys.executable, "-c", MEASURE, server.base_url, API_KEY, audience_id],
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            ).stdout
        result = json.loads(out)
        assert result["rows"] == size
        assert result["batches"] == math.ceil(size / 1000)
        peaks[size] = result["peak"]
    assert peaks[100_000] <= 1.2 * peaks[10_000], peaks
