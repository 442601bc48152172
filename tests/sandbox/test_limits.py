"""Issue 23, the sandbox's part: each limit and check that a one-line mutant could remove unseen
(the body size limits, the per-field item limit, the result-file token's job binding, the fault
injector's read-only POSTs), reproduced over a real server on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from audiencelab.sandbox import Sandbox, SandboxConfig
from audiencelab.sandbox._faults import is_write
from audiencelab.sandbox._fields import MAX_JOB_RECORDS
from audiencelab.sandbox._routes import MAX_BODY_BYTES

from .conftest import KEY, Clock


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(port=0, build_seconds=0, api_keys=(KEY,))) as sb:
        yield sb


def read_response(sock: socket.socket, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response from a raw socket: status, headers (lowercase names), body."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body[:length]


def head_of(path: str, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"X-Api-Key: {KEY}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# ---------------------------------------------------------------------------------------------
# Body size: by Content-Length before anything is read, and by the bytes actually read


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    server: Sandbox,
) -> None:
    """Only the headers are sent: the 413 comes at once, not after the body deadline."""
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        declared = f"Content-Length: {MAX_BODY_BYTES + 1}"
        sock.sendall(head_of("/enrichments", "Content-Type: application/json", declared))
        t0 = time.monotonic()
        status, headers, body = read_response(sock, timeout=5)
    assert status == 413
    assert headers["x-request-id"]
    assert json.loads(body)["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert time.monotonic() - t0 < 3


def test_a_chunked_body_over_the_limit_is_refused_by_the_bytes_read(server: Sandbox) -> None:
    """No Content-Length to go by: the sandbox counts what arrives (a body of valid JSON that
    would otherwise be read whole and answered 400 for its missing fields)."""
    chunk = b" " * (1024 * 1024)
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(head_of("/enrichments", "Transfer-Encoding: chunked"))

    def send_body() -> None:
        try:
            for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"2\r\n{}\r\n0\r\n\r\n")
        except OSError:  # the server answered and closed: expected
            pass

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    try:
        status, _headers, body = read_response(sock, timeout=60)
    finally:
        sock.close()
        sender.join(10)
    assert status == 413
    assert json.loads(body)["error"]["message"] == f"body: larger than {MAX_BODY_BYTES} bytes"


# ---------------------------------------------------------------------------------------------
# The per-field item limit of an array of objects


def test_an_enrichment_job_holds_at_most_the_documented_records(server: Sandbox) -> None:
    record = '{"email":"a@example.com"}'
    over = f'{{"name":"j","records":[{",".join([record] * (MAX_JOB_RECORDS + 1))}]}}'
    with server.client(timeout=60) as client:
        r = client.post("/enrichments", content=over.encode())
        assert r.status_code == 400, r.text[:200]
        assert r.json()["error"]["message"] == f"records: at most {MAX_JOB_RECORDS} records per job"
        at_limit = over.replace(record + ",", "", 1)
        assert client.post("/enrichments", content=at_limit.encode()).status_code == 202


# ---------------------------------------------------------------------------------------------
# A result file's token opens that job's file only


def test_a_token_of_one_job_does_not_open_another_jobs_file() -> None:
    """Two jobs of the same tenant, listed in the same second: same expiry, different tokens."""
    clock = Clock()
    config = SandboxConfig(port=0, build_seconds=0, api_keys=(KEY,))
    job = {"name": "j", "records": [{"email": "someone@example.com"}]}
    with Sandbox(config, clock=clock) as sb, sb.client(timeout=10) as client:
        first = client.post("/enrichments", json=job).json()["jobId"]
        second = client.post("/enrichments", json=job).json()["jobId"]
        urls = {j["id"]: j["csv_url"] for j in client.get("/enrichments").json()["data"]}
        assert httpx.get(urls[first]).status_code == 200
        assert httpx.get(urls[second]).status_code == 200
        token_of_first = urls[first].split("?", 1)[1]
        forged = urls[second].split("?", 1)[0] + "?" + token_of_first
        answer = httpx.get(forged)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "NOT_FOUND"


# ---------------------------------------------------------------------------------------------
# The fault injector: which requests are writes


@pytest.mark.parametrize(
    ("method", "path", "write"),
    [
        ("POST", "/enrich", False),
        ("POST", "/enrich/", False),
        ("POST", "/audiences/preview", False),
        ("POST", "/audiences/preview/", False),
        ("POST", "/audiences", True),
        ("POST", "/enrichments", True),
        ("DELETE", "/audiences/x", True),
        ("GET", "/audiences", False),
    ],
)
def test_read_only_posts_are_not_writes_with_or_without_a_trailing_slash(
    method: str, path: str, write: bool
) -> None:
    # (a trailing slash is a 404 today, but the fault layer must not depend on the routes)
    assert is_write(method, path) is write


def test_lookups_are_never_failed_after_commit_on_a_real_server() -> None:
    config = SandboxConfig(port=0, build_seconds=0, api_keys=(KEY,), fail_after_commit_rate=1.0)
    with Sandbox(config) as sb, sb.client(timeout=10) as client:
        for _ in range(5):
            found = client.post("/enrich", json={"filter": {"email": "a@example.com"}})
            assert found.status_code == 200, found.text
            preview = client.post("/audiences/preview", json={"days_back": 3})
            assert preview.status_code == 200, preview.text


# ---------------------------------------------------------------------------------------------
# A malformed request is one 400 and one line of log, never an ASGI traceback

MALFORMED_HEADS = [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n",  # answered without reading the body
    b"POST /audiences HTTP/1.1\r\nHost: x\r\n",  # no key: a 401 without reading the body
    b"GET /audiences HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + KEY.encode() + b"\r\n",
    b"POST /audiences HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + KEY.encode() + b"\r\n",
]


@pytest.mark.slow
def test_content_length_with_chunked_and_a_plain_body_is_one_400_and_one_log_line(
    tmp_path: Path,
) -> None:
    from .conftest import start_server

    server = start_server("--db", str(tmp_path / "s.db"), "--api-key", KEY)
    try:
        port = int(server.base_url.rsplit(":", 1)[1])
        body = b'{"name":"x","filters":{}}\r\n'
        for head in MALFORMED_HEADS * 4:
            with socket.create_connection(("127.0.0.1", port)) as sock:
                framing = b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(body)
                sock.sendall(head + framing + body)  # one packet: the app starts meanwhile
                status, headers, answer = read_response(sock)
                assert status == 400
                assert json.loads(answer)["error"]["code"] == "BAD_REQUEST"
                assert headers["x-request-id"]
        with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}) as client:
            assert client.get("/audiences").json()["total_records"] == 0  # nothing stored
            assert client.get("/healthz").status_code == 200  # and the server is fine
    finally:
        code, _out, err = server.stop()
    assert code == 0
    assert "Traceback" not in err
    assert "LocalProtocolError" not in err
    assert "Exception in ASGI application" not in err
    warnings = [line for line in err.splitlines() if "Invalid HTTP request" in line]
    assert len(warnings) == len(MALFORMED_HEADS) * 4, err


# ---------------------------------------------------------------------------------------------
# Issue 23, defect 7: request bodies in flight are bounded


def _job_body(megabytes: int) -> bytes:
    """A valid POST /enrichments body of about ``megabytes`` MB (~135 bytes a record)."""
    record = (
        '{"email":"someone.%06d@example.com","first_name":"Firstname","last_name":"Lastname",'
        '"phone":"+14155550100","company":"Example Co"}'
    )
    n = megabytes * 1024 * 1024 // (len(record) + 1)
    return f'{{"name":"big","records":[{",".join(record % i for i in range(n))}]}}'.encode()


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_concurrent_large_bodies_are_parsed_a_few_at_a_time(tmp_path: Path) -> None:
    """16 uploads of 8 MB at once, with a 16 MiB budget (two at a time): the server's memory
    grows by about two bodies' parsing, not sixteen, another key's reads go on meanwhile, and a
    body that waits too long is a 503 with Retry-After that saves nothing."""
    import subprocess
    import sys

    from .conftest import OTHER_KEY

    port = _free_port()
    settings = {
        "port": port,
        "api_keys": (KEY, OTHER_KEY),
        "build_seconds": 0,
        "db": str(tmp_path / "s.db"),
        "body_budget_bytes": 16 * 1024 * 1024,
    }
    code = (
        "from audiencelab.sandbox import SandboxConfig, serve\n"
        f"serve(SandboxConfig(**{settings!r}), announce=lambda banner: None)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base)
        body = _job_body(8)
        before = _rss_mb(proc.pid)
        peak = [before]
        answers: list[httpx.Response] = []
        reads: list[float] = []
        done = threading.Event()

        def upload() -> None:
            with httpx.Client(base_url=base, headers={"X-Api-Key": KEY}, timeout=120) as c:
                answers.append(c.post("/enrichments", content=body))

        def watch() -> None:
            with httpx.Client(base_url=base, headers={"X-Api-Key": OTHER_KEY}, timeout=60) as c:
                while not done.is_set():
                    peak[0] = max(peak[0], _rss_mb(proc.pid))
                    t0 = time.perf_counter()
                    assert c.get("/enrichments").status_code == 200
                    reads.append(time.perf_counter() - t0)
                    time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        uploads = [threading.Thread(target=upload) for _ in range(16)]
        for t in uploads:
            t.start()
        for t in uploads:
            t.join(300)
        done.set()
        watcher.join(60)
        statuses = sorted(a.status_code for a in answers)
        print(
            f"\n16 x 8 MB: RSS {before:.0f} -> {peak[0]:.0f} MB, answers {statuses}, "
            f"{len(reads)} reads of another key, slowest {max(reads) * 1000:.0f} ms"
        )
        assert len(answers) == 16
        assert set(statuses) <= {202, 503}
        for refused in (a for a in answers if a.status_code == 503):
            assert refused.headers["Retry-After"] == "1"
            assert refused.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        with httpx.Client(base_url=base, headers={"X-Api-Key": KEY}, timeout=60) as c:
            stored = c.get("/enrichments", params={"page_size": 100}).json()["total_records"]
        assert stored == statuses.count(202)  # a 503 saved nothing
        # two 8 MB bodies parsed at once take ~60 MB; sixteen took ~450 MB
        assert peak[0] - before < 200, (before, peak[0])
        assert len(reads) >= 5  # the other key was served all along
    finally:
        proc.terminate()
        proc.wait(30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/healthz", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
