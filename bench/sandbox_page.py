"""A page of 1,000 people: what generating, encoding and serving it cost, in one run.

    python bench/sandbox_page.py [--rounds 15]

Printed, each the median wall time of ``--rounds``:

* generating 1,000 people (``Plan.rows``: the dicts; ``Plan.columns``: the columns alone) and
  encoding them, with ``json.dumps`` (the baseline of the serve ratio), pydantic-core, orjson
  and msgspec (if installed; it is not a dependency): the encoder choice, and generation apart;
  and what a page costs the sandbox now, its JSON written from the columns (``Plan.rows_json``),
  against the dicts then orjson (the way before);
* serving a 1,000-row page from a sandbox process (``python -m audiencelab.sandbox``) over a
  kept-alive connection, the whole body read: a page never served before (generated, encoded
  and kept) and a page kept (sliced from the kept bytes); each as a ratio to ``json.dumps`` of
  the same page (target <= 0.5);
* ``/healthz`` of another key while 8 pages not served before are being served at once, in
  ``--waves`` waves: the slowest of each wave (target < 50 ms), their median and the slowest
  of all (one slow answer is often the machine's scheduler: the neighbours are busy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orjson
import pydantic_core

from _sandbox_process import RawConnection, running
from audiencelab.sandbox._criteria import build_criteria
from audiencelab.sandbox._filters import parse_filters
from audiencelab.sandbox._generate import plan_for

FILTERS = {"age": {"minAge": 25, "maxAge": 45}, "state": ["CA", "TX"]}
PAGE = 1000


def wall_ms(work: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def in_process(rounds: int) -> dict[str, float]:
    plan = plan_for(build_criteria(parse_filters(FILTERS)))
    starts = iter(range(10_000, 10_000 + PAGE * 1000, PAGE))
    out = {"generate": wall_ms(lambda: plan.rows(next(starts), next(starts)), rounds)}
    out["columns"] = wall_ms(lambda: plan.columns(next(starts), next(starts)), rounds)
    out["rows_json"] = wall_ms(lambda: plan.rows_json(next(starts), next(starts)), rounds)
    out["rows+orjson"] = wall_ms(
        lambda: orjson.dumps(plan.rows(next(starts), next(starts))), rounds
    )
    rows = plan.rows(0, PAGE)
    page = {"total_records": 10_000, "page_size": PAGE, "page": 1, "total_pages": 10, "data": rows}
    out["json.dumps"] = wall_ms(lambda: json.dumps(page), rounds)
    out["pydantic-core"] = wall_ms(lambda: pydantic_core.to_json(page), rounds)
    out["orjson"] = wall_ms(lambda: orjson.dumps(page), rounds)
    try:
        import msgspec
    except ImportError:
        pass
    else:
        encoder = msgspec.json.Encoder()
        out["msgspec"] = wall_ms(lambda: encoder.encode(page), rounds)
    out["bytes"] = len(orjson.dumps(page))
    return out


async def served(rounds: int, waves: int) -> dict[str, Any]:
    flags = ("--build-seconds", "0", "--max-audience-size", "1000000", "--api-key", "sk_test_b2")
    with running(*flags) as server:
        conn = await RawConnection.open(server.base_url, server.api_key)
        body = json.dumps({"name": "bench", "filters": FILTERS}).encode()
        audience = json.loads((await conn.request("POST", "/audiences", body))[1])["audienceId"]
        path = f"/audiences/{audience}?page_size={PAGE}&page="
        await conn.request("GET", path + "1")  # warm: connection, plan
        cold, kept = [], []
        for page in range(2, 2 + rounds):
            t0 = time.perf_counter()
            status, raw = await conn.request("GET", path + str(page))
            cold.append(time.perf_counter() - t0)
            assert status == 200, status
            assert len(raw) > 2_000_000, len(raw)
            t0 = time.perf_counter()
            await conn.request("GET", path + str(page))
            kept.append(time.perf_counter() - t0)
        # /healthz of another key while 8 pages never served before are served
        readers = [await RawConnection.open(server.base_url, server.api_key) for _ in range(8)]
        other = await RawConnection.open(server.base_url, "sk_test_b2")
        worst = []
        for wave in range(waves):
            first = 1000 - 8 * (wave + 1)
            pages = [
                asyncio.create_task(r.request("GET", path + str(first + i)))
                for i, r in enumerate(readers)
            ]
            health = []
            while not all(p.done() for p in pages):
                t0 = time.perf_counter()
                await other.request("GET", "/healthz")
                health.append(time.perf_counter() - t0)
            await asyncio.gather(*pages)
            worst.append(max(health, default=0.0))
        for c in (conn, other, *readers):
            await c.close()
    return {
        "cold": statistics.median(cold) * 1000,
        "kept": statistics.median(kept) * 1000,
        "health_worst": max(worst) * 1000,
        "health_median_wave": statistics.median(worst) * 1000,
        "health_waves": [round(w * 1000, 1) for w in worst],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--waves", type=int, default=5)
    args = parser.parse_args()
    local = in_process(args.rounds)
    remote = asyncio.run(served(args.rounds, args.waves))
    base = local["json.dumps"]
    print(f"A page of {PAGE} people ({local['bytes'] / 1e6:.1f} MB), medians of {args.rounds}:")
    print(f"  generating them (dicts):       {local['generate']:6.1f} ms")
    print(f"  generating them (columns):     {local['columns']:6.1f} ms")
    for name in ("json.dumps", "pydantic-core", "orjson", "msgspec"):
        if name in local:
            print(f"  encoding them, {name:14} {local[name]:6.1f} ms ({local[name] / base:.2f}x)")
    print(
        f"  generation / orjson encoding: {local['generate'] / local['orjson']:.1f}x as dicts, "
        f"{local['columns'] / local['orjson']:.1f}x as columns (the issue's aim: below 1)"
    )
    made, before = local["rows_json"], local["rows+orjson"]
    print(
        f"  a page's JSON, from the columns: {made:6.1f} ms; dicts then orjson: {before:6.1f} ms "
        f"({made / before:.2f}x)"
    )
    cold, kept = remote["cold"], remote["kept"]
    print(f"  served, never served before:   {cold:6.1f} ms ({cold / base:.2f}x json.dumps)")
    print(f"  served, kept:                  {kept:6.1f} ms ({kept / base:.2f}x json.dumps)")
    print(
        f"  /healthz of another key, 8 pages served at once: slowest per wave "
        f"{remote['health_waves']} ms, median {remote['health_median_wave']:.1f} ms, slowest "
        f"{remote['health_worst']:.1f} ms (target < 50 ms)"
    )
    ok = cold / base <= 0.5 and remote["health_worst"] < 50
    print(f"{'PASS' if ok else 'FAIL'} (serve ratio of a page never served before <= 0.5)")


if __name__ == "__main__":
    main()
