"""The webhook receiver acknowledging under load: 1,000 signed deliveries, p50/p99 ack latency,
nothing lost, against a bare Starlette 200 handler measured in the same run.

Each server runs in its own process on 127.0.0.1 (uvicorn, one worker). The receiver verifies
the HMAC, parses, deduplicates and answers; its handler is slow on purpose (20 ms per event, in
a thread), to show that the answer never waits for it. The baseline reads the body and answers
200 with nothing else. Printed: latency percentiles of each, the ratio receiver / baseline, and
the events handed on (all 1,000, once each, after the handler caught up).

    python bench/webhooks_receiver.py [--events 1000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from _common import free_port

SECRET = "whsec_bench"

RECEIVER = """
import sys, time, json, uvicorn
from starlette.responses import JSONResponse
from audiencelab.webhooks import WebhookReceiver
handled = []
def slow(event):
    time.sleep(0.02)
    handled.append((event.pixel_id, event.event_timestamp))
receiver = WebhookReceiver(sys.argv[2], handler=slow)
async def app(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/_stats":
        body = {**receiver.stats, "handled": len(handled), "distinct": len(set(handled))}
        await JSONResponse(body)(scope, receive, send)
        return
    await receiver(scope, receive, send)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off")
"""

BASELINE = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
async def ok(request: Request) -> Response:
    await request.body()
    return Response(b'{"received": 1}', 200, media_type="application/json")
app = Starlette(routes=[Route("/{path:path}", ok, methods=["GET", "POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off")
"""


@contextmanager
def server(script: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", script, str(port), SECRET])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx2.get(url + "/", timeout=1)
                break
            except httpx2.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def bodies(n: int, pixel: str = "px_bench") -> list[tuple[bytes, dict[str, str]]]:
    from audiencelab.webhooks import signature_headers

    out = []
    for i in range(n):
        event = {
            "pixel_id": pixel,
            "event_type": "page_view",
            "event_timestamp": f"2026-12-01T10:{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}Z",
            "ip_address": "192.0.2.1",
            "resolution": {"FIRST_NAME": f"Visitor{i}", "PERSONAL_EMAILS": f"v{i}@example.com"},
        }
        raw = json.dumps([event]).encode()
        out.append((raw, {"content-type": "application/json", **signature_headers(raw, SECRET)}))
    return out


async def send_all(
    url: str, load: list[tuple[bytes, dict[str, str]]], concurrency: int
) -> list[float]:
    latencies: list[float] = []
    statuses: list[int] = []
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in load:
        queue.put_nowait(item)
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(limits=limits, timeout=30, trust_env=False) as client:

        async def worker() -> None:
            while not queue.empty():
                body, headers = queue.get_nowait()
                started = time.perf_counter()
                answer = await client.post(url + "/webhooks/pixel", content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses.append(answer.status_code)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    assert set(statuses) == {200}, f"answers other than 200: {sorted(set(statuses))}"
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    load = bodies(args.events)
    warm_up = bodies(50, "px_warm_up")
    results = {}
    for name, script in (("baseline (bare Starlette 200)", BASELINE), ("receiver", RECEIVER)):
        with server(script) as url:
            asyncio.run(send_all(url, warm_up, args.concurrency))  # not counted
            started = time.perf_counter()
            latencies = asyncio.run(send_all(url, load, args.concurrency))
            elapsed = time.perf_counter() - started
            stats = None
            if name == "receiver":
                deadline = time.monotonic() + 120
                while True:
                    stats = httpx2.get(url + "/_stats").json()
                    done = stats["handled"] >= args.events + len(warm_up)
                    if done or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
        results[name] = latencies
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        print(
            f"{name:<30} {args.events} deliveries in {elapsed:.2f} s: "
            f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
        )
        if stats is not None:
            handled = stats["handled"] - len(warm_up)
            lost = args.events + len(warm_up) - stats["distinct"]
            print(
                f"{'':<30} events handed on: {handled} of {args.events}, duplicates: "
                f"{stats['duplicates']}, lost: {lost}"
            )
    base, rec = results["baseline (bare Starlette 200)"], results["receiver"]
    print(
        f"ratio receiver / baseline: p50 {percentile(rec, 50) / percentile(base, 50):.2f}x, "
        f"p99 {percentile(rec, 99) / percentile(base, 99):.2f}x, "
        f"mean {statistics.mean(rec) / statistics.mean(base):.2f}x "
        f"(the handler takes 20 ms per event; {args.events} events would take "
        f"{args.events * 0.02:.0f} s if the answer waited for it)"
    )


if __name__ == "__main__":
    main()
