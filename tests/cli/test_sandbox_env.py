"""Python against the sandbox in three lines (issue 19): ``audiencelab sandbox serve`` serves the
database the ``--sandbox`` commands use, and ``eval "$(audiencelab sandbox env)"`` points the SDK
at it. Run as a user runs them: real processes, a real shell, the per-test data folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiencelab import AudienceLab, ConfigurationError

BIN = Path(sys.executable).parent
SERVER_FILE = "sandbox-server.json"


def _audiencelab() -> str:
    script = shutil.which("audiencelab", path=str(BIN))
    assert script, f"the audiencelab command is not installed next to {sys.executable}"
    return script


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    env.update(
        AUDIENCELAB_SANDBOX_DIR=str(data),
        AUDIENCELAB_SANDBOX_BUILD_SECONDS="0",
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


class Served:
    def __init__(self, data: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [_audiencelab(), "sandbox", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(data),
        )
        assert self.proc.stdout is not None
        self.banner: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"serve exited early: {self.proc.communicate()[1]}")
            self.banner.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", self.banner[0])
        assert match, self.banner
        self.base_url = match.group(1)

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.communicate(timeout=30)
        return self.proc.returncode


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "sandbox-data"
    folder.mkdir()
    return folder


@pytest.fixture
def served(data: Path) -> Iterator[Served]:
    server = Served(data)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)


def _run(data: Path, script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{script}"],
        cwd=cwd,
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_a_sandbox_audience_is_there_for_python_in_three_lines(
    data: Path, served: Served, tmp_path: Path
) -> None:
    assert f"  database: {data / 'sandbox.db'}" in served.banner  # not :memory:
    run = _run(
        data,
        'ID=$(audiencelab --sandbox audiences create --name "Austin" --city Austin)\n'
        'eval "$(audiencelab sandbox env)"\n'
        "python -c 'import os, sys; from audiencelab import AudienceLab; "
        'print(os.environ["AUDIENCELAB_BASE_URL"]); '
        'print(AudienceLab().audiences.get(sys.argv[1]).total_records)\' "$ID"\n',
        tmp_path,
    )
    assert run.returncode == 0, run.stderr
    url, total = run.stdout.split()
    assert url == served.base_url
    assert int(total) > 0
    assert f"The sandbox server at {served.base_url}" in run.stderr


@pytest.mark.slow
def test_env_prints_export_lines_and_json(data: Path, served: Served, tmp_path: Path) -> None:
    run = _run(data, "audiencelab sandbox env", tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        f"export AUDIENCELAB_BASE_URL={served.base_url}",
        "export AUDIENCELAB_API_KEY=sk_test_sandbox",
    ]
    run = _run(data, "audiencelab --json sandbox env", tmp_path)
    assert json.loads(run.stdout) == {
        "AUDIENCELAB_BASE_URL": served.base_url,
        "AUDIENCELAB_API_KEY": "sk_test_sandbox",
    }
    assert run.stderr == ""


@pytest.mark.slow
def test_stopping_the_server_removes_its_record(data: Path, served: Served, tmp_path: Path) -> None:
    assert (data / SERVER_FILE).is_file()
    assert served.stop() == 0
    assert not (data / SERVER_FILE).exists()
    run = _run(data, "audiencelab sandbox env", tmp_path)
    assert run.returncode == 1
    assert run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith("error: no sandbox server is running")
    assert "`audiencelab sandbox serve`" in line


@pytest.mark.slow
def test_a_killed_server_is_not_offered(data: Path, served: Served, tmp_path: Path) -> None:
    served.stop(signal.SIGKILL)
    assert (data / SERVER_FILE).is_file()  # left behind by kill -9
    run = _run(data, "audiencelab sandbox env", tmp_path)
    assert run.returncode == 1
    assert run.stdout == ""
    assert f"({served.base_url}) is not answering" in run.stderr
    assert "`audiencelab sandbox serve`" in run.stderr


@pytest.mark.slow
def test_a_later_server_keeps_its_record_when_an_earlier_one_stops(
    data: Path, served: Served, tmp_path: Path
) -> None:
    second = Served(data)
    try:
        assert served.stop() == 0
        run = _run(data, "audiencelab sandbox env", tmp_path)
        assert run.returncode == 0, run.stderr
        assert f"export AUDIENCELAB_BASE_URL={second.base_url}" in run.stdout
    finally:
        second.stop()


@pytest.mark.slow
def test_an_own_key_is_never_written_nor_printed(data: Path, tmp_path: Path) -> None:
    key = "sk_test_mine_1234"
    server = Served(data, "--api-key", key)
    try:
        assert key not in (data / SERVER_FILE).read_text(encoding="utf-8")
        run = _run(data, "audiencelab sandbox env", tmp_path)
        assert run.returncode == 0, run.stderr
        assert run.stdout == f"export AUDIENCELAB_BASE_URL={server.base_url}\n"
        assert key not in run.stdout + run.stderr
        assert "set AUDIENCELAB_API_KEY to that key yourself" in run.stderr
    finally:
        server.stop()


@pytest.mark.slow
def test_memory_and_other_databases_are_still_chosen_with_db(data: Path) -> None:
    server = Served(data, "--db", ":memory:")
    try:
        assert any(line.startswith("  database: :memory:") for line in server.banner)
    finally:
        server.stop()
    assert not (data / "sandbox.db").exists()


@pytest.mark.slow
def test_the_no_key_errors_name_the_key_the_sandbox_and_the_base_url(
    data: Path, tmp_path: Path
) -> None:
    run = _run(data, "audiencelab audiences list", tmp_path)
    assert run.returncode == 3
    (line,) = run.stderr.splitlines()
    for needed in ("AUDIENCELAB_API_KEY", "--sandbox", "AUDIENCELAB_BASE_URL", "sandbox env"):
        assert needed in line, needed
    with pytest.raises(ConfigurationError) as caught:
        AudienceLab()
    message = str(caught.value)
    for needed in ("AUDIENCELAB_API_KEY", "--sandbox", "AUDIENCELAB_BASE_URL", "sandbox env"):
        assert needed in message, needed
