"""The two ways to run a sandbox server: ``audiencelab sandbox serve`` and ``python -m
audiencelab.sandbox``. Same flags, same checks; the command reports errors like every command."""

from __future__ import annotations

import ast
import inspect
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

import audiencelab.cli._sandbox as cli_sandbox
from audiencelab.cli._errors import EXIT_API, EXIT_USAGE, CliError
from audiencelab.sandbox import DEFAULT_API_KEY, SERVE_FLAGS, config_from_flags, is_loopback_host


def _typer_options() -> dict[str, Any]:
    """``--flag`` -> the typer OptionInfo declared by ``audiencelab sandbox serve``."""
    options = {}
    for param in inspect.signature(cli_sandbox.serve_command).parameters.values():
        info = param.default
        options[info.param_decls[0]] = info
    return options


def test_the_command_and_python_m_have_the_same_flags() -> None:
    options = _typer_options()
    assert set(options) == {flag.option for flag in SERVE_FLAGS}
    for flag in SERVE_FLAGS:
        info = options[flag.option]
        default = info.default if flag.kind != "keys" else ""
        if flag.name == "db":  # left out, the command serves the --sandbox commands' database
            assert (default, info.help) == ("", f"{flag.help} {cli_sandbox.DB_HELP}")
            continue
        assert (default or "", info.metavar, info.help) == (flag.default, flag.metavar, flag.help)
    done = subprocess.run(
        [sys.executable, "-m", "audiencelab.sandbox", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert set(re.findall(r"(--[a-z-]+) [A-Z]+", done.stdout)) == set(options)


def _serve_args(**given: Any) -> dict[str, Any]:
    args = {
        name: (info.default if not isinstance(info.default, list) else [])
        for name, info in (
            (p.name, p.default)
            for p in inspect.signature(cli_sandbox.serve_command).parameters.values()
        )
    }
    return {**args, **given}


def test_bad_flags_raise_the_cli_error_every_command_raises() -> None:
    with pytest.raises(CliError) as caught:
        cli_sandbox.serve_command(**_serve_args(port="abc"))
    assert caught.value.code == EXIT_USAGE
    assert caught.value.message == "--port must be an integer between 0 and 65535 (got 'abc')"
    with pytest.raises(CliError) as caught:
        cli_sandbox.serve_command(**_serve_args(api_key=["sk_live_abcdef"]))
    assert caught.value.code == EXIT_USAGE
    assert "sk_live_" in caught.value.message


def test_a_port_in_use_is_a_cli_error_with_exit_1() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CliError) as caught:
            cli_sandbox.serve_command(**_serve_args(port=str(port)))
    assert caught.value.code == EXIT_API
    assert caught.value.message.startswith(f"cannot listen on 127.0.0.1:{port}")


def test_the_command_imports_only_public_sandbox_names() -> None:
    tree = ast.parse(Path(cli_sandbox.__file__).read_text(encoding="utf-8"))
    imported = [
        (node.module or "", alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]
    sandbox = [(m, n) for m, n in imported if m.startswith("audiencelab.sandbox")]
    assert sandbox
    assert all(m == "audiencelab.sandbox" and not n.startswith("_") for m, n in sandbox)
    assert is_loopback_host("[::1]")
    assert not is_loopback_host("0.0.0.0")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"port": "70000"}, "--port must be an integer between 0 and 65535 (got '70000')"),
        (
            {"fail-rate": "0.6", "drop-rate": "0.6"},
            "--fail-rate plus --drop-rate must not exceed 1",
        ),
        ({"rate-limit": "0"}, "--rate-limit must be a number between 0.001 and 1e+06 (got '0')"),
        ({"db": " "}, "--db must be a file path (or :memory:)"),
    ],
)
def test_flag_values_are_checked_once_for_both_entry_points(
    flags: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=r"^--") as caught:
        config_from_flags(flags)
    assert str(caught.value) == message


def test_flags_set_the_config() -> None:
    config = config_from_flags(
        {"port": "0", "api-key": ["sk_test_a", "sk_test_b"], "rate-limit": "2.5", "seed": "9"}
    )
    assert (config.port, config.api_keys, config.rate_limit, config.seed) == (
        0,
        ("sk_test_a", "sk_test_b"),
        2.5,
        9,
    )
    assert config_from_flags({}).api_keys == (DEFAULT_API_KEY,)
    assert config_from_flags({}).port == 8765


