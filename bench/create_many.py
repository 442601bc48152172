"""Creating many audiences: ``create_many(specs, concurrency=16)`` against a sequential loop.

Target (issue 12): at +100 ms latency per request, 100 creates with ``concurrency=16`` take at
most 0.15x the time of a loop creating them one after the other. Both run against the same
sandbox (a separate process on 127.0.0.1), one after the other; the ratio is what counts.

    python bench/create_many.py [--audiences 100] [--concurrency 16] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import time

from _common import sandbox_process, verdict
from audiencelab import AudienceLab

TARGET = 0.15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--audiences", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    specs = [
        {"name": f"bench {i}", "filters": {"age": {"minAge": 20 + i % 40, "maxAge": 70}}}
        for i in range(args.audiences)
    ]
    with (
        sandbox_process(latency_ms=args.latency_ms) as server,
        AudienceLab(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        started = time.perf_counter()
        for spec in specs:
            client.audiences.create(**spec)  # type: ignore[arg-type]
        loop = time.perf_counter() - started
        started = time.perf_counter()
        results = client.audiences.create_many(specs, concurrency=args.concurrency)
        many = time.perf_counter() - started
        assert [r.status for r in results] == ["created"] * len(specs)
        assert len(list(client.audiences.list())) == 2 * len(specs)
    ratio = many / loop
    print(f"{args.audiences} creates, {args.latency_ms:g} ms added latency per request")
    print(f"sequential loop of create():              {loop:6.2f} s")
    print(f"create_many(concurrency={args.concurrency}):               {many:6.2f} s")
    print(f"ratio create_many / loop: {ratio:.3f} (target <= {TARGET}): {verdict(ratio <= TARGET)}")


if __name__ == "__main__":
    main()
