"""The key never leaves the API's origin: not on a redirect, whatever httpx client is given.

Two real HTTP servers on loopback: "the API" (one port) answers with redirects, "elsewhere"
(another port, another origin) records the headers it receives and answers.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from audiencelab import AsyncAudienceLab, AudienceLab, EnrichmentJob

KEY = "sk_test_redirect_3c1e0f"


@dataclass
class Server:
    url: str
    seen: list[dict[str, str]] = field(default_factory=list)


def _serve(answer: object) -> Iterator[Server]:
    server_ref: list[Server] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            server_ref[0].seen.append({k.lower(): v for k, v in self.headers.items()})
            status, headers, body = answer(self.path)  # type: ignore[operator]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _any

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_ref.append(Server(f"http://127.0.0.1:{httpd.server_address[1]}"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_ref[0]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    page = {"data": [], "total_records": 0, "page": 1, "total_pages": 0}
    yield from _serve(
        lambda path: (
            200,
            {"Content-Type": "application/json"},
            b"EMAIL\na@b.c\n" if path.endswith(".csv") else json.dumps(page).encode(),
        )
    )


@pytest.fixture
def api(elsewhere: Server) -> Iterator[Server]:
    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/same/"):  # a redirect within the API's origin keeps the key
            return 200, {"Content-Type": "application/json"}, b'{"data": [], "total_records": 0}'
        if path.startswith("/audiences?"):
            return 307, {"Location": "/same/audiences?page=1"}, b""
        return 307, {"Location": elsewhere.url + path}, b""

    yield from _serve(answer)


def _keys(server: Server) -> list[str | None]:
    return [headers.get("x-api-key") for headers in server.seen]


@pytest.mark.parametrize("follow", [True, False])
def test_an_api_call_redirected_elsewhere_does_not_carry_the_key(
    api: Server, elsewhere: Server, follow: bool
) -> None:
    http = httpx.Client(follow_redirects=follow)
    with AudienceLab(api_key=KEY, base_url=api.url, http_client=http) as client:
        client.audiences.get("a-1")  # the API redirects it to the other origin
    http.close()
    assert _keys(api) == [KEY]
    assert _keys(elsewhere) == [None]  # followed, without the key


def test_a_redirect_within_the_api_keeps_the_key(api: Server, elsewhere: Server) -> None:
    with AudienceLab(api_key=KEY, base_url=api.url) as client:
        assert client.audiences.list(page=1).data == []
    assert _keys(api) == [KEY, KEY]
    assert elsewhere.seen == []


def test_a_download_redirected_elsewhere_does_not_carry_the_key(
    api: Server, elsewhere: Server, tmp_path: Path
) -> None:
    job = EnrichmentJob(id="j", status="COMPLETED", csv_url=api.url + "/files/r.csv")
    with AudienceLab(
        api_key=KEY, base_url=api.url, http_client=httpx.Client(follow_redirects=True)
    ) as client:
        client.enrichment.download(job, tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes() == b"EMAIL\na@b.c\n"
    assert _keys(api) == [KEY]  # the result URL is on the API's origin: the key goes there
    assert _keys(elsewhere) == [None]


@pytest.mark.anyio
async def test_the_async_client_does_the_same(api: Server, elsewhere: Server) -> None:
    http = httpx.AsyncClient(follow_redirects=True)
    async with AsyncAudienceLab(api_key=KEY, base_url=api.url, http_client=http) as client:
        await client.audiences.get("a-1")
    await http.aclose()
    assert _keys(api) == [KEY]
    assert _keys(elsewhere) == [None]


def test_a_result_url_elsewhere_never_gets_the_key(elsewhere: Server, tmp_path: Path) -> None:
    job = EnrichmentJob(id="j", status="COMPLETED", csv_url=elsewhere.url + "/r.csv")
    with AudienceLab(api_key=KEY, base_url="http://localhost:9") as client:
        client.enrichment.download(job, tmp_path / "r.csv")
    assert _keys(elsewhere) == [None]
