"""The ``audiencelab mcp`` command itself: cheap to load, and clear when it cannot start."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..cli.helpers import run_process


@pytest.mark.slow
def test_the_command_line_imports_mcp_only_when_the_server_runs() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from audiencelab.cli import app\n"
        "for args in (['--help'], ['mcp', '--help']):\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, result.output\n"
        "assert '--read-only' in result.output and '--export-dir' in result.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mcp' or m == 'audiencelab.mcp'"
        " or m.startswith('audiencelab.mcp.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_without_a_key_or_the_sandbox_it_says_how_to_go_on(tmp_path: Path) -> None:
    run = run_process(["mcp"], {}, cwd=tmp_path)
    assert run.code == 3
    assert run.stdout == ""  # stdout is the protocol's: nothing else ever goes there
    assert "AUDIENCELAB_API_KEY" in run.stderr
    assert "--sandbox" in run.stderr


@pytest.mark.slow
def test_bad_options_stop_it_before_it_starts(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    missing = run_process(["mcp", "--sandbox", "--export-dir", str(tmp_path / "a-file")], {})
    assert missing.code == 2
    assert "--export-dir" in missing.stderr
    assert "cannot be used" in missing.stderr
    both = run_process(["mcp", "--sandbox", "--base-url", "http://127.0.0.1:1"], {})
    assert both.code == 2
    assert "cannot be used together" in both.stderr
    transport = run_process(["mcp", "--sandbox", "--transport", "ftp"], {})
    assert transport.code == 2
    assert "ftp" in transport.stderr
    assert "" == missing.stdout == both.stdout == transport.stdout


def test_log_lines_hide_the_key_even_in_tracebacks() -> None:
    from audiencelab.cli._mcp import _HideSecrets

    secret = "sk_test_secret_91c2"
    try:
        raise ValueError(f"failed with {secret}")
    except ValueError:
        record = logging.LogRecord(
            "mcp.server", logging.ERROR, __file__, 1, "sent %s", (secret,), sys.exc_info()
        )
    text = _HideSecrets((secret,)).format(record)
    assert text.startswith("error [mcp.server] sent [API key hidden]")
    assert "Traceback" in text
    assert secret not in text


@pytest.mark.slow
def test_without_the_mcp_extra_it_exits_1_and_says_both_ways_to_install_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['mcp'] = None  # as if the extra were not installed\n"
        "from audiencelab.cli import main\n"
        "sys.argv = ['audiencelab', 'mcp', '--sandbox']\n"
        "main()\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 1, run.stderr
    assert 'pip install "audiencelab[mcp]"' in run.stderr
    assert 'pip install ".[mcp]"' in run.stderr  # from a checkout, before it is published
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


@pytest.mark.slow
def test_started_in_the_root_folder_it_exports_under_the_data_folder_and_says_so(
    tmp_path: Path,
) -> None:
    # Desktop clients start servers in /: that must not become the export folder.
    data = tmp_path / "data"
    env = {
        **os.environ,
        "AUDIENCELAB_SANDBOX_DIR": str(tmp_path / "sandbox"),
        "XDG_DATA_HOME": str(data),
    }
    run = subprocess.run(
        [sys.executable, "-m", "audiencelab.cli", "mcp", "--sandbox"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    folder = data / "audiencelab" / "exports"
    assert folder.is_dir()
    assert f"exports go to {folder}" in run.stderr


@pytest.mark.slow
def test_http_off_loopback_needs_a_token_and_bad_flags_are_refused(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "192.168.1.10", "::"):
        run = run_process(["mcp", "--sandbox", "--transport", "http", "--host", host], {})
        assert run.code == 2, (host, run.stderr)
        assert "no bearer token" in run.stderr
        assert "AUDIENCELAB_MCP_TOKEN" in run.stderr
        assert "MCP server on" not in run.stderr  # it never started
    short = run_process(
        ["mcp", "--sandbox", "--transport", "http"], {"AUDIENCELAB_MCP_TOKEN": "short"}
    )
    assert short.code == 2
    assert "at least 16 characters" in short.stderr
    stdio = run_process(["mcp", "--sandbox", "--token", "x" * 32], {})
    assert stdio.code == 2
    assert "--token is for --transport http" in stdio.stderr
    tools = run_process(["mcp", "--sandbox", "--tools", "audience,pixles"], {})
    assert tools.code == 2
    assert "did you mean 'audiences'?" in tools.stderr
    assert "did you mean 'pixels'?" in tools.stderr


@pytest.mark.slow
def test_it_makes_a_missing_export_folder_and_stops_cleanly_when_stdin_closes(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "new" / "exports"
    env = {**os.environ, "AUDIENCELAB_SANDBOX_DIR": str(tmp_path / "sandbox")}
    run = subprocess.run(
        [sys.executable, "-m", "audiencelab.cli", "mcp", "--sandbox", "--export-dir", str(folder)],
        stdin=subprocess.DEVNULL,  # a client that connects and goes away at once
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    assert folder.is_dir()
    assert "Traceback" not in run.stderr
    assert f"exports go to {folder}" in run.stderr
