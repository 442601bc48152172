"""Without an optional extra, the command says in one line what to install (exit 1, no traceback).

Nothing is uninstalled: each test runs the console script's entry point in a fresh interpreter
where the extra's modules are blocked (``sys.modules[name] = None`` makes ``import name`` raise
``ModuleNotFoundError``, as when the package is missing).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from .helpers import Run, assert_no_secret

# What the ``audiencelab`` script of the virtual environment runs, with modules blocked first.
BOOTSTRAP = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None
from audiencelab.cli import main
sys.argv = ["audiencelab", *{args!r}]
main()
"""


def run_blocked(
    blocked: Sequence[str], args: Sequence[str], tmp_path: Path, env: dict[str, str] | None = None
) -> Run:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    clean.update(NO_COLOR="1", AUDIENCELAB_SANDBOX_DIR=str(tmp_path / "data"), **(env or {}))
    code = BOOTSTRAP.format(blocked=list(blocked), args=list(args))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        env=clean,
        cwd=tmp_path,
        timeout=60,
        check=False,
        text=True,
    )
    assert_no_secret(proc.stdout, proc.stderr)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_one_line_naming(run: Run, extra: str) -> None:
    assert run.code == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("error: ")
    assert run.stderr.count("\n") == 1, run.stderr  # one line
    assert f'pip install "audiencelab[{extra}]"' in run.stderr
    assert f"'{extra}' extra" in run.stderr
    assert f'(from a checkout: pip install ".[{extra}]")' in run.stderr


@pytest.mark.slow
def test_without_the_cli_extra_the_command_says_what_to_install(tmp_path: Path) -> None:
    for module in ("typer", "rich"):
        for args in ([], ["--help"], ["audiences", "list"]):
            run = run_blocked([module], args, tmp_path)
            assert_one_line_naming(run, "cli")
            assert f"no module named '{module}'" in run.stderr
            assert run.stdout == ""


@pytest.mark.slow
def test_without_the_sandbox_extra_sandbox_says_what_to_install(tmp_path: Path) -> None:
    run = run_blocked(["starlette", "uvicorn"], ["--sandbox", "audiences", "list"], tmp_path)
    assert_one_line_naming(run, "sandbox")
    assert "--sandbox needs" in run.stderr
    assert not (tmp_path / "data" / "sandbox.db").exists()
    # Other commands keep working without it.
    run = run_blocked(
        ["starlette", "uvicorn"],
        ["audiences", "create", "--name", "x", "--city", "Boston", "--dry-run"],
        tmp_path,
    )
    assert run.code == 0, run.stderr
    # `audiencelab sandbox serve` (the sandbox's own command) says it in one line too.
    run = run_blocked(["starlette", "uvicorn"], ["sandbox", "serve", "--port", "0"], tmp_path)
    assert run.code == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    # The same message as every other missing extra: both forms, exit 1 (issue 19, point 9).
    assert_one_line_naming(run, "sandbox")
    assert "`audiencelab sandbox serve` needs the 'sandbox' extra" in run.stderr


@pytest.mark.slow
def test_a_command_needing_a_missing_extra_names_it(tmp_path: Path) -> None:
    """Any command that imports an extra's module when it runs (as `audiencelab mcp` does with
    the ``mcp`` extra) gets the same one line: here PyYAML, of the ``cli`` extra, for a YAML file."""
    (tmp_path / "filters.yaml").write_text("city: [Boston]\n", encoding="utf-8")
    args = ["audiences", "create", "--name", "x", "--filters-file", "filters.yaml", "--dry-run"]
    run = run_blocked(["yaml"], args, tmp_path)
    assert_one_line_naming(run, "cli")
    assert "`audiencelab audiences` needs" in run.stderr
    assert "no module named 'yaml'" in run.stderr


@pytest.mark.slow
def test_the_command_line_imports_no_optional_extra_until_a_command_needs_it(
    tmp_path: Path,
) -> None:
    """Every command's help works with only the ``cli`` extra: a command needing another extra
    (sandbox, parquet, mcp, dlt) must import it inside the command, or the whole CLI breaks."""
    blocked = ["starlette", "uvicorn", "pyarrow", "mcp", "dlt"]
    run = run_blocked(blocked, ["--help"], tmp_path)
    assert run.code == 0, run.stderr
    code = f"""
import sys
for name in {blocked!r}:
    sys.modules[name] = None
from typer.testing import CliRunner
from audiencelab.cli import app
import typer.main
root = typer.main.get_command(app)
def walk(command, path):
    yield path
    for name, sub in sorted(getattr(command, "commands", {{}}).items()):
        yield from walk(sub, [*path, name])
for path in walk(root, []):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, (path, result.output)
print("ok")
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
