"""The key never leaves the API's origin: not on a redirect, whatever httpx2 client is given.

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

import httpx2
import pytest

from audiencelab import APIStatusError, AsyncAudienceLab, AudienceLab, EnrichmentJob

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
@pytest.mark.slow
def test_an_api_call_redirected_elsewhere_does_not_carry_the_key(
    api: Server, elsewhere: Server, follow: bool
) -> None:
    http = httpx2.Client(follow_redirects=follow)
    with AudienceLab(api_key=KEY, base_url=api.url, http_client=http) as client:
        client.audiences.get("a-1")  # the API redirects it to the other origin
    http.close()
    assert _keys(api) == [KEY]
    assert _keys(elsewhere) == [None]  # followed, without the key


@pytest.mark.slow
def test_a_redirect_within_the_api_keeps_the_key(api: Server, elsewhere: Server) -> None:
    with AudienceLab(api_key=KEY, base_url=api.url) as client:
        assert client.audiences.list(page=1).data == []
    assert _keys(api) == [KEY, KEY]
    assert elsewhere.seen == []


@pytest.mark.slow
def test_a_download_redirected_elsewhere_does_not_carry_the_key(
    api: Server, elsewhere: Server, tmp_path: Path
) -> None:
    job = EnrichmentJob(id="j", status="COMPLETED", csv_url=api.url + "/files/r.csv")
    with AudienceLab(
        api_key=KEY, base_url=api.url, http_client=httpx2.Client(follow_redirects=True)
    ) as client:
        client.enrichment.download(job, tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes() == b"EMAIL\na@b.c\n"
    assert _keys(api) == [KEY]  # the result URL is on the API's origin: the key goes there
    assert _keys(elsewhere) == [None]


@pytest.mark.anyio
@pytest.mark.slow
async def test_the_async_client_does_the_same(api: Server, elsewhere: Server) -> None:
    http = httpx2.AsyncClient(follow_redirects=True)
    async with AsyncAudienceLab(api_key=KEY, base_url=api.url, http_client=http) as client:
        await client.audiences.get("a-1")
    await http.aclose()
    assert _keys(api) == [KEY]
    assert _keys(elsewhere) == [None]


@pytest.mark.slow
def test_a_result_url_elsewhere_never_gets_the_key(elsewhere: Server, tmp_path: Path) -> None:
    job = EnrichmentJob(id="j", status="COMPLETED", csv_url=elsewhere.url + "/r.csv")
    with AudienceLab(api_key=KEY, base_url="http://localhost:9") as client:
        client.enrichment.download(job, tmp_path / "r.csv")
    assert _keys(elsewhere) == [None]


# --- the redirect rules themselves (issue 23: mutants of _sansio.py) ----------------------------


@dataclass
class Seen:
    method: str
    path: str
    body: bytes


def _recording(answer: object) -> Iterator[tuple[str, list[Seen]]]:
    """A server that records method, path and body of every request, and answers ``answer``."""
    seen: list[Seen] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            seen.append(Seen(self.command, self.path, self.rfile.read(length) if length else b""))
            status, headers, body = answer(self.command, self.path, len(seen))  # type: ignore[operator]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _any

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


GIVE_UP_AFTER = 50  # the server stops the loop itself, so that a client without a limit ends too


@pytest.fixture
def looping() -> Iterator[tuple[str, list[Seen]]]:
    def answer(method: str, path: str, count: int) -> tuple[int, dict[str, str], bytes]:
        if count > GIVE_UP_AFTER:
            return 200, {"Content-Type": "application/json"}, b'{"data": [], "total_records": 0}'
        return 307, {"Location": path}, b""

    yield from _recording(answer)


@pytest.mark.slow
def test_a_redirect_loop_ends_after_ten_redirects(looping: tuple[str, list[Seen]]) -> None:
    url, seen = looping
    with (
        AudienceLab(api_key=KEY, base_url=url) as client,
        pytest.raises(APIStatusError, match="more than 10 redirects") as info,
    ):
        client.audiences.get("a-1")
    assert len(seen) == 11  # the request, then 10 redirects followed
    assert info.value.status_code == 307
    assert not info.value.outcome_unknown


@pytest.mark.anyio
@pytest.mark.slow
async def test_the_async_client_ends_a_loop_too(looping: tuple[str, list[Seen]]) -> None:
    url, seen = looping
    async with AsyncAudienceLab(api_key=KEY, base_url=url) as client:
        with pytest.raises(APIStatusError, match="more than 10 redirects") as info:
            await client.audiences.create(name="n", filters={"city": "Austin"})
    assert len(seen) == 11
    assert info.value.outcome_unknown  # a create redirected away may have been made


@pytest.fixture
def moved() -> Iterator[tuple[str, list[Seen]]]:
    """``/moved/<status>/audiences`` answers a redirect of that status to ``/target``, which
    answers a created audience."""

    def answer(method: str, path: str, count: int) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/moved/"):
            return int(path.split("/")[2]), {"Location": "/target"}, b""
        return 200, {"Content-Type": "application/json"}, b'{"audienceId": "a-1"}'

    yield from _recording(answer)


@pytest.mark.parametrize(
    ("status", "method_after"),
    [(301, "GET"), (302, "GET"), (303, "GET"), (307, "POST"), (308, "POST")],
)
@pytest.mark.slow
def test_a_post_redirected_becomes_a_get_only_where_browsers_do_so(
    moved: tuple[str, list[Seen]], status: int, method_after: str
) -> None:
    url, seen = moved
    with AudienceLab(api_key=KEY, base_url=f"{url}/moved/{status}") as client:
        client.audiences.create(name="n", filters={"city": "Austin"})
    first, then = seen
    assert (first.method, first.path) == ("POST", f"/moved/{status}/audiences")
    assert first.body
    assert (then.method, then.path) == (method_after, "/target")
    assert then.body == (first.body if method_after == "POST" else b"")
