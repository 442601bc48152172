"""Load on the sandbox: many concurrent clients creating audiences and paging them.

    python bench/sandbox_load.py                      # 100 clients for 60 s
    python bench/sandbox_load.py --clients 20 --seconds 10

The sandbox runs in its own process (``python -m audiencelab.sandbox``) with a SQLite file. Each
client, on its own kept-alive connection, creates an audience and reads two pages of it, in a
loop. Printed: throughput, p50/p99 latency per kind of request, errors, the server's RSS before,
at its peak and after, and whether every acknowledged audience is listed at the end. A benchmark,
not a test: it prints figures and a verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _sandbox_process import SandboxProcess, percentile, running

FILTERS = [
    {"state": ["TX"], "age": {"minAge": 25, "maxAge": 45}},
    {"city": ["Austin", "Denver"], "gender": ["F"]},
    {"businessProfile": {"seniority": ["director", "vp"], "industry": ["Software Development"]}},
    {"zip": ["78701", "10001"], "profile": {"homeowner": ["homeowner"]}},
    {},
]


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.acknowledged: set[str] = set()

    async def timed(self, kind: str, call: object) -> httpx.Response | None:
        t0 = time.perf_counter()
        try:
            response: httpx.Response = await call  # type: ignore[misc]
        except httpx.HTTPError as exc:
            self.errors[f"{kind}: {type(exc).__name__}"] += 1
            return None
        self.latency[kind].append(time.perf_counter() - t0)
        if response.status_code >= 400:
            self.errors[f"{kind}: HTTP {response.status_code}"] += 1
        return response


async def client_loop(
    server: SandboxProcess, number: int, stop: float, stats: Stats, size: int
) -> None:
    rng = random.Random(number)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    headers = {"X-Api-Key": server.api_key}
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=headers, limits=limits, timeout=60
    ) as http:
        n = 0
        while time.monotonic() < stop:
            n += 1
            body = {"name": f"load {number}-{n}", "filters": rng.choice(FILTERS)}
            created = await stats.timed("create", http.post("/audiences", json=body))
            if created is None or created.status_code != 200:
                continue
            audience_id = created.json()["audienceId"]
            stats.acknowledged.add(audience_id)
            for page in (1, rng.randint(2, 20)):
                await stats.timed(
                    "page",
                    http.get(f"/audiences/{audience_id}", params={"page": page, "page_size": size}),
                )


async def sample_rss(server: SandboxProcess, stop: float, samples: list[float]) -> None:
    while time.monotonic() < stop:
        samples.append(server.rss_mb())
        await asyncio.sleep(0.5)


async def listed_ids(server: SandboxProcess) -> set[str]:
    ids: set[str] = set()
    headers = {"X-Api-Key": server.api_key}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=60) as http:
        page = 1
        while True:
            body = (await http.get("/audiences", params={"page": page, "page_size": 1000})).json()
            ids.update(a["id"] for a in body["data"])
            if page >= body["total_pages"]:
                return ids
            page += 1


async def run(clients: int, seconds: float, size: int) -> int:
    stats = Stats()
    with tempfile.TemporaryDirectory() as folder:
        db = os.path.join(folder, "load.db")
        with running("--db", db, "--build-seconds", "0", "--max-audience-size", "5000") as server:
            before = server.rss_mb()
            rss: list[float] = []
            t0 = time.monotonic()
            stop = t0 + seconds
            await asyncio.gather(
                sample_rss(server, stop, rss),
                *(client_loop(server, n, stop, stats, size) for n in range(clients)),
            )
            elapsed = time.monotonic() - t0
            await asyncio.sleep(1)
            after = server.rss_mb()
            listed = await listed_ids(server)
            size_mb = os.path.getsize(db) / 1e6
    requests = sum(len(v) for v in stats.latency.values())
    missing = stats.acknowledged - listed
    print(
        f"{clients} clients for {elapsed:.1f} s against a sandbox with a file DB ({size_mb:.1f} MB)"
    )
    print(f"  requests answered: {requests} ({requests / elapsed:.0f}/s)")
    for kind, values in sorted(stats.latency.items()):
        print(
            f"  {kind:6} n={len(values):6}  p50 {percentile(values, 0.5) * 1000:7.1f} ms"
            f"  p99 {percentile(values, 0.99) * 1000:7.1f} ms"
        )
    print(f"  errors: {dict(stats.errors) or 'none'}")
    print(
        f"  server RSS: {before:.0f} MB before, {max(rss, default=before):.0f} MB peak, {after:.0f} MB after"
    )
    print(
        f"  acknowledged audiences: {len(stats.acknowledged)}, listed: {len(listed)}, "
        f"acknowledged but missing: {len(missing)}"
    )
    ok = not missing and not stats.errors
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(run(args.clients, args.seconds, args.page_size)))


if __name__ == "__main__":
    main()
