"""Where a new user stumbled in their first hour (issue 12), each tried as they did."""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pexpect
import pytest

from audiencelab import AudienceLab, RetryPolicy
from audiencelab.sandbox import Sandbox, SandboxConfig

from .helpers import CLI, KEY, WRONG_KEY, assert_no_secret, create_audience, run_process


def sandbox_env(folder: Path) -> dict[str, str]:
    return {"AUDIENCELAB_SANDBOX_DIR": str(folder), "AUDIENCELAB_SANDBOX_BUILD_SECONDS": "0"}


# -- 6: event types are checked before anything is sent --------------------------------------


def test_an_unknown_event_type_is_refused_before_sending(cli: CLI, failing_url: str) -> None:
    # Against a server that fails every request: exit 2, not 1, means nothing was sent.
    run = CLI(failing_url)("pixels", "events", "any-pixel", "--event-type", "bogus")
    assert run.code == 2, run.stderr
    assert "--event-type: 'bogus' is not an event type" in run.stderr
    for event_type in ("authentication", "page_view", "exit_intent", "all_form_submissions"):
        assert event_type in run.stderr
    run = CLI(failing_url)("pixels", "events", "any-pixel", "--event-type", "page_vew")
    assert run.code == 2
    assert "did you mean 'page_view'?" in run.stderr
    # A documented type goes through, and filters the events.
    pixel = cli("pixels", "create", "--name", "Shop", "--url", "https://shop.example").stdout
    events = cli("--json", "pixels", "events", pixel.strip(), "--event-type", "copy", "-n", "0")
    assert events.code == 0, events.stderr
    data = events.json()
    assert isinstance(data, list)
    assert {e["event_type"] for e in data} <= {"copy"}


# -- 8: an export that fails after its retries says how to resume ------------------------------


