"""Shared by the benchmarks: a sandbox server in its own process, on 127.0.0.1 only."""

from __future__ import annotations

import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

API_KEY = "sk_test_bench"


@dataclass(frozen=True)
class Server:
    base_url: str
    api_key: str = API_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox_process(**options: object) -> Iterator[Server]:
    """A sandbox in a separate process, so that it does not share the client's interpreter."""
    port = free_port()
    settings = {"port": port, "build_seconds": 0, "api_keys": (API_KEY,), **options}
    code = (
        "from audiencelab.sandbox import SandboxConfig, serve\n"
        f"serve(SandboxConfig(**{settings!r}), announce=lambda banner: None)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx2.get(base_url + "/openapi.json", timeout=1).raise_for_status()
                break
            except httpx2.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.05)
        yield Server(base_url)
    finally:
        proc.terminate()
        proc.wait(10)


def create_audience(server: Server, filters: dict[str, object]) -> tuple[str, int]:
    """Create an audience with plain httpx2; return its id and size."""
    headers = {"X-Api-Key": server.api_key}
    with httpx2.Client(base_url=server.base_url, headers=headers, timeout=60) as http:
        audience_id = http.post("/audiences", json={"name": "bench", "filters": filters}).json()[
            "audienceId"
        ]
        first = http.get(f"/audiences/{audience_id}", params={"page": 1, "page_size": 1}).json()
    return audience_id, int(first["total_records"])


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def csv_page_loop(server: Server, audience_id: str, path: Path) -> int:
    """What users hand-roll today: one page after another, rows into a CSV writer."""
    rows = 0
    headers = {"X-Api-Key": server.api_key}
    with (
        httpx2.Client(base_url=server.base_url, headers=headers, timeout=60) as http,
        path.open("w", newline="", encoding="utf-8") as f,
    ):
        writer: csv.DictWriter[str] | None = None
        page = 1
        while True:
            body = http.get(
                f"/audiences/{audience_id}", params={"page": page, "page_size": 1000}
            ).json()
            data = body.get("data") or []
            if not data:
                break
            if writer is None:
                writer = csv.DictWriter(f, fieldnames=list(data[0]))
                writer.writeheader()
            writer.writerows(data)
            rows += len(data)
            if page >= body["total_pages"]:
                break
            page += 1
    return rows


def json_from_child(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (its peak memory is its own) and read the JSON object
    it prints."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out))
