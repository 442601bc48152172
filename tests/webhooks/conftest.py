"""Real servers on loopback for the webhook tests: a sandbox, and receivers run by uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
import uvicorn

from audiencelab.sandbox import Sandbox, SandboxConfig


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run an ASGI app on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        assert time.monotonic() < deadline, "the server did not start in time"
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(port=0, build_seconds=0, webhook_backoff=0.05, webhook_timeout=2)
    with Sandbox(config) as sb:
        yield sb


def make_pixel(sb: Sandbox, webhook_url: str | None, version: str = "v3") -> str:
    with sb.client() as client:
        body: dict[str, Any] = {"websiteName": "shop", "websiteUrl": "https://shop.example"}
        if webhook_url is not None:
            body["webhookUrl"] = webhook_url
        body["version"] = version
        answer = client.post("/pixels", json=body)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["pixel_id"])


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    """Poll ``predicate`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def deliveries(sb: Sandbox, pixel_id: str) -> list[dict[str, Any]]:
    with sb.client() as client:
        answer = client.get("/_sandbox/deliveries", params={"pixel_id": pixel_id})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["deliveries"])


def finished(sb: Sandbox, pixel_id: str, n: int) -> list[dict[str, Any]] | None:
    log = deliveries(sb, pixel_id)
    done = [d for d in log if d["state"] != "pending"]
    return log if len(log) >= n and len(done) == len(log) else None


__all__ = ["deliveries", "finished", "httpx2", "make_pixel", "serving", "wait_for"]