@pytest.mark.slow
def test_an_export_failing_after_retries_says_resume_and_resuming_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a sandbox failing 80 % of requests (500/502/503), a page fails all its retries:
    the message names --resume and the page to continue from. Resumed against a sandbox failing
    30 % of them (retried as usual), the export completes, byte for byte the file an export
    without faults writes. The three sandboxes share one database, so one audience."""
    # Retries without their backoff delays, so that the test takes seconds, not minutes; the
    # decisions (what is retried, how often, what the error says) are the SDK's own.
    fast = RetryPolicy(initial_delay=0.001, max_delay=0.001, max_retry_after=0)
    monkeypatch.setattr(
        "audiencelab.cli._context.AudienceLab", functools.partial(AudienceLab, retry_policy=fast)
    )
    db = str(tmp_path / "sandbox.db")
    common = {"db": db, "api_keys": (KEY,), "build_seconds": 0, "max_audience_size": 300}
    with (
        Sandbox(SandboxConfig(port=0, **common)) as clean,
        Sandbox(SandboxConfig(port=0, fail_rate=0.8, seed=12, **common)) as failing,
        Sandbox(SandboxConfig(port=0, fail_rate=0.3, seed=12, **common)) as flaky,
    ):
        audience_id = create_audience(CLI(clean.base_url), "Flaky", "--city", "Omaha")
        args = ["audiences", "export", audience_id, "--page-size", "20", "--wait-timeout", "0"]
        expected = tmp_path / "expected.csv"
        assert CLI(clean.base_url)(*args, "-o", str(expected)).code == 0
        out = tmp_path / "people.csv"
        checkpoint = tmp_path / "people.csv.part.json"
        said = None
        for _ in range(50):  # until a page after the first fails all its retries
            run = CLI(failing.base_url)(*args, "--concurrency", "1", "-o", str(out), "--force")
            said = re.search(r"Add --resume to continue from page (\d+)\.", run.stderr)
            if said is not None:
                break
            # It completed, or failed before writing anything: then there is nothing to resume.
            assert run.code == 0 or not checkpoint.exists(), run.stderr
        assert said is not None, run.stderr
        assert run.code == 1
        assert checkpoint.exists()
        assert not out.exists()
        run = CLI(flaky.base_url)(*args, "-o", str(out), "--resume")
        assert run.code == 0, run.stderr
        assert f"resumed from page {said.group(1)}" in run.stderr
        assert out.read_bytes() == expected.read_bytes()


# -- 9: with --base-url, the hints do not suggest --sandbox ---------------------------------------


def test_with_base_url_a_refused_key_does_not_suggest_the_sandbox(sandbox: Sandbox) -> None:
    run = CLI(key=WRONG_KEY)("--base-url", sandbox.base_url, "audiences", "list")
    assert run.code == 3
    assert "--sandbox" not in run.stderr
    assert "the server at --base-url must accept it" in run.stderr
    run = CLI(key=None)("audiences", "list", "--base-url", sandbox.base_url)
    assert run.code == 3
    assert "--sandbox" not in run.stderr
    assert "AUDIENCELAB_API_KEY" in run.stderr
    # Without --base-url, --sandbox is a way out and is still offered.
    run = CLI(sandbox.base_url, key=WRONG_KEY)("audiences", "list")
    assert run.code == 3
    assert "or add --sandbox" in run.stderr


# -- 10: the sandbox notice comes before the delete prompt ---------------------------------------


@pytest.mark.slow
def test_the_sandbox_notice_comes_before_the_delete_question(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path / "data")
    created = run_process(
        ["--sandbox", "audiences", "create", "--name", "Ask", "--city", "Reno"], env
    )
    assert created.code == 0, created.stderr
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    clean.update(TERM="xterm-256color", COLUMNS="200", LINES="40", **env)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "audiencelab.cli", "--sandbox", "audiences", "delete", created.stdout.strip()],
        env=clean,
        encoding="utf-8",
        dimensions=(40, 200),
        timeout=60,
    )
    child.expect(r"\[y/N\]")
    before_question = child.before
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1  # declined: nothing done (issue 19, point 20)
    assert "Using the local sandbox" in before_question
    assert "not the real AudienceLab API" in before_question


# -- 11: a pixel made with --sandbox points at a sandbox that keeps running -----------------------


@pytest.mark.slow
def test_a_sandbox_pixel_says_where_its_install_url_is_served(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path / "data")
    run = run_process(
        ["--sandbox", "pixels", "create", "--name", "Shop", "--url", "https://shop.example"], env
    )
    assert run.code == 0, run.stderr
    pixel_id = run.stdout.strip()
    db = tmp_path / "data" / "sandbox.db"
    assert f"audiencelab sandbox serve --db {db}" in run.stderr
    assert "has stopped" in run.stderr
    served = re.search(r"use (http://127\.0\.0\.1:8765(/\S+\.js))", run.stderr)
    assert served is not None, run.stderr
    assert pixel_id in served.group(1)
    # What `audiencelab sandbox serve --db ...` serves at that path (here on a free port).
    with Sandbox(SandboxConfig(port=0, db=str(db))) as sb:
        script = httpx.get(sb.base_url + served.group(2))
    assert script.status_code == 200
    assert pixel_id in script.text


# -- 12: an unquoted ZIP in YAML is refused, with the user's own text suggested ------------------


def test_an_unquoted_yaml_zip_suggests_what_was_typed(cli: CLI, tmp_path: Path) -> None:
    filters = tmp_path / "filters.yaml"
    # YAML reads 02107 as the octal number 1095; 02108 (8 is no octal digit) as a string.
    filters.write_text("city: [Boston]\nzip: [02108, 02107]\n", encoding="utf-8")
    for dry_run in (["--dry-run"], []):
        run = cli("audiences", "create", "--name", "Z", "--filters-file", str(filters), *dry_run)
        assert run.code == 2, run.stderr
        assert "did you mean '02107'?" in run.stderr
        assert "01095" not in run.stderr
        assert "the unquoted 02107" in run.stderr
    run = cli("audiences", "preview", "--filters-file", str(filters))
    assert run.code == 2
    assert "did you mean '02107'?" in run.stderr
    # Quoted, it is sent as typed.
    filters.write_text('city: [Boston]\nzip: [02108, "02107"]\n', encoding="utf-8")
    run = cli("audiences", "create", "--name", "Z", "--filters-file", str(filters), "--dry-run")
    assert run.code == 0, run.stderr
    assert '"zip":["02108","02107"]' in run.stdout
    assert_no_secret(run.stdout)
