"""Fixtures of the doctor tests: real sandboxes on loopback (threads, or ``audiencelab sandbox
serve`` processes) seeded with one audience, one pixel and one enrichment job, so that every list
the doctor reads has an item to compare."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2

from audiencelab import AudienceLab
from audiencelab.sandbox import Sandbox, SandboxConfig

#: A distinctive key: no report, output or log may ever contain it.
KEY = "sk_test_doctor_distinctive_key_987"


def seed(base_url: str, key: str = KEY) -> str:
    """One audience (built at once), one pixel, one enrichment job; the audience's ID."""
    with AudienceLab(api_key=key, base_url=base_url) as client:
        created = client.audiences.create(name="Austin people", filters={"city": ["Austin"]})
        client.pixels.create("Shop", "https://shop.example.com")
        client.enrichment.create_job("Upload", [{"email": "ann@example.com"}])
    return created.audience_id


@contextmanager
def sandbox(**settings: Any) -> Iterator[Sandbox]:
    """A seeded sandbox server in a background thread, with ``settings`` as its config."""
    config = SandboxConfig(port=0, api_keys=(KEY,), build_seconds=0, **settings)
    with Sandbox(config) as sb:
        seed(sb.base_url)
        yield sb


def request_log(base_url: str, key: str = KEY) -> list[dict[str, Any]]:
    response = httpx2.get(f"{base_url}/_sandbox/requests", headers={"X-Api-Key": key})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


def leaf_values(value: Any) -> Iterator[str]:
    """Every string and number inside a JSON value (keys are names, not values)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaf_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaf_values(item)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)


def served_values(base_url: str, entries: Sequence[dict[str, Any]], key: str = KEY) -> set[str]:
    """The values of every GET in ``entries``, asked again (the sandbox's data is deterministic)."""
    values: set[str] = set()
    with httpx2.Client(base_url=base_url, headers={"X-Api-Key": key}) as client:
        for entry in entries:
            if entry["method"] != "GET":
                continue
            target = entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
            values.update(leaf_values(client.get(target).json()))
    return values


def audiencelab_command() -> list[str]:
    return [sys.executable, "-m", "audiencelab.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess: no AUDIENCELAB_* of the machine, no colours."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AUDIENCELAB_") or k == "AUDIENCELAB_CACHE_DIR"
    }
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        env.pop(name, None)
    return {**env, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **extra}


@dataclass
class Server:
    proc: subprocess.Popen[str]
    base_url: str
    banner: list[str]

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _out, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _out, err = self.proc.communicate()
        return err


@contextmanager
def server_process(*args: str, python_m: bool = False) -> Iterator[Server]:
    """``audiencelab sandbox serve --port 0 ARGS`` (or ``python -m audiencelab.sandbox``), seeded."""
    command = (
        [sys.executable, "-m", "audiencelab.sandbox"]
        if python_m
        else [*audiencelab_command(), "sandbox", "serve"]
    )
    proc = subprocess.Popen(
        [*command, "--port", "0", "--api-key", KEY, "--build-seconds", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert proc.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"the sandbox exited early: {proc.communicate()[1]}")
            banner.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner[0])
        assert match, banner
        server = Server(proc, match.group(1), banner)
        seed(server.base_url)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The real ``audiencelab`` command in a subprocess; its output never holds the key."""
    done = subprocess.run(
        [*audiencelab_command(), *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=timeout,
        check=False,
    )
    assert KEY not in done.stdout + done.stderr
    return done


def load(path: Any) -> dict[str, Any]:
    with open(path, encoding="utf-8") as file:
        document: dict[str, Any] = json.load(file)
    return document
