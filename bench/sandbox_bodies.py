"""Many large request bodies at once: the sandbox's memory, and another key's reads meanwhile.

    python bench/sandbox_bodies.py                          # 16 enrichment jobs of 32 MB
    python bench/sandbox_bodies.py --jobs 8 --megabytes 16
    python bench/sandbox_bodies.py --baseline-src ../main/src   # the same on another checkout

Each job is sent on its own connection, all at once, to a sandbox in its own process; another
key reads ``GET /enrichments`` all along. Printed: the server's RSS before and at its peak, the
answers (202, or 503 with Retry-After for a body that waited its turn too long), and the other
key's reads: how many, and the slowest (issue 23, defect 7: 16 x 32 MB took 1.85 GB and delayed
the other key's reads to 2.5 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpx

from _sandbox_process import running, source_tree

OTHER_KEY = "sk_test_other"


def job_body(megabytes: int) -> bytes:
    record = (
        '{"email":"someone.%07d@example.com","first_name":"Firstname","last_name":"Lastname",'
        '"phone":"+14155550100","company":"Example Co"}'
    )
    n = min(100_000, megabytes * 1024 * 1024 // (len(record) + 1))
    pad = "x" * max(0, (megabytes * 1024 * 1024 - n * (len(record) + 1)) // n - 20)
    records = ",".join(record[:-1] % i + f',"note":"{pad}"}}' for i in range(n))
    return f'{{"name":"big","records":[{records}]}}'.encode()


def run(jobs: int, megabytes: int, src: str | None) -> None:
    body = job_body(megabytes)
    with tempfile.TemporaryDirectory() as folder, source_tree(src) as env:
        flags = ("--db", os.path.join(folder, "b.db"), "--build-seconds", "0",
                 "--api-key", OTHER_KEY)  # fmt: skip
        with running(*flags, env=env) as server:
            before = server.rss_mb()
            peak = [before]
            statuses: Counter[str] = Counter()
            reads: list[float] = []
            done = threading.Event()

            def upload() -> None:
                headers = {"X-Api-Key": server.api_key}
                with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as c:
                    try:
                        r = c.post("/enrichments", content=body)
                        retry = (
                            f" (Retry-After {r.headers['Retry-After']})"
                            if r.status_code == 503
                            else ""
                        )
                        statuses[f"{r.status_code}{retry}"] += 1
                    except httpx.HTTPError as exc:
                        statuses[type(exc).__name__] += 1

            def watch() -> None:
                headers = {"X-Api-Key": OTHER_KEY}
                with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as c:
                    while not done.is_set():
                        peak[0] = max(peak[0], server.rss_mb())
                        t0 = time.perf_counter()
                        c.get("/enrichments")
                        reads.append(time.perf_counter() - t0)
                        time.sleep(0.05)

            watcher = threading.Thread(target=watch)
            watcher.start()
            t0 = time.perf_counter()
            threads = [threading.Thread(target=upload) for _ in range(jobs)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - t0
            done.set()
            watcher.join()
    print(
        f"{src or 'this checkout'}: {jobs} jobs of {len(body) / 1e6:.0f} MB at once, {elapsed:.1f} s"
    )
    print(f"  server RSS: {before:.0f} MB before, {peak[0]:.0f} MB peak")
    print(f"  answers: {dict(statuses)}")
    print(
        f"  another key's reads: {len(reads)}, median {statistics.median(reads) * 1000:.0f} ms, "
        f"slowest {max(reads) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--megabytes", type=int, default=32)
    parser.add_argument("--baseline-src")
    args = parser.parse_args()
    if args.baseline_src:
        run(args.jobs, args.megabytes, args.baseline_src)
    run(args.jobs, args.megabytes, None)


if __name__ == "__main__":
    main()
