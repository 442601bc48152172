"""Fixtures for the sandbox tests: an in-process app with a controllable clock, a real server in
a background thread, and a real ``audiencelab sandbox serve`` subprocess."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

from audiencelab.sandbox import Sandbox, SandboxApp, SandboxConfig, create_app

KEY = "sk_test_alpha"
OTHER_KEY = "sk_test_beta"


class Clock:
    """A wall clock the tests move by hand (audience builds, enrichment jobs)."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Iterator[SandboxApp]:
    sandbox_app = create_app(
        SandboxConfig(api_keys=(KEY, OTHER_KEY), build_seconds=5, max_audience_size=10_000),
        clock=clock,
    )
    yield sandbox_app
    sandbox_app.close()


def make_client(app: SandboxApp, key: str | None = KEY) -> httpx.AsyncClient:
    """An in-process client: requests go straight into the ASGI app, no socket."""
    headers = {"X-Api-Key": key} if key else {}
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://sandbox.test", headers=headers)


@pytest.fixture
async def client(app: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as c:
        yield c


@pytest.fixture
async def other(app: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app, OTHER_KEY) as c:
        yield c


@pytest.fixture(scope="module")
def live() -> Iterator[Sandbox]:
    """A real uvicorn server on 127.0.0.1 in a background thread (audiences build instantly)."""
    with Sandbox(SandboxConfig(port=0, build_seconds=0, api_keys=(KEY, OTHER_KEY))) as sb:
        yield sb


# ---------------------------------------------------------------------------------------------
# The real command line, as a subprocess


def audiencelab_command() -> list[str]:
    """The ``audiencelab`` console script of this interpreter's environment."""
    script = shutil.which("audiencelab", path=str(Path(sys.executable).parent))
    if script is None:
        raise AssertionError(
            "the audiencelab console script is not installed next to "
            f"{sys.executable}; install the project (pip install -e '.[dev]')"
        )
    return [script]


@dataclass
class ServerProcess:
    proc: subprocess.Popen[str]
    base_url: str
    banner: list[str] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"the sandbox did not stop within {timeout} s: {err}") from None
        return self.proc.returncode, out, err


def start_server(*args: str, timeout: float = 30) -> ServerProcess:
    """Run ``audiencelab sandbox serve --port 0 ...`` and wait for the URL it prints."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [*audiencelab_command(), "sandbox", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    banner: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            _out, err = proc.communicate(timeout=5)
            raise AssertionError(f"the sandbox exited early ({proc.returncode}): {err}")
        banner.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner[0])
            assert match, banner
            return ServerProcess(proc, match.group(1), banner)
    proc.kill()
    raise AssertionError("the sandbox did not print its URL in time")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = start_server(
        "--db", str(tmp_path / "sandbox.db"), "--api-key", KEY, "--api-key", OTHER_KEY,
        "--build-seconds", "0",
    )  # fmt: skip
    try:
        yield srv
    finally:
        if srv.proc.poll() is None:
            srv.stop()
