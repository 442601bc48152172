"""The real command in subprocesses (``--sandbox`` state shared between runs, piped output) and in
a real pseudo-terminal (progress bar, colours, the delete prompt)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from audiencelab.sandbox import Sandbox

from .helpers import ANSI, CLI, KEY, assert_no_secret, create_audience, run_process

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def sandbox_env(folder: Path) -> dict[str, str]:
    return {"AUDIENCELAB_SANDBOX_DIR": str(folder), "AUDIENCELAB_SANDBOX_BUILD_SECONDS": "0"}


@pytest.mark.slow
def test_sandbox_state_is_shared_between_commands(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path / "data")
    created = run_process(
        [
            "--sandbox",
            "audiences",
            "create",
            "--name",
            "Software Engineers in NYC",
            "--city",
            "New York",
            "--min-age",
            "25",
            "--max-age",
            "45",
            "--industry",
            "Software Development",
        ],
        env,
    )
    assert created.code == 0, created.stderr
    audience_id = created.stdout.strip()
    assert UUID.match(audience_id), created.stdout
    # A person must always know that this audience is not real.
    assert "local sandbox" in created.stderr
    assert "not the real AudienceLab API" in created.stderr
    assert (tmp_path / "data" / "sandbox.db").exists()

    # A second process, with the environment variable instead of the flag, sees the audience.
    listed = run_process(["--json", "audiences", "list"], {**env, "AUDIENCELAB_SANDBOX": "1"})
    assert listed.code == 0, listed.stderr
    assert audience_id in listed.stdout
    assert listed.stderr == ""  # --json: no notice

    out = tmp_path / "people.csv"
    exported = run_process(["--sandbox", "audiences", "export", audience_id, "-o", str(out)], env)
    assert exported.code == 0, exported.stderr
    # Piped: no progress bar, no colours, nothing on stdout; the summary on stderr.
    assert exported.stdout == ""
    assert not ANSI.search(exported.stderr)
    assert "Exporting" not in exported.stderr
    assert "Exported 10,000 rows (10 pages)" in exported.stderr
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10_000
    assert {r["PERSONAL_CITY"] for r in rows} == {"New York"}
    assert {r["COMPANY_INDUSTRY"] for r in rows} == {"Software Development"}
    assert all(25 <= int(r["AGE"]) <= 45 for r in rows)


@pytest.mark.slow
def test_without_sandbox_nothing_falls_back_to_it(tmp_path: Path) -> None:
    run = run_process(["audiences", "list"], sandbox_env(tmp_path / "data"))
    assert run.code == 3
    assert "--sandbox" in run.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.slow
def test_piped_output_has_no_escapes_and_errors_are_one_plain_line(sandbox: Sandbox) -> None:
    env = {"AUDIENCELAB_API_KEY": KEY, "AUDIENCELAB_BASE_URL": sandbox.base_url}
    run = run_process(["audiences", "list"], env)
    assert run.code == 0, run.stderr
    assert not ANSI.search(run.stdout + run.stderr)
    missing = run_process(["audiences", "show", "nope"], env)
    assert missing.code == 4
    assert missing.stderr.startswith("error: ")
    assert missing.stderr.count("\n") == 1
    assert not ANSI.search(missing.stderr)
    assert "Traceback" not in missing.stderr


def _spawn(args: list[str], env: dict[str, str]) -> pexpect.spawn:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    clean.pop("NO_COLOR", None)
    clean.update(TERM="xterm-256color", COLUMNS="120", LINES="40", **env)
    return pexpect.spawn(
        sys.executable,
        ["-m", "audiencelab.cli", *args],
        env=clean,
        encoding="utf-8",
        dimensions=(40, 120),
        timeout=60,
    )


@pytest.mark.slow
def test_export_in_a_terminal_shows_a_progress_bar(
    cli: CLI, sandbox: Sandbox, tmp_path: Path
) -> None:
    audience_id = create_audience(cli, "Terminal", "--city", "Denver")
    out = tmp_path / "terminal.csv"
    env = {"AUDIENCELAB_API_KEY": KEY, "AUDIENCELAB_BASE_URL": sandbox.base_url}
    child = _spawn(["audiences", "export", audience_id, "-o", str(out), "--page-size", "100"], env)
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    assert child.exitstatus == 0, output
    assert_no_secret(output)
    assert "\x1b[" in output  # colours
    assert "100%" in output
    assert "rows/s" in output
    assert "1,500/1,500" in output
    assert "━" in output  # the bar itself
    assert "Exported 1,500 rows (15 pages)" in output
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1500
    assert {r["PERSONAL_CITY"] for r in rows} == {"Denver"}


@pytest.mark.slow
def test_delete_asks_in_a_terminal(cli: CLI, sandbox: Sandbox) -> None:
    audience_id = create_audience(cli, "Ask me", "--city", "Reno")
    env = {"AUDIENCELAB_API_KEY": KEY, "AUDIENCELAB_BASE_URL": sandbox.base_url}
    child = _spawn(["audiences", "delete", audience_id], env)
    child.expect(rf"Delete audience 'Ask me' \({audience_id}\)\? .* \[y/N\]")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert_no_secret(child.before)
    # Declining is the user's answer, not an error (issue 19, point 20).
    assert child.exitstatus == 1
    assert "Nothing done: audience 'Ask me'" in child.before
    assert "was not deleted" in child.before
    assert "error:" not in child.before
    assert cli("audiences", "show", audience_id, "-n", "1").code == 0

    child = _spawn(["audiences", "delete", audience_id], env)
    child.expect(r"\[y/N\]")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert_no_secret(child.before)
    assert child.exitstatus == 0, child.before
    assert "Deleted audience" in child.before
    assert cli("audiences", "show", audience_id).code == 4


@pytest.mark.slow
def test_ctrl_c_ends_with_a_short_message_and_status_130(
    slow_cli: CLI, slow_sandbox: Sandbox
) -> None:
    audience_id = create_audience(slow_cli, "Never ready", "--city", "Boston")
    env = {"AUDIENCELAB_API_KEY": KEY, "AUDIENCELAB_BASE_URL": slow_sandbox.base_url}
    child = _spawn(["audiences", "wait", audience_id, "--timeout", "600"], env)
    child.expect("Waiting for audience")  # the spinner: the command is polling
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert_no_secret(child.before)
    assert child.exitstatus == 130
    assert "interrupted" in child.before
    assert "Traceback" not in child.before


@pytest.mark.slow
def test_imports_stay_light() -> None:
    """``import audiencelab`` never imports the CLI; the CLI imports the sandbox's server only for
    --sandbox (it reads the serve flags from ``audiencelab.sandbox``, which needs no Starlette)."""
    code = """
import sys
import audiencelab
assert "audiencelab.cli" not in sys.modules and "typer" not in sys.modules, "SDK imported the CLI"
from audiencelab.cli import app
from typer.testing import CliRunner
result = CliRunner().invoke(app, ["audiences", "create", "--name", "x", "--city", "Boston", "--dry-run"])
assert result.exit_code == 0, result.output
server = ("starlette", "uvicorn", "audiencelab.sandbox._app", "audiencelab.sandbox._generate")
heavy = [m for m in server if m in sys.modules]
assert not heavy, heavy
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_a_closed_stdout_ends_quietly(sandbox: Sandbox) -> None:
    """``audiencelab ... | head``: no traceback when the reader goes away."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "AUDIENCELAB_API_KEY": KEY, "AUDIENCELAB_BASE_URL": sandbox.base_url}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "audiencelab.cli", "attributes", "industries"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert b"Traceback" not in proc.stderr
    assert_no_secret(proc.stderr)
