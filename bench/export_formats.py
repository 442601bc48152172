"""JSON Lines export against CSV export of the same audience, in one run (issue 20).

Target: exporting an audience to JSON Lines takes at most 1.1x the time of exporting it to CSV.
Both go through the SDK's export (8 requests in flight) against one sandbox process on
127.0.0.1, interleaved (CSV, JSON Lines, JSON Lines written by the ``json`` module, ...) so that a
noisy neighbour hits all alike; the medians are compared. The third export is the writer before
issue 20 (the ``json`` module for every page), shown for the before/after figure; the files of
the two JSON Lines exports are compared byte for byte.

    python bench/export_formats.py [--records 50000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import Server, create_audience, median, sandbox_process, verdict
from audiencelab import AudienceLab
from audiencelab._export import formats

TARGET = 1.1


def export(server: Server, audience_id: str, path: Path) -> float:
    with AudienceLab(api_key=server.api_key, base_url=server.base_url) as client:
        started = time.perf_counter()
        client.audiences.export(audience_id, path, page_size=1000, overwrite=True)
        return time.perf_counter() - started


def export_json_module(server: Server, audience_id: str, path: Path) -> float:
    """The JSON Lines export as it was: every page written by the json module."""
    native = formats._orjson_dumps
    formats._orjson_dumps = lambda: None  # type: ignore[assignment]
    try:
        return export(server, audience_id, path)
    finally:
        formats._orjson_dumps = native


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"csv": [], "jsonl": [], "jsonl-json": []}
    with (
        sandbox_process(max_audience_size=args.records) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        audience_id, size = create_audience(server, {"age": {"minAge": 18, "maxAge": 80}})
        out = Path(tmp)
        export(server, audience_id, out / "warm.csv")  # warm: imports, connections, the plan
        for _ in range(args.rounds):
            times["csv"].append(export(server, audience_id, out / "a.csv"))
            times["jsonl"].append(export(server, audience_id, out / "a.jsonl"))
            times["jsonl-json"].append(export_json_module(server, audience_id, out / "b.jsonl"))
        same = (out / "a.jsonl").read_bytes() == (out / "b.jsonl").read_bytes()
        sizes = {p.suffix: p.stat().st_size for p in (out / "a.csv", out / "a.jsonl")}
    csv, jsonl, before = (median(times[k]) for k in ("csv", "jsonl", "jsonl-json"))
    print(f"records: {size:,}, page size 1,000, no added latency, medians of {args.rounds}")
    print(f"CSV export:                          {csv:6.2f} s ({sizes['.csv'] / 1e6:.0f} MB)")
    print(f"JSON Lines export:                   {jsonl:6.2f} s ({sizes['.jsonl'] / 1e6:.0f} MB)")
    print(f"JSON Lines by the json module (before): {before:6.2f} s ({before / csv:.3f}x CSV)")
    print(f"the two JSON Lines files are the same bytes: {same}")
    ratio = jsonl / csv
    print(f"ratio JSON Lines / CSV: {ratio:.3f}  (target <= {TARGET})  {verdict(ratio <= TARGET)}")


if __name__ == "__main__":
    main()
