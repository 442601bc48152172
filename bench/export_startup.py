"""What an export costs before its pages stream: the first page is the readiness probe.

Targets (issue 12), at +100 ms latency per request:
- a one-page export costs one request: within 1.3x of a single ``get`` of that page;
- a 20-page export with the default concurrency takes at most 0.25x of a sequential page loop
  doing the same job (httpx, then ``csv.DictWriter`` into a file, as in ``export_speed.py``).
Everything runs against one sandbox (a separate process on 127.0.0.1), in turn, several rounds;
the medians' ratios are printed. For context the script also prints the loop without the CSV
file, and a reference: a fresh plain httpx client fetching the first page, then the other 19
eight at a time, without parsing anything. It shows how much of the export's time is the
sandbox's (it generates pages on one core); it is not a strict floor, since it opens new
connections where the export reuses warm ones.

    python bench/export_startup.py [--latency-ms 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from _common import Server, create_audience, csv_page_loop, median, sandbox_process, verdict
from audiencelab import AudienceLab

PAGE = 1000


def fetch_loop(server: Server, audience_id: str) -> int:
    """The page loop without its CSV file: fetch and parse only."""
    rows, page = 0, 1
    with httpx.Client(
        base_url=server.base_url, headers={"X-Api-Key": server.api_key}, timeout=60
    ) as http:
        while True:
            body = http.get(
                f"/audiences/{audience_id}", params={"page": page, "page_size": PAGE}
            ).json()
            rows += len(body["data"])
            if page >= body["total_pages"]:
                return rows
            page += 1


def bare_concurrent(server: Server, audience_id: str, pages: int) -> None:
    """The first page, then the others eight at a time; bytes only, nothing parsed."""
    with httpx.Client(
        base_url=server.base_url,
        headers={"X-Api-Key": server.api_key},
        timeout=60,
        limits=httpx.Limits(max_connections=8),
    ) as http:

        def get(page: int) -> None:
            http.get(f"/audiences/{audience_id}", params={"page": page, "page_size": PAGE})

        get(1)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(get, range(2, pages + 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {
        "get": [], "one": [], "loop": [], "fetch": [], "bare": [], "twenty": []
    }  # fmt: skip
    with (
        sandbox_process(max_audience_size=20 * PAGE, latency_ms=args.latency_ms) as server,
        AudienceLab(api_key=server.api_key, base_url=server.base_url) as client,
        tempfile.TemporaryDirectory() as tmp,
    ):
        small, small_size = create_audience(
            server, {"zip": ["93701"], "age": {"minAge": 30, "maxAge": 31}}
        )
        big, big_size = create_audience(server, {"age": {"minAge": 18, "maxAge": 80}})
        assert small_size <= PAGE < big_size == 20 * PAGE, (small_size, big_size)
        client.audiences.get(small, page_size=PAGE)  # connections warm, audiences built
        for _ in range(args.rounds):
            started = time.perf_counter()
            client.audiences.get(small, page_size=PAGE)
            timings["get"].append(time.perf_counter() - started)
            started = time.perf_counter()
            client.audiences.export(small, Path(tmp) / "one.csv", overwrite=True)
            timings["one"].append(time.perf_counter() - started)
            started = time.perf_counter()
            assert csv_page_loop(server, big, Path(tmp) / "loop.csv") == big_size
            timings["loop"].append(time.perf_counter() - started)
            started = time.perf_counter()
            assert fetch_loop(server, big) == big_size
            timings["fetch"].append(time.perf_counter() - started)
            started = time.perf_counter()
            bare_concurrent(server, big, 20)
            timings["bare"].append(time.perf_counter() - started)
            started = time.perf_counter()
            client.audiences.export(big, Path(tmp) / "twenty.csv", overwrite=True)
            timings["twenty"].append(time.perf_counter() - started)
    get, one, seq, fetch, least, twenty = (
        median(timings[k]) for k in ("get", "one", "loop", "fetch", "bare", "twenty")
    )
    print(f"+{args.latency_ms:g} ms per request; medians of {args.rounds} rounds")
    print(
        f"one page: get {get * 1000:.0f} ms, export {one * 1000:.0f} ms: "
        f"ratio {one / get:.2f} (target <= 1.3): {verdict(one / get <= 1.3)}"
    )
    print(
        f"20 pages: sequential loop writing the CSV {seq:.2f} s, export {twenty:.2f} s: "
        f"ratio {twenty / seq:.3f} (target <= 0.25): {verdict(twenty / seq <= 0.25)}"
    )
    print(
        f"  context: the loop without its CSV file {fetch:.2f} s (export / it: "
        f"{twenty / fetch:.3f}); bare httpx, bytes only, 8 at a time: {least:.2f} s "
        f"({least / seq:.3f} of the loop)"
    )


if __name__ == "__main__":
    main()
