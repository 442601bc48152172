"""A plain HTTP server on 127.0.0.1 that records what it is sent and answers from a script.

It is not the sandbox: it sends no hint headers and knows nothing of filters, so what a test sees
refused or warned about is the SDK's own doing. A route may hang (until the server stops, or at
most ``HANG_SECONDS``), answer garbage, or answer JSON.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

HANG_SECONDS = 30.0
Answer = tuple[int, dict[str, str], bytes] | None  # None: hang


@dataclass
class Seen:
    method: str
    path: str
    body: Any


@dataclass
class PlainServer:
    url: str
    seen: list[Seen] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def paths(self, method: str | None = None) -> list[str]:
        return [s.path for s in self.seen if method is None or s.method == method]


def json_answer(body: Any, status: int = 200) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def attribute_answer(name: str, values: list[Any]) -> Answer:
    return json_answer({"attributes": {name: {"count": len(values), "data": values}}})


def garbled_gzip() -> Answer:
    """A body that says it is gzip and is not (httpx raises DecodingError reading it)."""
    return 200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"not gzip"


def deeply_nested(depth: int = 100_000) -> Answer:
    return 200, {"Content-Type": "application/json"}, b"[" * depth + b"]" * depth


def gzipped(body: Any) -> Answer:
    data = gzip.compress(json.dumps(body).encode())
    return 200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, data


@contextmanager
def plain_server(route: Callable[[str, str, Any], Answer]) -> Iterator[PlainServer]:
    """Serve ``route(method, path, json_body)`` until the block ends."""
    ref: list[PlainServer] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            server = ref[0]
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            server.seen.append(Seen(self.command, self.path, body))
            answer = route(self.command, self.path, body)
            if answer is None:  # hang: no answer at all
                server.stop.wait(HANG_SECONDS)
                self.close_connection = True
                return
            status, headers, content = answer
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_DELETE = _any

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    ref.append(PlainServer(f"http://127.0.0.1:{httpd.server_address[1]}"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield ref[0]
    finally:
        ref[0].stop.set()
        httpd.shutdown()
        httpd.server_close()
