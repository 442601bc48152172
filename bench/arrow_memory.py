"""Arrow streams: peak RSS of a process reading 50,000 and 500,000 records as record batches.

Target (issue 13): streaming 500,000 records with ``client.audiences.record_batches`` keeps peak
memory within 1.2x of streaming 50,000. Each stream runs in a fresh Python process that reads every
batch (and drops it) and reports its own peak resident set size (``ru_maxrss``); the sandbox
(capped at the wanted size) runs in another process on 127.0.0.1. The baseline line shows a
process with pyarrow loaded (one array made) and nothing read.

    python bench/arrow_memory.py [--small 50000] [--large 500000]
"""

from __future__ import annotations

import argparse

from _common import Server, create_audience, json_from_child, sandbox_process, verdict

CHILD = """
import json, resource, sys, time
from audiencelab import AudienceLab
base_url, key, audience_id = sys.argv[1:4]
started = time.perf_counter()
rows = batches = 0
with AudienceLab(api_key=key, base_url=base_url) as client:
    for batch in client.audiences.record_batches(audience_id, page_size=1000):
        rows += batch.num_rows
        batches += 1
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
print(json.dumps({"rows": rows, "batches": batches, "peak_mb": peak_kb / 1024,
                  "seconds": time.perf_counter() - started}))
"""

IDLE = """
import json, resource
import audiencelab, pyarrow
pyarrow.array(["x"])  # pyarrow's first array loads its kernels: ~50 MB, paid once by any user
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def stream_in_child(server: Server, audience_id: str) -> dict[str, float]:
    return json_from_child(CHILD, server.base_url, server.api_key, audience_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--large", type=int, default=500_000)
    args = parser.parse_args()
    idle = json_from_child(IDLE)
    results = {}
    for label, size in (("small", args.small), ("large", args.large)):
        with sandbox_process(max_audience_size=size) as server:
            audience_id, actual = create_audience(server, {"age": {"minAge": 18, "maxAge": 80}})
            assert actual == size, f"audience has {actual} records, wanted {size}"
            result = stream_in_child(server, audience_id)
            assert result["rows"] == actual
            results[label] = (actual, result)
    (small_n, small), (large_n, large) = results["small"], results["large"]
    ratio = large["peak_mb"] / small["peak_mb"]
    print(f"python + audiencelab + pyarrow in use, idle: peak {idle['peak_mb']:6.1f} MB")
    for n, r in ((small_n, small), (large_n, large)):
        print(
            f"record batches of {n:>9,} records: peak {r['peak_mb']:6.1f} MB, "
            f"{int(r['batches']):,} batches in {r['seconds']:.1f} s"
        )
    print(f"ratio large / small peak: {ratio:.3f}  (target <= 1.2)  {verdict(ratio <= 1.2)}")


if __name__ == "__main__":
    main()
