"""Paging overhead: iterating an audience's records with the SDK against a bare httpx loop.

Target (issue 4): with no added latency, the SDK spends at most 1.25x the time of a bare httpx
loop over the same pages. The two are interleaved (A B A B ...) against one sandbox process on
127.0.0.1 and the medians compared, so that a noisy neighbour hits both alike.

    python bench/paging_overhead.py [--records 50000] [--page-size 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

import httpx

from _common import Server, create_audience, median, sandbox_process, verdict
from audiencelab import AudienceLab


def bare_loop(server: Server, audience_id: str, page_size: int) -> int:
    rows = 0
    with httpx.Client(
        base_url=server.base_url, headers={"X-Api-Key": server.api_key}, timeout=60
    ) as http:
        page = 1
        while True:
            body = http.get(
                f"/audiences/{audience_id}", params={"page": page, "page_size": page_size}
            ).json()
            for _row in body["data"]:
                rows += 1
            if not body["data"] or page >= body["total_pages"]:
                return rows
            page += 1


def sdk_loop(server: Server, audience_id: str, page_size: int) -> int:
    rows = 0
    with AudienceLab(api_key=server.api_key, base_url=server.base_url) as client:
        for _row in client.audiences.records(audience_id, page_size=page_size):
            rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with sandbox_process(max_audience_size=args.records) as server:
        audience_id, size = create_audience(server, {"age": {"minAge": 18, "maxAge": 80}})
        bare_times, sdk_times = [], []
        bare_loop(server, audience_id, args.page_size)  # warm-up
        for _ in range(args.rounds):
            for loop, times in ((bare_loop, bare_times), (sdk_loop, sdk_times)):
                started = time.perf_counter()
                assert loop(server, audience_id, args.page_size) == size
                times.append(time.perf_counter() - started)
    bare, sdk = median(bare_times), median(sdk_times)
    ratio = sdk / bare
    print(
        f"records: {size:,}, page size {args.page_size:,}, no added latency, {args.rounds} rounds"
    )
    print(f"bare httpx loop:  median {bare:6.2f} s")
    print(f"SDK records():    median {sdk:6.2f} s")
    print(f"ratio SDK / bare: {ratio:.3f}  (target <= 1.25)  {verdict(ratio <= 1.25)}")


if __name__ == "__main__":
    main()
