"""Shared by the sandbox benchmarks: ``python -m audiencelab.sandbox`` in its own process, on
127.0.0.1 only, with its process id (for RSS, and for ``kill -9``)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import httpx2

API_KEY = "sk_test_bench"


@dataclass
class SandboxProcess:
    proc: subprocess.Popen[bytes]
    base_url: str
    api_key: str = API_KEY

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float:
        """Resident memory of the server process (Linux /proc), in MB."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        """CPU time the server process has used (Linux /proc: user + system)."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """``kill -9``: no shutdown, no flush, no goodbye."""
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    *flags: str, port: int | None = None, env: dict[str, str] | None = None
) -> SandboxProcess:
    """Start ``python -m audiencelab.sandbox`` with ``flags`` and wait until it answers (``env``:
    that of another checkout, from :func:`source_tree`)."""
    port = port or free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "audiencelab.sandbox",
            "--port",
            str(port),
            "--api-key",
            API_KEY,
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    server = SandboxProcess(proc, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx2.get(server.base_url + "/healthz", timeout=1).raise_for_status()
            return server
        except httpx2.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                server.stop()
                raise RuntimeError("the sandbox did not start") from None
            time.sleep(0.05)


@contextmanager
def running(*flags: str, env: dict[str, str] | None = None) -> Iterator[SandboxProcess]:
    server = start(*flags, env=env)
    try:
        yield server
    finally:
        server.stop()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# ---------------------------------------------------------------------------------------------
# A lean HTTP/1.1 client, so that the server, not the client, is what is measured


class RawConnection:
    """One kept-alive HTTP/1.1 connection over asyncio streams: a request is a few writes and
    reads, no parsing beyond the status line and ``Content-Length`` (the sandbox always sends
    it for these endpoints). About a twentieth of httpx's cost per request, so 100 of them in
    one process load the server, not the client."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, key: str):
        self.reader, self.writer, self.key = reader, writer, key

    @classmethod
    async def open(cls, base_url: str, key: str) -> RawConnection:
        host, port = base_url.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer, key)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: sandbox\r\nX-Api-Key: {self.key}\r\n"
            f"Content-Length: {len(body)}\r\n"
            + ("Content-Type: application/json\r\n" if body else "")
            + "\r\n"
        )
        self.writer.write(head.encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        at = raw.lower().find(b"content-length:")
        if at < 0:
            raise RuntimeError(f"no Content-Length in {raw[:200]!r}")
        length = int(raw[at + 15 : raw.index(b"\r\n", at)])
        return int(raw[9:12]), await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        with suppress(OSError):
            await self.writer.wait_closed()


@contextmanager
def source_tree(src: str | None) -> Iterator[dict[str, str]]:
    """The environment that runs the sandbox of another checkout (``src``: the folder that holds
    its ``audiencelab`` package), e.g. ``/path/to/main/src`` for the baseline of a run."""
    env = dict(os.environ)
    if src is not None:
        if not os.path.isdir(os.path.join(src, "audiencelab", "sandbox")):
            raise SystemExit(f"{src} has no audiencelab/sandbox package")
        env["PYTHONPATH"] = src
    yield env
