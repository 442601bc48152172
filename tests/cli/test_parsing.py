"""Global options before or after the command, and help that shows flags as flags."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer.main

from audiencelab.cli import app
from audiencelab.sandbox import Sandbox

from .helpers import CLI, KEY, create_audience, run_process


def test_global_options_after_the_command(cli: CLI, sandbox: Sandbox) -> None:
    audience_id = create_audience(cli, "After the command", "--city", "Tulsa")
    run = cli("audiences", "list", "--json")
    assert run.code == 0, run.stderr
    assert audience_id in {a["id"] for a in json.loads(run.stdout)}
    # Between the group and its command, mixed with the command's own options, grouped.
    run = cli("audiences", "--json", "show", audience_id, "-n", "2", "-q")
    assert run.code == 0, run.stderr
    assert len(json.loads(run.stdout)["data"]) == 2
    run = cli("audiences", "list", "-qv")
    assert run.code == 0, run.stderr
    assert "GET /audiences" in run.stderr  # -v, grouped with -q after the command
    # Options with a value, both spellings, after the command.
    no_key = CLI(key=None)
    run = no_key("audiences", "list", "--json", "--base-url", sandbox.base_url, "--api-key", KEY)
    assert run.code == 0, run.stderr
    assert audience_id in run.stdout
    run = no_key("audiences", "list", f"--base-url={sandbox.base_url}", f"--api-key={KEY}", "-v")
    assert run.code == 0, run.stderr
    assert "GET /audiences" in run.stderr  # --verbose, given after the command


def test_global_options_after_the_command_with_the_sandbox(cli: CLI, tmp_path: object) -> None:
    env = {"AUDIENCELAB_SANDBOX_DIR": str(tmp_path), "AUDIENCELAB_SANDBOX_BUILD_SECONDS": "0"}
    run = CLI(key=None)("audiences", "list", "--sandbox", "--json", env=env)
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout) == []
    assert run.stderr == ""  # --json: not even the sandbox notice
    # The same checks as before the command: --sandbox with --base-url is refused.
    run = CLI(key=None)("audiences", "list", "--sandbox", "--base-url", "http://127.0.0.1:1")
    assert run.code == 2
    assert "--sandbox and --base-url cannot be used together" in run.stderr


def test_a_commands_own_option_is_not_taken_for_a_global_one(cli: CLI) -> None:
    # `pixels create --version v3`: the command's --version, not the root's.
    run = cli("pixels", "create", "--name", "Shop", "--url", "https://a.example", "--version", "v4")
    assert run.code == 0, run.stderr
    pixel = cli("--json", "pixels", "show", run.stdout.strip()).json()
    assert isinstance(pixel, dict)
    assert pixel["version"] == "v4"
    # An option's value is a value, even when it looks like a global flag.
    run = cli("audiences", "create", "--name", "--json", "--city", "Boston", "--dry-run")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["name"] == "--json"
    # After `--`, nothing is moved: `--json` is the argument here.
    run = cli("audiences", "show", "--", "--json")
    assert run.code == 4  # looked up as an audience ID
    assert "--json" in run.stderr


@pytest.mark.slow
def test_sandbox_serve_keeps_its_own_api_key_option(tmp_path: Path) -> None:
    """`sandbox serve --api-key K` sets the sandbox's key; it is not the global --api-key.

    In a subprocess with a timeout: were the key taken for the global option, the sandbox would
    start with its default key and serve until stopped."""
    run = run_process(
        ["sandbox", "serve", "--api-key", "sk_live_nope", "--port", "0"], {}, timeout=30
    )
    assert run.code == 2
    assert "sk_live_" in run.stderr  # the sandbox refused a live key: its own option read it


def _every_command() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(root, [])
    return paths


@pytest.mark.slow
def test_help_shows_flags_without_values_and_arguments_in_capitals() -> None:
    cli = CLI()
    for path in _every_command():
        run = cli(*path, "--help", env={"COLUMNS": "200"})
        assert run.code == 0, (path, run.stderr)
        assert "<bool>" not in run.stdout, path
        assert not re.search(r"<(str|int|float|list\[[a-z]+\])>", run.stdout), (path, run.stdout)
        usage = run.stdout.split("Usage: ", 1)[1].splitlines()[0]
        assert not re.search(r"[{}]", usage), (path, usage)
    run = cli("audiences", "show", "--help", env={"COLUMNS": "200"})
    assert "Usage: audiencelab audiences show [OPTIONS] AUDIENCE_ID" in run.stdout
    # A flag's row: its name then straight away its help, no metavar in between.
    assert re.search(
        r"--sandbox\s+Use a local sandbox", cli("--help", env={"COLUMNS": "200"}).stdout
    )
    run = cli("enrichments", "wait", "--help", env={"COLUMNS": "200"})
    assert "Usage: audiencelab enrichments wait [OPTIONS] JOB_ID..." in run.stdout
    run = cli("audiences", "show", env={"COLUMNS": "200"})
    assert run.code == 2
    assert "missing argument 'AUDIENCE_ID'" in run.stderr
