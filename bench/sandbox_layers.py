"""What the request log and the endpoint gate (issue 21) cost the sandbox per request.

The same sandbox app is called in-process (ASGI, no socket, so that only the layers' work is
timed) through its full stack (request log, faults and auth, endpoint gate, routes) and through
the stack without the two new layers (faults and auth, routes), interleaved A B A B, and the
medians compared. Target: at most 1.05x. With ``--variants`` the gate is active (a missing
endpoint, an absent attribute list), the worst case.

    python bench/sandbox_layers.py [--requests 2000] [--rounds 7] [--variants]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import anyio
import httpx

from _common import API_KEY, median, verdict
from audiencelab.sandbox import SandboxConfig, create_app
from audiencelab.sandbox._faults import FaultMiddleware

TARGET = 1.05


async def timed(app: Any, n: int) -> float:
    transport = httpx.ASGITransport(app=app)
    headers = {"X-Api-Key": API_KEY}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox.test", headers=headers
    ) as client:
        started = time.perf_counter()
        for _ in range(n):
            response = await client.get("/audiences", params={"page": 1, "page_size": 1})
            assert response.status_code == 200
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--variants", action="store_true")
    args = parser.parse_args()
    variants: dict[str, Any] = (
        {"missing_endpoints": ("GET /pixels",), "attribute_lists": ("segments",)}
        if args.variants
        else {}
    )
    config = SandboxConfig(api_keys=(API_KEY,), build_seconds=0, **variants)
    app = create_app(config)
    baseline = FaultMiddleware(app.starlette, config)  # the stack before issue 21
    full: list[float] = []
    bare: list[float] = []
    anyio.run(timed, app, 200)  # warm both paths up
    anyio.run(timed, baseline, 200)
    for _ in range(args.rounds):
        full.append(anyio.run(timed, app, args.requests))
        bare.append(anyio.run(timed, baseline, args.requests))
    app.close()
    per_full = median(full) / args.requests * 1e6
    per_bare = median(bare) / args.requests * 1e6
    ratio = median(full) / median(bare)
    print(f"requests per round: {args.requests}, rounds: {args.rounds}, variants: {args.variants}")
    print(f"without the log and the gate: {per_bare:.1f} us per request (median)")
    print(f"with them:                    {per_full:.1f} us per request (median)")
    print(f"ratio: {ratio:.3f} (target at most {TARGET}) {verdict(ratio <= TARGET)}")


if __name__ == "__main__":
    main()
