"""Paging overhead: iterating an audience's records with the SDK against bare httpx2 loops.

Targets: with no added latency, the SDK's ``records()`` spends at most 1.25x the time of a bare
httpx2 loop that parses with ``response.json()`` (issue 4), and at most 1.1x that of a bare
httpx2 loop that parses with ``orjson.loads`` (issue 20: the native parser's speed). The loops
are interleaved (A B C A B C ...) against one sandbox process on 127.0.0.1 and the medians
compared, so that a noisy neighbour hits all alike. When the original httpx is installed, the
same bare loop on it is timed too (reported, not judged): the figures behind the move to httpx2.

    python bench/paging_overhead.py [--records 50000] [--page-size 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx2
import orjson

from _common import Server, create_audience, median, sandbox_process, verdict
from audiencelab import AudienceLab


def bare_loop(
    server: Server,
    audience_id: str,
    page_size: int,
    library: ModuleType = httpx2,
    loads: Callable[[bytes], Any] | None = None,
) -> int:
    rows = 0
    with library.Client(
        base_url=server.base_url, headers={"X-Api-Key": server.api_key}, timeout=60
    ) as http:
        page = 1
        while True:
            response = http.get(
                f"/audiences/{audience_id}", params={"page": page, "page_size": page_size}
            )
            body = response.json() if loads is None else loads(response.content)
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
    legacy = importlib.import_module("httpx") if importlib.util.find_spec("httpx") else None

    def legacy_loop(server: Server, audience_id: str, page_size: int) -> int:
        return bare_loop(server, audience_id, page_size, legacy or httpx2)

    def orjson_loop(server: Server, audience_id: str, page_size: int) -> int:
        return bare_loop(server, audience_id, page_size, loads=orjson.loads)

    loops = [("bare", bare_loop), ("orjson", orjson_loop), ("sdk", sdk_loop)]
    loops += [("httpx", legacy_loop)] if legacy else []
    times: dict[str, list[float]] = {name: [] for name, _ in loops}
    with sandbox_process(max_audience_size=args.records) as server:
        audience_id, size = create_audience(server, {"age": {"minAge": 18, "maxAge": 80}})
        bare_loop(server, audience_id, args.page_size)  # warm-up
        for _ in range(args.rounds):
            for name, loop in loops:
                started = time.perf_counter()
                assert loop(server, audience_id, args.page_size) == size
                times[name].append(time.perf_counter() - started)
    bare, sdk, native = median(times["bare"]), median(times["sdk"]), median(times["orjson"])
    ratio = sdk / bare
    print(
        f"records: {size:,}, page size {args.page_size:,}, no added latency, {args.rounds} rounds"
    )
    print(f"bare httpx2 loop, response.json(): median {bare:6.2f} s")
    print(f"bare httpx2 loop, orjson.loads:    median {native:6.2f} s")
    if legacy:
        print(
            f"bare httpx loop, response.json(): median {median(times['httpx']):6.2f} s  (reported)"
        )
    print(f"SDK records():                     median {sdk:6.2f} s")
    print(f"ratio SDK / bare json():   {ratio:.3f}  (target <= 1.25)  {verdict(ratio <= 1.25)}")
    fast = sdk / native
    print(f"ratio SDK / bare orjson:   {fast:.3f}  (target <= 1.1)   {verdict(fast <= 1.1)}")


if __name__ == "__main__":
    main()
