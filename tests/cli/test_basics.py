"""Global options, help, exit codes, errors and secrets, through Typer's runner."""

from __future__ import annotations

import logging

import pytest

from audiencelab import __version__
from audiencelab.cli._context import sandbox_data_dir
from audiencelab.sandbox import Sandbox

from .helpers import CLI, KEY, WRONG_KEY, audience_ids


def test_help_lists_the_commands_and_documents_the_exit_codes() -> None:
    run = CLI()("--help")
    assert run.code == 0
    commands = ("audiences", "attributes", "enrich", "enrichments", "pixels", "segments", "sandbox")
    for command in commands:
        assert command in run.stdout
    for words in ("Exit codes", "0 success", "2 bad input", "3 authentication", "4 not found"):
        assert words in " ".join(run.stdout.split())
    assert "--install-completion" in run.stdout  # shell completion through Typer
    help_text = " ".join(run.stdout.replace("│", " ").split())  # wrapped inside the panel
    assert "AUDIENCELAB_API_KEY environment variable" in help_text
    assert "shell history" in help_text  # why --api-key is the less safe way


def test_version() -> None:
    run = CLI()("--version")
    assert (run.code, run.stdout.strip()) == (0, f"audiencelab {__version__}")


@pytest.mark.slow
def test_every_command_has_help() -> None:
    cli = CLI()
    for group, commands in {
        "audiences": (
            "create",
            "create-many",
            "list",
            "show",
            "wait",
            "export",
            "delete",
            "preview",
            "custom",
        ),
        "enrichments": ("create", "list", "wait", "download"),
        "pixels": ("create", "list", "show", "events", "delete"),
        "segments": ("show", "export"),
    }.items():
        for command in commands:
            run = cli(group, command, "--help")
            assert run.code == 0, (group, command, run.stderr)
            assert "Usage" in run.stdout


def test_no_key_says_how_to_get_going_and_exits_3() -> None:
    run = CLI(key=None)("audiences", "list")
    assert run.code == 3
    assert run.stdout == ""
    assert "AUDIENCELAB_API_KEY" in run.stderr
    assert "--sandbox" in run.stderr
    assert run.stderr.startswith("error: ")
    assert "Traceback" not in run.stderr


def test_a_refused_key_exits_3_without_showing_it(sandbox: Sandbox) -> None:
    run = CLI(sandbox.base_url, key=WRONG_KEY)("audiences", "list")
    assert run.code == 3
    assert "401" in run.stderr
    assert "AUDIENCELAB_API_KEY" in run.stderr


def test_a_key_on_the_command_line_works_and_is_never_shown(sandbox: Sandbox) -> None:
    cli = CLI(sandbox.base_url, key=None)
    run = cli("--verbose", "--api-key", KEY, "--json", "audiences", "list")
    assert run.code == 0, run.stderr
    assert isinstance(run.json(), list)
    assert "GET /audiences" in run.stderr  # --verbose logs each request
    run = cli("--verbose", "--api-key", WRONG_KEY, "audiences", "show", "nope")
    assert run.code == 3
    assert "Traceback" in run.stderr  # --verbose shows the traceback, still without the key


def test_unknown_ids_exit_4_with_the_way_to_find_the_right_one(cli: CLI) -> None:
    run = cli("audiences", "show", "00000000-0000-0000-0000-000000000000")
    assert run.code == 4
    assert "not found" in run.stderr
    assert "audiences list" in run.stderr
    run = cli("pixels", "show", "no-such-pixel")
    assert run.code == 4
    assert "pixels list" in run.stderr
    run = cli("enrichments", "wait", "no-such-job")
    assert run.code == 4
    assert "enrichments list" in run.stderr


def test_bad_input_exits_2_and_sends_nothing(cli: CLI) -> None:
    before = audience_ids(cli)
    run = cli(
        "audiences",
        "create",
        "--name",
        "bad",
        "--min-age",
        "50",
        "--max-age",
        "30",
        "--zip",
        "123",
        "--segment",
        "1253",
        "--days-back",
        "0",
    )
    assert run.code == 2
    assert run.stdout == ""
    assert "4 problems (nothing was sent)" in run.stderr
    assert "minAge (50) is greater than maxAge (30); swap them" in run.stderr
    assert "filters.zip[0]" in run.stderr
    assert "--segment: '1253' is a bare number" in run.stderr
    assert "--days-back: must be at least 1" in run.stderr
    assert audience_ids(cli) == before


