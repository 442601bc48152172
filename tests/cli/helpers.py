"""Helpers of the command-line tests: a runner that checks every output for the API key, real
subprocesses of the ``audiencelab`` command, and small shortcuts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from audiencelab.cli import app

#: A distinctive key: no output, log or error may ever contain it.
KEY = "sk_test_distinctive_cli_key_123"
WRONG_KEY = "sk_test_wrong_cli_key_456"
SECRETS = (KEY, WRONG_KEY)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def assert_no_secret(*texts: str | bytes) -> None:
    for text in texts:
        data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for secret in SECRETS:
            assert secret not in data, f"the API key leaked into the output: {data!r}"


@dataclass
class Run:
    """What one command printed, and how it ended."""

    code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes = b""

    def json(self) -> object:
        return json.loads(self.stdout)


class CLI:
    """Runs ``audiencelab`` in-process (Typer's runner), against one server and key."""

    def __init__(self, base_url: str | None = None, key: str | None = KEY) -> None:
        self.base_url = base_url
        self.key = key
        self.runner = CliRunner()

    def env(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
        env: dict[str, str | None] = {
            "AUDIENCELAB_API_KEY": self.key,
            "AUDIENCELAB_BASE_URL": self.base_url,
            "AUDIENCELAB_SANDBOX": None,
            "NO_COLOR": "1",
            # Tables at their natural width, whatever a worker process inherited (pytest-xdist).
            "COLUMNS": None,
        }
        env.update(extra or {})
        return env

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> Run:
        result = self.runner.invoke(app, list(args), input=input, env=self.env(env))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        run = Run(result.exit_code, result.stdout, result.stderr)
        assert_no_secret(run.stdout, run.stderr)
        return run


def run_process(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    timeout: float = 60,
    binary: bool = False,
) -> Run:
    """The real command in a subprocess (``python -m audiencelab.cli``), output piped."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AUDIENCELAB_") or k == "AUDIENCELAB_CACHE_DIR"
    }
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        clean.pop(name, None)
    proc = subprocess.run(
        [sys.executable, "-m", "audiencelab.cli", *args],
        capture_output=True,
        env={**clean, **env},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    assert_no_secret(proc.stdout, proc.stderr)
    stdout = proc.stdout.decode("utf-8", "replace") if binary else proc.stdout.decode()
    return Run(proc.returncode, stdout, proc.stderr.decode(), proc.stdout)


def create_audience(cli: CLI, name: str, *flags: str) -> str:
    run = cli("audiences", "create", "--name", name, *flags)
    assert run.code == 0, run.stderr
    audience_id = run.stdout.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", audience_id), run.stdout
    return audience_id


def audience_ids(cli: CLI) -> set[str]:
    run = cli("--json", "audiences", "list")
    assert run.code == 0, run.stderr
    items = run.json()
    assert isinstance(items, list)
    return {item["id"] for item in items}
