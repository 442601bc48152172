"""A create whose answer is lost: the tool says the outcome is unknown, points at list_audiences,
and the request is sent exactly once (a read, by contrast, is retried)."""

from __future__ import annotations

import os
import socket
import socketserver
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import KEY, error_of, stdio_server, text_of

pytestmark = pytest.mark.anyio


PREVIEW = b'{"count": 1234, "result": [], "field_coverage": {}}'


class _Dropper(socketserver.StreamRequestHandler):
    """Reads a whole request, counts it, and closes the connection without answering: the
    server may have acted on it, and the client cannot know. Previews (which a create sends
    first) are answered."""

    seen: Counter[str]

    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1").strip()
        length = 0
        while True:
            line = self.rfile.readline().decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        self.rfile.read(length)
        method, path = request_line.split(" ")[:2]
        self.seen[f"{method} {path.split('?')[0]}"] += 1
        if path == "/audiences/preview":
            head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(PREVIEW)}\r\n"
            self.wfile.write(head.encode() + b"connection: close\r\n\r\n" + PREVIEW)
            self.wfile.flush()
            return
        self.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def dropping_url() -> Iterator[tuple[str, Counter[str]]]:
    seen: Counter[str] = Counter()
    handler = type("Handler", (_Dropper,), {"seen": seen})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.mark.slow
async def test_a_create_with_a_lost_answer_is_never_repeated_and_says_to_list_first(
    tmp_path: Path, dropping_url: tuple[str, Counter[str]]
) -> None:
    url, seen = dropping_url
    env = {"AUDIENCELAB_API_KEY": KEY, "AUDIENCELAB_CACHE_DIR": os.environ["AUDIENCELAB_CACHE_DIR"]}
    async with stdio_server(tmp_path, "--base-url", url, env=env) as server:
        lost = await server.call(
            "create_audience", {"name": "NYC engineers", "filters": {"city": ["New York"]}}
        )
        read = await server.call("list_audiences")
        log = server.log()

    assert lost.is_error
    data = error_of(lost)
    assert data is not None
    assert data["error"] == "outcome_unknown"
    assert data["outcome_unknown"] is True
    assert data["next_step"] == "list_audiences"
    text = text_of(lost)
    assert text.startswith("Outcome unknown:")
    assert "may or may not have taken effect" in text
    assert "Call the list_audiences tool to see whether an audience named 'NYC engineers'" in text
    assert seen["POST /audiences"] == 1  # never repeated

    # A read is safe to repeat, and is repeated: so the single POST above is a decision.
    assert read.is_error
    assert seen["GET /audiences"] > 1
    assert error_of(read)["error"] == "connection"
    assert "Traceback" not in log
