"""The CLI hides the key in everything it prints, even when a server echoes it back.

A loopback server that quotes the ``X-Api-Key`` it received in its error messages (some proxies
and gateways do): the key then reaches the SDK's error messages and log records, and the CLI's
masking is what stands between it and the terminal.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from .helpers import CLI, KEY

HIDDEN = "[API key hidden]"


class _Echoing(http.server.BaseHTTPRequestHandler):
    """GETs answer 401, POSTs 500 (the server may have acted), each quoting the key it got."""

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        key = self.headers.get("x-api-key", "")
        status = 500 if self.command == "POST" else 401
        body = json.dumps({"error": {"code": "X", "message": f"key {key} refused"}}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture
def echoing() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echoing)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.slow
def test_an_error_message_quoting_the_key_is_printed_masked(echoing: str) -> None:
    run = CLI(echoing)("audiences", "list")  # the runner fails the test if the key is printed
    assert run.code != 0
    assert f"key {HIDDEN} refused" in run.stderr


@pytest.mark.slow
def test_a_log_record_quoting_the_key_is_printed_masked(echoing: str) -> None:
    # --verbose shows the SDK's own records, among them the unknown-outcome warning (which
    # quotes the server's message).
    run = CLI(echoing)("--verbose", "audiences", "create", "--name", "n", "--city", "Austin")
    assert run.code != 0
    logged = [line for line in run.stderr.splitlines() if line.startswith("warning [audiencelab]")]
    assert logged
    assert all(HIDDEN in line for line in logged)


@pytest.mark.slow
def test_the_key_given_as_an_option_is_masked_too(echoing: str) -> None:
    run = CLI(echoing, key=None)("--api-key", KEY, "audiences", "list")
    assert f"key {HIDDEN} refused" in run.stderr
