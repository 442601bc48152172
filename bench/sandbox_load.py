"""Load on the sandbox: many concurrent clients creating audiences and paging them.

    python bench/sandbox_load.py                       # 100 clients for 60 s
    python bench/sandbox_load.py --clients 20 --seconds 10
    python bench/sandbox_load.py --baseline-src ../main/src   # and the same load on another
                                                              # checkout's sandbox: the ratio

The sandbox runs in its own process (``python -m audiencelab.sandbox``) with a SQLite file. Each
client, on its own kept-alive connection, creates an audience and reads two pages of it, in a
loop. The clients are lean HTTP/1.1 connections (``_sandbox_process.RawConnection``), not httpx:
100 httpx clients in one process cost more CPU than the server and would measure themselves
(issue 20: the figures of issue 13 were taken with httpx clients, 392 requests/s). Printed:
throughput, p50/p99 latency per kind of request, errors, the server's RSS before, at its peak
and after, and whether every acknowledged audience is listed at the end; with
``--baseline-src``, the same for the other checkout, run first, and the throughput ratio.
A benchmark, not a test: it prints figures and a verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _sandbox_process import RawConnection, SandboxProcess, percentile, running, source_tree

FILTERS = [
    {"state": ["TX"], "age": {"minAge": 25, "maxAge": 45}},
    {"city": ["Austin", "Denver"], "gender": ["F"]},
    {"businessProfile": {"seniority": ["director", "vp"], "industry": ["Software Development"]}},
    {"zip": ["78701", "10001"], "profile": {"homeowner": ["homeowner"]}},
    {},
]


@dataclass
class Stats:
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    acknowledged: set[str] = field(default_factory=set)
    elapsed: float = 0.0
    rss: tuple[float, float, float] = (0.0, 0.0, 0.0)
    listed: set[str] = field(default_factory=set)
    #: CPU seconds the server used while loaded
    cpu: float = 0.0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latency.values())

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed


async def timed(
    stats: Stats, kind: str, conn: RawConnection, method: str, path: str, body: bytes = b""
) -> tuple[int, bytes] | None:
    t0 = time.perf_counter()
    try:
        answer = await conn.request(method, path, body)
    except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
        stats.errors[f"{kind}: {type(exc).__name__}"] += 1
        return None
    stats.latency[kind].append(time.perf_counter() - t0)
    if answer[0] >= 400:
        stats.errors[f"{kind}: HTTP {answer[0]}"] += 1
    return answer


async def client_loop(
    server: SandboxProcess, number: int, stop: float, stats: Stats, size: int
) -> None:
    rng = random.Random(number)
    conn = await RawConnection.open(server.base_url, server.api_key)
    try:
        n = 0
        while time.monotonic() < stop:
            n += 1
            body = json.dumps({"name": f"load {number}-{n}", "filters": rng.choice(FILTERS)})
            created = await timed(stats, "create", conn, "POST", "/audiences", body.encode())
            if created is None:
                conn = await RawConnection.open(server.base_url, server.api_key)
                continue
            if created[0] != 200:
                continue
            audience_id = json.loads(created[1])["audienceId"]
            stats.acknowledged.add(audience_id)
            for page in (1, rng.randint(2, 20)):
                path = f"/audiences/{audience_id}?page={page}&page_size={size}"
                if await timed(stats, "page", conn, "GET", path) is None:
                    conn = await RawConnection.open(server.base_url, server.api_key)
    finally:
        await conn.close()


async def sample_rss(server: SandboxProcess, stop: float, samples: list[float]) -> None:
    while time.monotonic() < stop:
        samples.append(server.rss_mb())
        await asyncio.sleep(0.5)


async def listed_ids(server: SandboxProcess) -> set[str]:
    ids: set[str] = set()
    conn = await RawConnection.open(server.base_url, server.api_key)
    try:
        page = 1
        while True:
            _status, raw = await conn.request("GET", f"/audiences?page={page}&page_size=1000")
            body = json.loads(raw)
            ids.update(a["id"] for a in body["data"])
            if page >= body["total_pages"]:
                return ids
            page += 1
    finally:
        await conn.close()


async def run(clients: int, seconds: float, size: int, src: str | None) -> Stats:
    stats = Stats()
    with tempfile.TemporaryDirectory() as folder, source_tree(src) as env:
        db = os.path.join(folder, "load.db")
        flags = ("--db", db, "--build-seconds", "0", "--max-audience-size", "5000")
        with running(*flags, env=env) as server:
            before = server.rss_mb()
            rss: list[float] = []
            cpu0 = server.cpu_seconds()
            t0 = time.monotonic()
            stop = t0 + seconds
            await asyncio.gather(
                sample_rss(server, stop, rss),
                *(client_loop(server, n, stop, stats, size) for n in range(clients)),
            )
            stats.elapsed = time.monotonic() - t0
            stats.cpu = server.cpu_seconds() - cpu0
            await asyncio.sleep(1)
            stats.rss = (before, max(rss, default=before), server.rss_mb())
            stats.listed = await listed_ids(server)
    return stats


def report(name: str, clients: int, stats: Stats) -> bool:
    missing = stats.acknowledged - stats.listed
    print(f"{name}: {clients} clients for {stats.elapsed:.1f} s, file DB")
    print(
        f"  requests answered: {stats.requests} ({stats.throughput:.0f}/s); server CPU "
        f"{stats.cpu:.1f} s ({stats.cpu / stats.elapsed:.0%} of a core), "
        f"{stats.cpu / stats.requests * 1000:.2f} ms per request"
    )
    for kind, values in sorted(stats.latency.items()):
        print(
            f"  {kind:6} n={len(values):6}  p50 {percentile(values, 0.5) * 1000:7.1f} ms"
            f"  p99 {percentile(values, 0.99) * 1000:7.1f} ms"
        )
    print(f"  errors: {dict(stats.errors) or 'none'}")
    before, peak, after = stats.rss
    print(f"  server RSS: {before:.0f} MB before, {peak:.0f} MB peak, {after:.0f} MB after")
    print(
        f"  acknowledged audiences: {len(stats.acknowledged)}, listed: {len(stats.listed)}, "
        f"acknowledged but missing: {len(missing)}"
    )
    return not missing and not stats.errors


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument(
        "--baseline-src", help="the src folder of another checkout, run first for the ratio"
    )
    args = parser.parse_args()
    ok = True
    baseline = None
    if args.baseline_src:
        baseline = asyncio.run(run(args.clients, args.seconds, args.page_size, args.baseline_src))
        ok &= report(f"baseline ({args.baseline_src})", args.clients, baseline)
    stats = asyncio.run(run(args.clients, args.seconds, args.page_size, None))
    ok &= report("this checkout", args.clients, stats)
    create_p99 = percentile(stats.latency["create"], 0.99)
    print(f"create p99 {create_p99 * 1000:.0f} ms (target < 300 ms)")
    if baseline is not None:
        ratio = stats.throughput / baseline.throughput
        per_request = (baseline.cpu / baseline.requests) / (stats.cpu / stats.requests)
        print(f"throughput ratio: {ratio:.2f} (target >= 3)")
        print(
            f"  server CPU per request, baseline / this: {per_request:.2f} (steadier on a busy machine)"
        )
        ok &= ratio >= 3
    ok &= create_p99 < 0.3
    print("PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