def test_usage_errors_exit_2(cli: CLI) -> None:
    assert cli("audiences", "create", "--city", "Boston").code == 2  # no --name
    assert cli("audiences", "create", "--name", "x", "--min-age", "old").code == 2
    assert cli("audiences", "frobnicate").code == 2
    run = cli("--sandbox", "--base-url", "http://127.0.0.1:1", "audiences", "list")
    assert run.code == 2
    assert "--sandbox and --base-url" in run.stderr
    run = cli("--sandbox", "--api-key", KEY, "audiences", "list")
    assert run.code == 2


def test_the_sdk_refuses_a_plain_http_api_address() -> None:
    run = CLI("http://api.example.com")("audiences", "list")
    assert run.code == 2
    assert "plain-http" in run.stderr


def test_api_errors_exit_1_and_an_unknown_outcome_says_to_check(failing_url: str) -> None:
    run = CLI(failing_url)("audiences", "create", "--name", "Maybe made", "--city", "Boston")
    assert run.code == 1
    assert run.stdout == ""
    assert "HTTP 500" in run.stderr
    assert "may or may not have taken effect" in run.stderr
    assert "audiencelab audiences list" in run.stderr  # the SDK's hint, as a command
    assert "client.audiences" not in run.stderr
    assert run.stderr.count("\n") == 1  # one line: the SDK's own warning is not repeated


@pytest.mark.slow
def test_network_errors_exit_1(unused_port_url: str) -> None:
    run = CLI(unused_port_url)("audiences", "list")
    assert run.code == 1
    assert "could not reach" in run.stderr
    assert "--base-url" in run.stderr


def test_json_output_is_one_document_and_nothing_else(cli: CLI) -> None:
    run = cli("--json", "audiences", "create", "--name", "JSON one", "--city", "Boston")
    assert run.code == 0
    created = run.json()
    assert isinstance(created, dict)
    assert list(created) == ["audienceId"]
    assert run.stderr == ""
    shown = cli("--json", "audiences", "show", created["audienceId"], "--rows", "3").json()
    assert isinstance(shown, dict)
    assert len(shown["data"]) == 3
    assert shown["total_records"] == 1500
    assert all(row["PERSONAL_CITY"] == "Boston" for row in shown["data"])
    ready = cli("--json", "audiences", "wait", created["audienceId"]).json()
    assert isinstance(ready, dict)
    assert ready["audience_id"] == created["audienceId"]


def test_quiet_prints_only_the_result(cli: CLI) -> None:
    run = cli("--quiet", "audiences", "create", "--name", "Quiet", "--state", "TX")
    assert run.code == 0
    assert run.stderr == ""
    assert len(run.stdout.strip()) == 36


def test_default_output_is_the_id_on_stdout_and_a_sentence_on_stderr(cli: CLI) -> None:
    run = cli("audiences", "create", "--name", "Plain", "--city", "Austin")
    assert run.code == 0, run.stderr
    audience_id = run.stdout.strip()
    assert run.stdout == audience_id + "\n"  # what ID=$(...) captures: the ID and nothing else
    assert f"Created audience 'Plain' ({audience_id})" in run.stderr
    assert f"audiences export {audience_id}" in run.stderr  # and what to do next
    run = cli("audiences", "list")
    assert audience_id in run.stdout
    assert "Plain" in run.stdout
    assert "Created" not in run.stdout


def test_verbose_logs_requests_at_debug_and_restores_the_logger(cli: CLI) -> None:
    logger = logging.getLogger("audiencelab")
    level, handlers = logger.level, list(logger.handlers)
    run = cli("--verbose", "audiences", "list")
    assert run.code == 0
    assert "debug [audiencelab] GET /audiences" in run.stderr
    assert (logger.level, logger.handlers) == (level, handlers)


def test_sandbox_data_dir_follows_each_platform() -> None:
    home = "/home/ann"
    assert str(sandbox_data_dir({"HOME": home}, "linux")) == "/home/ann/.local/share/audiencelab"
    assert (
        str(sandbox_data_dir({"HOME": home, "XDG_DATA_HOME": "/data"}, "linux"))
        == "/data/audiencelab"
    )
    assert (
        str(sandbox_data_dir({"HOME": home, "XDG_DATA_HOME": "relative"}, "linux"))
        == "/home/ann/.local/share/audiencelab"
    )
    assert (
        str(sandbox_data_dir({"HOME": home}, "darwin"))
        == "/home/ann/Library/Application Support/audiencelab"
    )
    assert str(sandbox_data_dir({"HOME": home, "LOCALAPPDATA": "/lad"}, "win32")).endswith(
        "audiencelab"
    )
    assert (
        str(sandbox_data_dir({"HOME": home, "AUDIENCELAB_SANDBOX_DIR": "/tmp/x"}, "linux"))
        == "/tmp/x"
    )
