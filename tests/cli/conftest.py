"""Fixtures of the command-line tests: real sandboxes, and a server that always fails."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from audiencelab.sandbox import Sandbox, SandboxConfig

from .helpers import CLI, KEY


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A real sandbox server; audiences build instantly and hold at most 1,500 people."""
    db = tmp_path_factory.mktemp("cli-sandbox") / "sandbox.db"
    config = SandboxConfig(
        port=0, db=str(db), api_keys=(KEY,), build_seconds=0, max_audience_size=1500
    )
    with Sandbox(config) as sb:
        yield sb


@pytest.fixture(scope="session")
def slow_sandbox() -> Iterator[Sandbox]:
    """A sandbox whose audiences and jobs take an hour to build."""
    config = SandboxConfig(port=0, api_keys=(KEY,), build_seconds=3600)
    with Sandbox(config) as sb:
        yield sb


@pytest.fixture
def cli(sandbox: Sandbox) -> CLI:
    return CLI(sandbox.base_url)


@pytest.fixture
def slow_cli(slow_sandbox: Sandbox) -> CLI:
    return CLI(slow_sandbox.base_url)


class _Failing(http.server.BaseHTTPRequestHandler):
    """Answers every request with a 500, after reading it: the server may have acted on it."""

    def _fail(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        body = b'{"error": {"code": "INTERNAL_ERROR", "message": "upstream failed"}}'
        self.send_response(500)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _fail

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def failing_url() -> Iterator[str]:
    """A server on 127.0.0.1 that answers every request with HTTP 500."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def unused_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
