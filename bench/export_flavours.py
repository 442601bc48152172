"""Sync and async exports: the same peak memory (issue 16), since both run one runner.

The export runner is written once (``_async/export.py``) and generated into ``_sync/export.py``,
so the two flavours hold the same window of raw pages by construction. This measures it: each
export of the same audience (200,000 records by default) runs in a fresh Python process that
reports its own peak resident set size (``ru_maxrss``); the sandbox runs in another process on
127.0.0.1. Each flavour is measured ``--repeat`` times, interleaved, and the medians compared.

    python bench/export_flavours.py [--size 200000] [--format csv] [--repeat 3]

Target: the async peak within 20% of the sync peak (ratio between 0.8 and 1.2).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import create_audience, json_from_child, median, sandbox_process, verdict

CHILD = """
import json, resource, sys, time
flavour, base_url, key, audience_id, path = sys.argv[1:6]
started = time.perf_counter()
if flavour == "sync":
    from audiencelab import AudienceLab
    with AudienceLab(api_key=key, base_url=base_url) as client:
        summary = client.audiences.export(audience_id, path, page_size=1000)
else:
    import anyio
    from audiencelab import AsyncAudienceLab
    async def run():
        async with AsyncAudienceLab(api_key=key, base_url=base_url) as client:
            return await client.audiences.export(audience_id, path, page_size=1000)
    summary = anyio.run(run)
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
print(json.dumps({"rows": summary.rows, "peak_mb": peak_kb / 1024,
                  "seconds": time.perf_counter() - started}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--format", default="csv", choices=["csv", "jsonl"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    peaks: dict[str, list[float]] = {"sync": [], "async": []}
    seconds: dict[str, list[float]] = {"sync": [], "async": []}
    with (
        sandbox_process(max_audience_size=args.size) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        audience_id, actual = create_audience(server, {"age": {"minAge": 18, "maxAge": 80}})
        assert actual == args.size, f"audience has {actual} records, wanted {args.size}"
        for i in range(args.repeat):
            for flavour in ("sync", "async"):
                path = Path(tmp) / f"{flavour}-{i}.{args.format}"
                result = json_from_child(
                    CHILD, flavour, server.base_url, server.api_key, audience_id, str(path)
                )
                assert result["rows"] == actual, result
                peaks[flavour].append(result["peak_mb"])
                seconds[flavour].append(result["seconds"])
                path.unlink()
    for flavour in ("sync", "async"):
        runs = ", ".join(f"{p:.1f}" for p in peaks[flavour])
        print(
            f"{flavour:>5} export of {args.size:,} records ({args.format}): peak median "
            f"{median(peaks[flavour]):6.1f} MB (runs: {runs}), {median(seconds[flavour]):.1f} s"
        )
    ratio = median(peaks["async"]) / median(peaks["sync"])
    print(f"ratio async / sync peak: {ratio:.3f}  (target 0.8-1.2)  {verdict(0.8 <= ratio <= 1.2)}")


if __name__ == "__main__":
    main()