@pytest.mark.slow
def test_python_m_serves_until_ctrl_c() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-m",
            "audiencelab.sandbox",
            "--port",
            "0",
            "--api-key",
            "sk_test_m",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        base = match.group(1)
        assert httpx.get(f"{base}/audiences", headers={"X-Api-Key": "sk_test_m"}).status_code == 200
        assert (
            httpx.get(f"{base}/audiences", headers={"X-Api-Key": DEFAULT_API_KEY}).status_code
            == 401
        )
    finally:
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_python_m_bad_flag_exits_2_with_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "audiencelab.sandbox", "--seed", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["error: --seed must be an integer between 0 and "
                                                "9223372036854775807 (got 'x')"]  # fmt: skip


def test_the_banner_names_the_faults_and_the_public_url() -> None:
    from audiencelab.sandbox import SandboxConfig
    from audiencelab.sandbox._server import describe

    config = SandboxConfig(
        fail_after_commit_rate=0.1, job_fail_rate=0.2, error_style="string",
        list_total_key="total", public_url="https://sb.example",
    )  # fmt: skip
    banner = describe(config, "http://127.0.0.1:8765")
    for text in (
        "fail-after-commit-rate 0.1", "job-fail-rate 0.2", "error-style string",
        "list-total-key total", "links it hands out start with https://sb.example",
    ):  # fmt: skip
        assert text in banner
    assert "faults: none" in describe(SandboxConfig(), "http://127.0.0.1:8765")


# ---------------------------------------------------------------------------------------------
# Flags once: the metadata of SandboxConfig's fields (issue 16)


def test_every_flag_is_the_metadata_of_a_config_field_with_its_default() -> None:
    import dataclasses

    from audiencelab.sandbox import SandboxConfig

    fields = {f.name: f for f in dataclasses.fields(SandboxConfig)}
    # ``--profile`` is the one flag that is no field: it reads a doctor report into several.
    field_flags = [flag for flag in SERVE_FLAGS if flag.kind != "profile"]
    assert [flag.field for flag in field_flags] == [
        f for f in fields if "flag" in fields[f].metadata
    ]
    defaults = config_from_flags({})  # every flag at its default: the config's own defaults
    assert defaults == SandboxConfig()
    for flag in field_flags:
        declared = fields[flag.field].metadata["flag"]
        assert (declared.name, declared.metavar, declared.help) == (
            flag.name,
            flag.metavar,
            flag.help,
        )


def test_the_command_declares_no_flag_of_its_own() -> None:
    """``cli/_sandbox.py`` builds its options from the table: no flag is spelled out there."""
    source = Path(cli_sandbox.__file__).read_text(encoding="utf-8")
    for flag in SERVE_FLAGS:
        assert f'"{flag.option}"' not in source, flag.option
        assert flag.help not in source, flag.option


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    block = "import sys\nfor name in ('starlette', 'uvicorn'):\n    sys.modules[name] = None\n"
    return subprocess.run(
        [sys.executable, "-c", block + code], capture_output=True, text=True, timeout=60
    )


def test_the_flag_table_needs_neither_starlette_nor_uvicorn() -> None:
    run = _fresh(
        "from audiencelab.sandbox import SERVE_FLAGS, SandboxConfig, config_from_flags\n"
        "print(len(SERVE_FLAGS), config_from_flags({'port': '0'}).port)\n"
        "import audiencelab.cli._sandbox\n"
        "print(sorted(m for m in sys.modules if m.startswith('audiencelab.sandbox.')))\n"
    )
    assert run.returncode == 0, run.stderr
    count, port = run.stdout.split("\n")[0].split()
    assert (int(count), port) == (len(SERVE_FLAGS), "0")
    loaded = run.stdout.split("\n")[1]
    for server_module in ("_app", "_server", "_routes"):
        assert f"audiencelab.sandbox.{server_module}'" not in loaded, loaded


def test_the_server_names_say_which_extra_is_missing() -> None:
    run = _fresh("from audiencelab.sandbox import Sandbox\n")
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: the AudienceLab sandbox needs the 'sandbox' extra")
    assert "pip install 'audiencelab[sandbox]'" in last


def test_public_names_are_one_mapping() -> None:
    """As httpx's test_exported_members: ``__all__`` is exactly the public names, each loads."""
    import audiencelab.sandbox as sandbox

    assert sandbox.__all__ == sorted(sandbox.__all__)
    for name in sandbox.__all__:
        assert getattr(sandbox, name) is not None, name
        assert name in dir(sandbox)
    with pytest.raises(AttributeError):
        sandbox.NoSuchName  # noqa: B018
