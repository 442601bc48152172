"""Loading into DuckDB with the dlt source, against the SDK's own Parquet export of the same audience.

Target (issue 13): loading a 100,000-record audience into DuckDB through ``audiencelab.dlt``
(``audience_records``: Arrow tables, merged per audience) takes at most 1.5x the time of
``client.audiences.export(..., "people.parquet")``. Both run in this process, in turn, against the
same sandbox (a separate process on 127.0.0.1); each round loads into a fresh DuckDB file and a
fresh pipeline folder, so every dlt run does the whole job (a first load: create the tables,
merge the records). The ratio of the medians is what counts, since machines here are noisy.

    python bench/dlt_load.py [--records 100000] [--latency-ms 0] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import Server, create_audience, median, sandbox_process, verdict
from audiencelab import AudienceLab

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # no request to dlthub


def parquet_export(server: Server, audience_id: str, folder: Path) -> int:
    with AudienceLab(api_key=server.api_key, base_url=server.base_url) as client:
        return client.audiences.export(audience_id, folder / "people.parquet").rows


def dlt_load(server: Server, audience_id: str, folder: Path) -> int:
    import dlt

    from audiencelab.dlt import audiencelab_source

    pipeline = dlt.pipeline(
        pipeline_name="bench",
        destination=dlt.destinations.duckdb(str(folder / "bench.duckdb")),
        dataset_name="audiencelab",
        pipelines_dir=str(folder / "pipelines"),
    )
    source = audiencelab_source(
        api_key=server.api_key, base_url=server.base_url, audience_ids=[audience_id]
    )
    pipeline.run(source.with_resources("audience_records"))
    with pipeline.sql_client() as sql:
        rows = sql.execute_sql("SELECT count(*) FROM audience_records")
    return int(rows[0][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import dlt  # noqa: F401 - imported once up front: its import time is not part of a load

    with sandbox_process(max_audience_size=args.records, latency_ms=args.latency_ms) as server:
        audience_id, size = create_audience(server, {"age": {"minAge": 18, "maxAge": 80}})
        assert size == args.records, f"audience has {size} records, wanted {args.records}"
        export_times, dlt_times = [], []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                assert parquet_export(server, audience_id, Path(tmp)) == size
                export_times.append(time.perf_counter() - started)
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                assert dlt_load(server, audience_id, Path(tmp)) == size
                dlt_times.append(time.perf_counter() - started)
    export, load = median(export_times), median(dlt_times)
    ratio = load / export
    print(f"records: {size:,}, page size 1,000, added latency {args.latency_ms:g} ms per request")
    print(f"rounds: {args.rounds} (medians; each: export, then dlt load)")
    print(
        f"SDK export to Parquet:             {export:7.2f} s  {[round(t, 2) for t in export_times]}"
    )
    print(f"dlt source into DuckDB (merge):    {load:7.2f} s  {[round(t, 2) for t in dlt_times]}")
    print(f"ratio dlt load / Parquet export: {ratio:.3f}  (target <= 1.5)  {verdict(ratio <= 1.5)}")


if __name__ == "__main__":
    main()
