"""Shared by the sandbox benchmarks: ``python -m audiencelab.sandbox`` in its own process, on
127.0.0.1 only, with its process id (for RSS, and for ``kill -9``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def start(*flags: str, port: int | None = None) -> SandboxProcess:
    """Start ``python -m audiencelab.sandbox`` with ``flags`` and wait until it answers."""
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
def running(*flags: str) -> Iterator[SandboxProcess]:
    server = start(*flags)
    try:
        yield server
    finally:
        server.stop()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
