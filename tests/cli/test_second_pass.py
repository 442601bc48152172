"""A new user's first hour, second pass (issue 19): each friction point tried as they did."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pexpect
import pyarrow.parquet as pq
import pytest

from audiencelab import AudienceLab, operations
from audiencelab.sandbox import Sandbox

from .helpers import CLI, KEY, create_audience, run_process


def sandbox_env(folder: Path) -> dict[str, str]:
    return {"AUDIENCELAB_SANDBOX_DIR": str(folder), "AUDIENCELAB_SANDBOX_BUILD_SECONDS": "0"}


# -- 1: the bundled lists are listed, from the CLI and from MCP ---------------------------------


def test_attributes_lists_the_bundled_lists_without_a_key() -> None:
    offline = CLI(None, key=None)  # no key, no sandbox: nothing is sent
    run = offline("attributes", "education")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == ["high school", "bachelor's", "master's", "doctorate"]
    assert "the complete list" in run.stderr
    assert "filters.attributes.education (or --education)" in run.stderr
    for spelled in ("income_range", "income-range", "incomeRange", "profile.incomeRange"):
        run = offline("--json", "attributes", spelled)
        assert run.code == 0, run.stderr
        data = run.json()
        assert isinstance(data, dict)
        assert data["filter"] == "profile.incomeRange"
        assert data["complete"] is True
        assert data["values"][0] == "less than $20,000"
        assert data["count"] == len(data["values"]) == 9
    run = offline("attributes", "net worth")  # an open list: said so
    assert run.code == 0
    assert "$2,500 to $24,999" in run.stdout
    assert "the dashboard has others" in run.stderr
    for name in ("employee_count", "company_revenue", "credit_rating"):
        spec = operations.bundled_list(name)
        assert spec is not None
        assert offline("attributes", name).stdout.splitlines() == list(spec.labels)


def test_a_misspelled_list_name_names_the_lists_and_the_closest() -> None:
    run = CLI(None, key=None)("attributes", "income")
    assert run.code == 2
    assert run.stderr.count("\n") == 1  # one line
    assert "'income' is not a list; did you mean 'income_range'?" in run.stderr
    assert "bundled with audiencelab: employee_count, company_revenue, income_range" in run.stderr
    run = CLI(None, key=None)("attributes", "educaton")
    assert "did you mean 'education'?" in run.stderr


def test_the_api_lists_are_still_fetched(cli: CLI) -> None:
    run = cli("attributes", "seniority")
    assert run.code == 0, run.stderr
    assert run.stdout.strip()
    assert CLI(None, key=None)("attributes", "seniority").code == 3  # needs a key


@pytest.mark.anyio
async def test_mcp_lists_a_bundled_list(sandbox: Sandbox, tmp_path: Path) -> None:
    from ..mcp.helpers import connected

    with AudienceLab(api_key=KEY, base_url=sandbox.base_url) as client:
        async with connected(client, tmp_path) as session:
            result = await session.call_tool(
                "list_attribute_values", {"name": "education", "query": "master"}
            )
            assert not result.is_error, result.content
            data = result.structured_content
            assert data is not None
            assert data["values"] == ["master's"]
            assert data["total"] == 4
            assert data["use_in"] == "filters.attributes.education"
            listed = await session.call_tool("list_attribute_values", {"name": "employee_count"})
            assert listed.structured_content is not None
            assert listed.structured_content["values"][-1] == "10000+"
            industries = await session.call_tool("list_attribute_values", {"name": "industries"})
            assert industries.structured_content is not None
            assert industries.structured_content["total"] > 0


# -- 2: export -o - writes to standard output ---------------------------------------------------


@pytest.mark.slow
def test_export_to_standard_output_pipes_the_people(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path / "data")
    made = run_process(["--sandbox", "audiences", "create", "--name", "P", "--city", "Reno"], env)
    assert made.code == 0, made.stderr
    audience_id = made.stdout.strip()
    run = run_process(
        ["--sandbox", "audiences", "export", audience_id, "-o", "-", "--format", "jsonl"],
        env,
        cwd=tmp_path,
    )
    assert run.code == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(rows) == 10_000  # the sandbox's size limit
    assert {r["PERSONAL_CITY"] for r in rows} == {"Reno"}
    assert "to standard output as jsonl" in run.stderr
    assert not (tmp_path / "-").exists()
    # CSV by default; Parquet when asked and redirected.
    run = run_process(["--sandbox", "audiences", "export", audience_id, "-o", "-"], env)
    assert run.stdout.splitlines()[0].startswith("UUID,")
    proc = run_process(
        ["--sandbox", "audiences", "export", audience_id, "-o", "-", "--format", "parquet"],
        env,
        binary=True,
    )
    assert pq.read_table(io.BytesIO(proc.stdout_bytes)).num_rows == 10_000


def test_export_to_standard_output_refuses_resume_and_json(cli: CLI, failing_url: str) -> None:
    run = CLI(failing_url)("audiences", "export", "x", "-o", "-", "--resume")
    assert run.code == 2
    assert "standard output (-o -) cannot be resumed" in run.stderr
    run = CLI(failing_url)("--json", "audiences", "export", "x", "-o", "-")
    assert run.code == 2
    assert "--json and -o - both write to standard output" in run.stderr


# -- 3 and 12: the output's name and format are checked before anything starts ------------------


@pytest.mark.slow
def test_a_format_that_contradicts_the_suffix_is_refused(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path / "data")
    run = run_process(
        ["--sandbox", "audiences", "export", "x", "-o", "people.csv", "--format", "parquet"],
        env,
        cwd=tmp_path,
    )
    assert run.code == 2
    assert "--format parquet does not match the file name 'people.csv'" in run.stderr
    assert "name the file people.parquet, or drop --format" in run.stderr
    assert "Using the local sandbox" not in run.stderr  # refused before the sandbox started
    assert not (tmp_path / "people.csv").exists()
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["audiences", "export", "x", "-o", "people.txt"], "the suffix '.txt' does not tell"),
        (["audiences", "export", "x", "-o", "people.json"], "name the file people.jsonl"),
        (["segments", "export", "b2c_1", "-o", "people"], "no suffix does not tell the format"),
        (["audiences", "export", "x", "-o", "a.csv", "--format", "xls"], "unknown export format"),
        (
            ["pixels", "create", "--name", "Blog", "--url", "blog.example.com"],
            "--url: 'blog.example.com' is not a web address",
        ),
        (["audiences", "show", "x", "-n", "5000"], "--rows: must be between 1 and 1000"),
        (["segments", "show", "b2c_1", "-n", "0"], "--rows: must be between 1 and 1000"),
        (["audiences", "custom", "--topic", "t", "--description", ""], "--description"),
        (["audiences", "preview", "--zip", "123"], "'123' is not a 5-digit ZIP code"),
    ],
)
def test_pure_input_errors_start_no_sandbox(tmp_path: Path, args: list[str], said: str) -> None:
    run = run_process(["--sandbox", *args], sandbox_env(tmp_path / "data"), cwd=tmp_path)
    assert run.code == 2, run.stderr
    assert said in run.stderr
    assert "Using the local sandbox" not in run.stderr
    assert not (tmp_path / "data").exists()  # the sandbox never made its folder


# -- 4: --resume takes the page size from the checkpoint; no "Waiting" before a refusal --------


def _interrupt(sandbox: Sandbox, audience_id: str, out: Path, page_size: int) -> None:
    def stop_after_first_page(progress: object) -> None:
        raise KeyboardInterrupt

    with (
        AudienceLab(api_key=KEY, base_url=sandbox.base_url) as client,
        pytest.raises(KeyboardInterrupt),
    ):
        client.audiences.export(
            audience_id, out, page_size=page_size, on_progress=stop_after_first_page
        )


def test_resume_uses_the_checkpoints_page_size(cli: CLI, sandbox: Sandbox, tmp_path: Path) -> None:
    audience_id = create_audience(cli, "Resume page size", "--state", "OR")
    out = tmp_path / "people.csv"
    _interrupt(sandbox, audience_id, out, 300)
    run = cli("audiences", "export", audience_id, "-o", str(out), "--resume")
    assert run.code == 0, run.stderr
    assert "resumed from page 2" in run.stderr
    fresh = tmp_path / "fresh.csv"
    assert cli("audiences", "export", audience_id, "-o", str(fresh)).code == 0
    assert out.read_bytes() == fresh.read_bytes()
    # A page size given that differs is still refused, with the checkpoint's.
    _interrupt(sandbox, audience_id, out.with_name("again.csv"), 300)
    again = ["-o", str(out.with_name("again.csv")), "--resume", "--page-size", "500"]
    run = cli("audiences", "export", audience_id, *again)
    assert run.code == 2
    assert "--page-size 300" in run.stderr


@pytest.mark.slow
def test_a_checkpoint_refusal_comes_before_any_waiting(
    cli: CLI, sandbox: Sandbox, tmp_path: Path
) -> None:
    audience_id = create_audience(cli, "No waiting", "--state", "WA")
    out = tmp_path / "people.csv"
    _interrupt(sandbox, audience_id, out, 500)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    env.update(
        TERM="xterm-256color",
        AUDIENCELAB_API_KEY=KEY,
        AUDIENCELAB_BASE_URL=sandbox.base_url,
        AUDIENCELAB_CACHE_DIR=os.environ["AUDIENCELAB_CACHE_DIR"],
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "audiencelab.cli", "audiences", "export", audience_id, "-o", str(out)],
        env=env,
        encoding="utf-8",
        dimensions=(40, 200),
        timeout=60,
    )
    child.expect(pexpect.EOF)
    child.close()
    seen = child.before or ""
    assert child.exitstatus == 2, seen
    assert "add --resume to continue it" in seen
    assert "Waiting" not in seen
    assert "Exporting" not in seen


# -- 7 and 8: a --sandbox command's own address is not shown, nor cached -------------------------


@pytest.mark.slow
def test_a_sandbox_404_does_not_show_the_stopped_sandbox_address(tmp_path: Path) -> None:
    run = run_process(
        ["--sandbox", "audiences", "show", "no-such-audience"], sandbox_env(tmp_path / "data")
    )
    assert run.code == 4
    assert "(GET /audiences/no-such-audience?" in run.stderr
    assert "127.0.0.1" not in run.stderr


@pytest.mark.slow
def test_sandbox_links_point_at_sandbox_serve(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path / "data")
    run = run_process(
        ["--sandbox", "--json", "pixels", "create", "--name", "Shop", "--url", "https://s.example"],
        env,
    )
    assert run.code == 0, run.stderr
    created = json.loads(run.stdout)
    assert created["install_url"].startswith("http://127.0.0.1:8765/_sandbox/pixels/")


@pytest.mark.slow
def test_sandbox_runs_leave_no_vocabulary_folders(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**sandbox_env(tmp_path / "data"), "AUDIENCELAB_CACHE_DIR": str(cache)}
    for _ in range(2):
        run = run_process(
            [
                "--sandbox", "audiences", "create", "--name", "I", "--industry",
                "Software Development", "--dry-run",
            ],
            env,
        )  # fmt: skip
        assert run.code == 0, run.stderr
        assert "Checked against the API's lists of industries" in run.stderr
    assert not cache.exists() or not any(cache.rglob("*.json"))


def test_the_cache_setting_is_restored_after_a_sandbox_run(tmp_path: Path) -> None:
    before = os.environ.get("AUDIENCELAB_CACHE_DIR")
    run = CLI(None, key=None)(
        "--sandbox", "attributes", "seniority", env=sandbox_env(tmp_path / "data")
    )
    assert run.code == 0, run.stderr
    assert os.environ.get("AUDIENCELAB_CACHE_DIR") == before


# -- 10: a misspelled flag, and no command at all ----------------------------------------------


@pytest.mark.slow
def test_a_misspelled_flag_is_one_error_line_with_the_closest_flag(tmp_path: Path) -> None:
    run = run_process(["audiences", "create", "--name", "x", "--citys", "Boston"], {})
    assert run.code == 2
    assert run.stderr == (
        "error: no such option: --citys; did you mean --city? "
        "(see `audiencelab audiences create --help`)\n"
    )
    run = run_process(["audiences", "list", "--jsn"], {})
    assert run.code == 2
    assert "did you mean --json?" in run.stderr
    # Only close spellings are offered: "--j" is as near --json as Click's loose 0.6 allows.
    for far in ("--zzzz", "--j"):
        run = run_process(["audiences", "list", far], {})
        assert run.stderr == (
            f"error: no such option: {far} (see `audiencelab audiences list --help`)\n"
        )
    run = run_process(["audiences", "create", "--city", "Boston"], {})
    assert run.code == 2
    assert run.stderr.startswith("error: missing option '--name'")
    assert "╭" not in run.stderr


@pytest.mark.slow
def test_no_command_shows_the_help_and_exits_0() -> None:
    run = run_process([], {})
    assert run.code == 0, run.stderr
    assert "Usage: audiencelab" in run.stdout
    assert "audiences" in run.stdout
    run = run_process(["audiences"], {})
    assert run.code == 0
    assert "Usage: audiencelab audiences" in run.stdout


# -- 11: an unknown enrichment column lists the columns; hints said once ------------------------


def test_an_unknown_enrichment_column_lists_the_columns(failing_url: str, tmp_path: Path) -> None:
    contacts = tmp_path / "in.csv"
    contacts.write_text("email,favourite_colour\na@example.com,red\n", encoding="utf-8")
    run = CLI(failing_url)("enrichments", "create", "--name", "x", str(contacts))
    assert run.code == 2  # nothing sent (the server fails every request)
    assert "column favourite_colour: unknown record key; the columns a job takes are:" in run.stderr
    assert "email, personal_email, business_email, first_name" in run.stderr
    assert "README" not in run.stderr


def test_a_missing_job_and_a_refused_key_are_explained_once(cli: CLI, sandbox: Sandbox) -> None:
    run = cli("enrichments", "wait", "no-such-job")
    assert run.code == 4
    assert run.stderr.count("enrichments list") == 1, run.stderr
    run = CLI(sandbox.base_url, key="sk_test_not_a_key_999")("audiences", "list")
    assert run.code == 3
    assert run.stderr.count("AUDIENCELAB_API_KEY") == 1, run.stderr


# -- 18: profiles, -V, examples, completion -----------------------------------------------------


def _config(tmp_path: Path, text: str, mode: int = 0o600) -> dict[str, str]:
    folder = tmp_path / "config" / "audiencelab"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return {"XDG_CONFIG_HOME": str(tmp_path / "config")}


@pytest.mark.slow
def test_a_profile_gives_the_key_and_address(sandbox: Sandbox, tmp_path: Path) -> None:
    env = _config(
        tmp_path,
        f'default_profile = "test"\n\n[profiles.test]\napi_key = "{KEY}"\n'
        f'base_url = "{sandbox.base_url}"\n\n[profiles.wrong]\napi_key = "sk_test_wrong_cli_key_456"\n'
        f'base_url = "{sandbox.base_url}"\n',
    )
    run = run_process(["--json", "audiences", "list"], env)  # the default profile
    assert run.code == 0, run.stderr
    assert isinstance(json.loads(run.stdout), list)
    assert "warning" not in run.stderr  # mode 600: nothing to say
    run = run_process(["audiences", "list", "--profile", "wrong"], env)
    assert run.code == 3
    assert "Check the key of profile 'wrong' in" in run.stderr
    run = run_process(["audiences", "list"], {**env, "AUDIENCELAB_PROFILE": "wrong"})
    assert run.code == 3
    # The environment's key wins over a profile not named on the command line...
    run = run_process(
        ["audiences", "list"], {**env, "AUDIENCELAB_PROFILE": "wrong", "AUDIENCELAB_API_KEY": KEY}
    )
    assert run.code == 0, run.stderr
    # ... and --profile over the environment.
    run = run_process(
        ["--profile", "wrong", "audiences", "list"], {**env, "AUDIENCELAB_API_KEY": KEY}
    )
    assert run.code == 3


@pytest.mark.slow
def test_a_readable_config_file_is_warned_about(sandbox: Sandbox, tmp_path: Path) -> None:
    env = _config(
        tmp_path,
        f'[profiles.p]\napi_key = "{KEY}"\nbase_url = "{sandbox.base_url}"\n',
        mode=0o644,
    )
    run = run_process(["--profile", "p", "audiences", "list"], env)
    assert run.code == 0, run.stderr
    assert "other users of this machine can read or change it (mode 644)" in run.stderr
    assert "chmod 600" in run.stderr


@pytest.mark.parametrize(
    ("text", "args", "said"),
    [
        ('[profiles.a]\napi_key = "k123456"\n', ["--profile", "b"], "no profile 'b' in"),
        ('[profiles.a]\napi_kee = "k123456"\n', ["--profile", "a"], "did you mean 'api_key'?"),
        ("[profiles.a\n", ["--profile", "a"], "is not valid TOML"),
        ("[profiles.a]\napi_key = 12\n", ["--profile", "a"], "api_key must be a string"),
    ],
)
def test_config_mistakes_are_one_line(
    tmp_path: Path, text: str, args: list[str], said: str
) -> None:
    run = run_process([*args, "audiences", "list"], _config(tmp_path, text))
    assert run.code == 2
    assert said in run.stderr
    assert run.stderr.count("\n") == 1
    assert "k123456" not in run.stderr


@pytest.mark.slow
def test_a_profile_asked_for_without_a_file(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "none")}
    run = run_process(["--profile", "work", "audiences", "list"], env)
    assert run.code == 2
    assert "there is no config file" in run.stderr
    assert "[profiles.work]" in run.stderr
    run = run_process(["--sandbox", "--profile", "work", "audiences", "list"], env)
    assert run.code == 2
    assert "--profile is not used with --sandbox" in run.stderr


@pytest.mark.slow
def test_version_short_flag() -> None:
    run = run_process(["-V"], {})
    assert run.code == 0
    assert run.stdout.startswith("audiencelab ")
    assert run.stdout == run_process(["--version"], {}).stdout


def _left(ctx: object) -> list[str]:
    """What a group's context left for its subcommand (Click 8.2 renamed protected_args)."""
    protected = getattr(ctx, "_protected_args", None)
    if protected is None:
        protected = getattr(ctx, "protected_args", [])
    return [*protected, *getattr(ctx, "args", [])]


