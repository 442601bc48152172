"""Export memory: peak RSS of a process exporting 100,000 and 1,000,000 records.

Target (issue 4): exporting 1,000,000 records keeps peak memory under 150 MB, and within 1.2x of
the peak for 100,000 records. Each export runs in a fresh Python process that reports its own peak
resident set size (``ru_maxrss``); the sandbox (capped at the wanted size) runs in another process on 127.0.0.1.

    python bench/export_memory.py [--small 100000] [--large 1000000] [--format csv]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import Server, create_audience, json_from_child, sandbox_process, verdict

CHILD = """
import json, resource, sys, time
from audiencelab import AudienceLab
base_url, key, audience_id, path = sys.argv[1:5]
started = time.perf_counter()
with AudienceLab(api_key=key, base_url=base_url) as client:
    summary = client.audiences.export(audience_id, path, page_size=1000)
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
print(json.dumps({"rows": summary.rows, "peak_mb": peak_kb / 1024, "seconds": time.perf_counter() - started}))
"""

IDLE = """
import json, resource
import audiencelab
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def export_in_child(server: Server, audience_id: str, path: Path) -> dict[str, float]:
    return json_from_child(CHILD, server.base_url, server.api_key, audience_id, str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--format", default="csv", choices=["csv", "jsonl"])
    args = parser.parse_args()
    idle = json_from_child(IDLE)
    results = {}
    for label, size in (("small", args.small), ("large", args.large)):
        with (
            sandbox_process(max_audience_size=size) as server,
            tempfile.TemporaryDirectory() as tmp,
        ):
            audience_id, actual = create_audience(server, {"age": {"minAge": 18, "maxAge": 80}})
            assert actual == size, f"audience has {actual} records, wanted {size}"
            result = export_in_child(server, audience_id, Path(tmp) / f"{label}.{args.format}")
            assert result["rows"] == actual
            results[label] = (actual, result)
    (small_n, small), (large_n, large) = results["small"], results["large"]
    ratio = large["peak_mb"] / small["peak_mb"]
    print(f"python + import audiencelab, idle:   peak {idle['peak_mb']:6.1f} MB")
    print(
        f"export {small_n:>9,} records ({args.format}): peak {small['peak_mb']:6.1f} MB in {small['seconds']:.1f} s"
    )
    print(
        f"export {large_n:>9,} records ({args.format}): peak {large['peak_mb']:6.1f} MB in {large['seconds']:.1f} s"
    )
    print(f"large peak under 150 MB: {verdict(large['peak_mb'] < 150)}")
    print(f"ratio large / small peak: {ratio:.3f}  (target <= 1.2)  {verdict(ratio <= 1.2)}")


if __name__ == "__main__":
    main()
