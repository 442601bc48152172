"""Export speed: the SDK's concurrent export against a hand-rolled sequential page loop.

Target (issue 4): exporting 100,000 records (page size 1,000) with 100 ms of added latency per
request takes at most a quarter of the time of a sequential loop. Both run in this process, one
after the other, against the same sandbox (a separate process on 127.0.0.1); the ratio is what
counts, since machines here are noisy.

    python bench/export_speed.py [--records 100000] [--latency-ms 100] [--rounds 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import Server, create_audience, csv_page_loop, median, sandbox_process, verdict
from audiencelab import AudienceLab


def sdk_export(server: Server, audience_id: str, path: Path) -> int:
    with AudienceLab(api_key=server.api_key, base_url=server.base_url) as client:
        return client.audiences.export(audience_id, path, page_size=1000, overwrite=True).rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    with sandbox_process(max_audience_size=args.records, latency_ms=args.latency_ms) as server:
        audience_id, size = create_audience(server, {"age": {"minAge": 18, "maxAge": 80}})
        assert size == args.records, f"audience has {size} records, wanted {args.records}"
        loop_times, sdk_times = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.rounds):
                started = time.perf_counter()
                loop_rows = csv_page_loop(server, audience_id, Path(tmp) / "loop.csv")
                loop_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                sdk_rows = sdk_export(server, audience_id, Path(tmp) / "sdk.csv")
                sdk_times.append(time.perf_counter() - started)
                assert loop_rows == sdk_rows == size
    loop, sdk = median(loop_times), median(sdk_times)
    ratio = sdk / loop
    print(f"records: {size:,}, page size 1,000, added latency {args.latency_ms:g} ms per request")
    print(f"sequential page loop (httpx + csv.DictWriter): {loop:7.2f} s")
    print(f"SDK export (8 concurrent requests):            {sdk:7.2f} s")
    print(f"ratio SDK / loop: {ratio:.3f}  (target <= 0.25)  {verdict(ratio <= 0.25)}")


if __name__ == "__main__":
    main()