@pytest.mark.slow
def test_every_command_has_examples_that_parse() -> None:
    import shlex

    from typer.main import get_command

    from audiencelab.cli import app
    from audiencelab.cli._examples import EXAMPLES
    from audiencelab.cli._parsing import hoist_global_options

    root = get_command(app)
    seen: list[str] = []

    def leaves(command: object, path: tuple[str, ...]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                leaves(sub, (*path, name))
            return
        key = " ".join(path)
        seen.append(key)
        assert key in EXAMPLES, f"`audiencelab {key}` has no examples"
        epilog = getattr(command, "epilog", "") or ""
        assert epilog.startswith("Examples:"), key
        for line in EXAMPLES[key]:
            assert f"$ {line}" in epilog
            command = line.split("|")[0].split("$(")[-1].strip()
            command = command.removesuffix(')"').removesuffix(")")  # out of $(...)
            words = shlex.split(command)
            assert words[0] == "audiencelab", line
            probe = root.make_context("audiencelab", [], resilient_parsing=True)
            args = hoist_global_options(root, probe, words[1:])
            ctx = root.make_context("audiencelab", list(args))
            rest = _left(ctx)
            sub: object = root
            sub_ctx = ctx
            while getattr(sub, "commands", None):
                name, sub, rest = sub.resolve_command(sub_ctx, rest)  # type: ignore[attr-defined]
                sub_ctx = sub.make_context(name, rest, parent=sub_ctx)  # type: ignore[attr-defined]
                rest = _left(sub_ctx)
            assert rest == [], (line, rest)

    leaves(root, ())
    assert set(seen) == set(EXAMPLES)  # no examples of a command that is gone
    help_run = run_process(["audiences", "export", "--help"], {"COLUMNS": "120"})
    assert "$ audiencelab audiences export ID -o - --format jsonl" in help_run.stdout


@pytest.mark.slow
def test_format_values_are_completed() -> None:
    env = {
        "_AUDIENCELAB_COMPLETE": "complete_bash",
        "COMP_WORDS": "audiencelab audiences export ID --format ",
        "COMP_CWORD": "5",
    }
    run = run_process([], env)
    assert run.code == 0
    assert run.stdout.split() == ["csv", "jsonl", "parquet"]
    env["COMP_WORDS"] = "audiencelab segments export b2c_1 --format j"
    assert run_process([], env).stdout.split() == ["jsonl"]


# -- 20: wording --------------------------------------------------------------------------------


def test_one_problem_spec_is_singular(cli: CLI, tmp_path: Path) -> None:
    specs = tmp_path / "specs.yaml"
    specs.write_text(
        "- name: Good\n  filters: {city: [Boston]}\n- name: Bad\n  filters: {zip: ['123']}\n",
        encoding="utf-8",
    )
    run = cli("audiences", "create-many", str(specs))
    assert run.code == 2
    assert "1 of 2 specs has problems (nothing was sent)" in run.stderr


@pytest.mark.slow
def test_preview_says_the_sandbox_audience_stops_at_its_size_limit(tmp_path: Path) -> None:
    run = run_process(
        ["--sandbox", "audiences", "preview", "--state", "CA", "-n", "1"],
        sandbox_env(tmp_path / "data"),
    )
    assert run.code == 0, run.stderr
    count = int(run.stdout.split()[0].replace(",", ""))
    assert count > 10_000
    assert "stops at 10,000 people: the local sandbox's size limit" in run.stderr
    assert run.stdout.count("\n") > 1  # the count, then a table of one person
    small = run_process(
        ["--sandbox", "audiences", "preview", "--city", "Reno", "--zip", "89501", "-n", "0"],
        sandbox_env(tmp_path / "data"),
    )
    assert small.code == 0, small.stderr
    if int(small.stdout.split()[0].replace(",", "")) <= 10_000:
        assert "size limit" not in small.stderr


@pytest.mark.slow
def test_a_sandbox_commands_links_work_while_it_runs(tmp_path: Path) -> None:
    """The links are shown with sandbox serve's address, but the command itself uses its own
    sandbox's: a job's result is downloaded through its csv_url."""
    env = sandbox_env(tmp_path / "data")
    leads = tmp_path / "leads.csv"
    leads.write_text("email,first_name\nana@example.com,Ana\n", encoding="utf-8")
    job = run_process(["--sandbox", "enrichments", "create", str(leads), "--name", "l"], env)
    assert job.code == 0, job.stderr
    listed = run_process(["--sandbox", "--json", "enrichments", "list"], env)
    assert listed.code == 0, listed.stderr
    urls = [j["csv_url"] for j in json.loads(listed.stdout) if j.get("csv_url")]
    assert urls
    assert all(u.startswith("http://127.0.0.1:8765/_sandbox/files/") for u in urls)
    out = tmp_path / "enriched.csv"
    run = run_process(
        ["--sandbox", "enrichments", "download", job.stdout.split()[0], "-o", str(out)], env
    )
    assert run.code == 0, run.stderr
    assert out.read_text(encoding="utf-8").startswith("FIRST_NAME") or out.stat().st_size > 0
