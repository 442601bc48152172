"""Loading into DuckDB with the dlt source, against the SDK's own Parquet export of the same audience.

Target (issue 13): loading a 100,000-record audience into DuckDB through ``audiencelab.dlt``
(``audience_records``: Arrow tables, each audience replaced atomically) takes at most 1.5x the
time of ``client.audiences.export(..., "people.parquet")``. All run in this process, in turn,
against the same sandbox (a separate process on 127.0.0.1). Each round:

* the export to Parquet (the baseline);
* a first load into a fresh DuckDB file and pipeline folder (create the tables, stage, insert);
* the same into a file made in DuckDB's 1.0 storage format, as ``audiencelab load`` makes them;
* a re-load into that file, which holds the audience: the staged rows replace it (delete the
  audience's rows, insert one row per person key), as every daily run does.

The ratios of the medians are what count, since machines here are noisy.

    python bench/dlt_load.py [--records 100000] [--latency-ms 0] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import Server, create_audience, median, sandbox_process, verdict
from audiencelab import AudienceLab

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # no request to dlthub


def parquet_export(server: Server, audience_id: str, folder: Path) -> int:
    with AudienceLab(api_key=server.api_key, base_url=server.base_url) as client:
        return client.audiences.export(audience_id, folder / "people.parquet").rows


def dlt_load(server: Server, audience_id: str, folder: Path, storage: str | None = None) -> int:
    """Load the audience with a pipeline in ``folder`` (made if new; in DuckDB ``storage``
    version if given); the rows the table then holds."""
    import dlt
    import duckdb

    from audiencelab.dlt import audiencelab_source

    database = folder / "bench.duckdb"
    if storage is not None and not database.exists():
        duckdb.connect(str(database), config={"storage_compatibility_version": storage}).close()
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
        times: dict[str, list[float]] = {"export": [], "first": [], "v1": [], "again": []}

        def timed(name: str, job: Callable[[], int]) -> None:
            started = time.perf_counter()
            assert job() == size, name
            times[name].append(time.perf_counter() - started)

        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                timed("export", lambda: parquet_export(server, audience_id, Path(tmp)))
            with tempfile.TemporaryDirectory() as tmp:
                timed("first", lambda: dlt_load(server, audience_id, Path(tmp)))
            with tempfile.TemporaryDirectory() as tmp:
                timed("v1", lambda: dlt_load(server, audience_id, Path(tmp), "v1.0.0"))
                timed("again", lambda: dlt_load(server, audience_id, Path(tmp), "v1.0.0"))
    export = median(times["export"])
    print(f"records: {size:,}, page size 1,000, added latency {args.latency_ms:g} ms per request")
    print(f"rounds: {args.rounds} (medians; each: export, first load, 1.0-format load, re-load)")
    labels = {
        "export": "SDK export to Parquet:          ",
        "first": "dlt first load into DuckDB:     ",
        "v1": "same, DuckDB 1.0 storage format:",
        "again": "re-load (replaces the audience):",
    }
    for name, label in labels.items():
        print(f"{label} {median(times[name]):7.2f} s  {[round(t, 2) for t in times[name]]}")
    for name in ("first", "v1", "again"):
        ratio = median(times[name]) / export
        target = f"(target <= 1.5)  {verdict(ratio <= 1.5)}" if name == "first" else ""
        print(f"ratio {name:5} / Parquet export: {ratio:.3f}  {target}")


if __name__ == "__main__":
    main()
