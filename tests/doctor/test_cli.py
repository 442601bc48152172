"""``audiencelab doctor`` and ``audiencelab sandbox serve --profile``, as real processes against
real servers on loopback: the table, ``--json``, ``-o``, the exit codes, the request log, and a
report that makes a sandbox answer as the API it was made from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiencelab.cli import app

from .conftest import KEY, clean_env, load, request_log, run_cli, server_process

PROBES = (
    "reach", "authenticate", "audiences.list", "audiences.records", "errors",
    "attributes.segments", "attributes.industries", "attributes.seniority",
    "attributes.departments", "attributes.sic", "attributes.gender", "pixels.list",
    "enrichment.jobs", "audiences.preview", "headers",
)  # fmt: skip


def rows(stdout: str) -> dict[str, str]:
    """Each check of the table and its verdict (the last cell)."""
    found = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) == 4 and cells[0] in PROBES:
            found[cells[0]] = cells[3]
    return found


@pytest.mark.slow
def test_sandbox_doctor_prints_every_probe_as_assumed_and_exits_0(tmp_path: Path) -> None:
    env = {"AUDIENCELAB_SANDBOX_DIR": str(tmp_path), "AUDIENCELAB_SANDBOX_BUILD_SECONDS": "0"}
    created = run_cli(
        "--sandbox", "audiences", "create", "--name", "x", "--city", "Austin", env=env
    )
    assert created.returncode == 0, created.stderr
    done = run_cli("--sandbox", "doctor", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    verdict = rows(done.stdout)
    assert list(verdict) == list(PROBES)
    assert {v for k, v in verdict.items() if k != "audiences.preview"} == {"as assumed"}
    assert verdict["audiences.preview"] == "skipped"
    assert "Everything as assumed" in done.stdout
    assert "Traceback" not in done.stderr


FLAG_VARIANTS = [
    (["--list-total-key", "total"], "`total` instead of `total_records`"),
    (["--error-style", "string"], "(string style)"),
    (["--error-style", "message"], "(message style)"),
    (
        [arg for n in ("segments", "industries", "seniority") for arg in ("--attribute-list", n)],
        "404 for GET /audiences/attributes/departments",
    ),
    (["--missing-endpoint", "GET /pixels"], "404 for GET /pixels"),
    (["--forbidden-endpoint", "GET /enrichments"], "403 for GET /enrichments: the key lacks READ"),
]


@pytest.mark.parametrize(
    ("flags", "said"), FLAG_VARIANTS, ids=[" ".join(f) for f, _ in FLAG_VARIANTS]
)
@pytest.mark.slow
def test_each_variant_flag_is_named_and_exits_1_with_only_gets(flags: list[str], said: str) -> None:
    """The servers are real processes; the command runs in-process (Typer's runner): faster."""
    with server_process(*flags) as server:
        before = len(request_log(server.base_url))
        env = {"AUDIENCELAB_API_KEY": KEY, "AUDIENCELAB_BASE_URL": server.base_url, "NO_COLOR": "1"}
        done = CliRunner().invoke(app, ["doctor"], env=env)
        sent = request_log(server.base_url)[before:]
    assert done.exit_code == 1, done.stdout + done.stderr
    assert said in done.stdout
    assert "Differences:" in done.stdout
    assert KEY not in done.stdout + done.stderr
    assert {e["method"] for e in sent} == {"GET"}


@pytest.mark.slow
def test_json_and_output_file_hold_the_same_report_without_the_key(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    with server_process("--error-style", "string") as server:
        before = len(request_log(server.base_url))
        done = run_cli(
            "--base-url", server.base_url, "doctor", "--with-preview", "--json", "-o", str(out),
            env={"AUDIENCELAB_API_KEY": KEY},
        )  # fmt: skip
        sent = request_log(server.base_url)[before:]
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)  # --json: one document on stdout, nothing else
    assert document == load(out)
    assert document["exit_code"] == 1
    assert document["key"] == f"sk_test_… ({len(KEY)} characters)"
    assert KEY not in out.read_text(encoding="utf-8")
    assert [e["path"] for e in sent if e["method"] == "POST"] == ["/audiences/preview"]
    assert {e["method"] for e in sent} == {"GET", "POST"}
    assert "may cost credits" not in done.stderr  # --json: no sentences for people on stderr


@pytest.mark.slow
def test_a_refused_key_exits_3(tmp_path: Path) -> None:
    with server_process() as server:
        done = run_cli(
            "--base-url", server.base_url, "doctor", "-o", str(tmp_path / "r.json"),
            env={"AUDIENCELAB_API_KEY": "sk_test_wrong_key_for_doctor"},
        )  # fmt: skip
    assert done.returncode == 3
    assert rows(done.stdout)["authenticate"] == "refused"
    assert "error: the API refused this key" in done.stderr
    assert "sk_test_wrong_key_for_doctor" not in done.stdout + done.stderr
    assert "sk_test_wrong_key_for_doctor" not in (tmp_path / "r.json").read_text(encoding="utf-8")


def _differences(report: dict[str, object]) -> set[tuple[str, str, str, bool]]:
    found = report["differences"]
    assert isinstance(found, list)
    return {(d["probe"], d["kind"], d["what"], d["tolerated"]) for d in found}


@pytest.mark.slow
def test_a_sandbox_served_with_a_report_makes_doctor_find_the_same(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    variant = (
        "--list-total-key", "total", "--error-style", "message", "--missing-endpoint",
        "GET /pixels", "--forbidden-endpoint", "GET /enrichments", "--attribute-list", "segments",
        "--attribute-list", "gender",
    )  # fmt: skip
    env = {"AUDIENCELAB_API_KEY": KEY}
    with server_process(*variant) as server:
        done = run_cli("--base-url", server.base_url, "doctor", "-o", str(first), env=env)
    assert done.returncode == 1, done.stderr
    report = load(first)
    assert report["sandbox_profile"] == {
        "version": 1, "list_total_key": "total", "error_style": "message",
        "attribute_lists": ["segments", "gender"], "missing_endpoints": ["GET /pixels"],
        "forbidden_endpoints": ["GET /enrichments"],
    }  # fmt: skip
    with server_process("--profile", str(first), python_m=True) as mimic:
        assert any("list-total-key total" in line for line in mimic.banner)
        again = run_cli("--base-url", mimic.base_url, "doctor", "-o", str(second), env=env)
    assert again.returncode == 1, again.stderr
    repeated = load(second)
    assert _differences(repeated) == _differences(report)
    assert len(_differences(report)) >= 8
    verdicts = [(p["name"], p["verdict"]) for p in report["probes"]]
    assert [(p["name"], p["verdict"]) for p in repeated["probes"]] == verdicts
    assert repeated["sandbox_profile"] == report["sandbox_profile"]


@pytest.mark.slow
def test_a_bad_profile_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    missing = tmp_path / "nope.json"
    for command in (
        [sys.executable, "-m", "audiencelab.cli", "sandbox", "serve"],
        [sys.executable, "-m", "audiencelab.sandbox"],
    ):
        done = subprocess.run(
            [*command, "--port", "0", "--profile", str(missing)],
            capture_output=True, text=True, timeout=60, env=clean_env(), check=False,
        )  # fmt: skip
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            f"error: --profile {missing}: cannot read it (No such file or directory)"
        ]


def test_an_output_folder_that_does_not_exist_is_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    from .conftest import sandbox

    with sandbox() as sb:
        before = len(request_log(sb.base_url))
        env = {"AUDIENCELAB_API_KEY": KEY, "AUDIENCELAB_BASE_URL": sb.base_url, "NO_COLOR": "1"}
        target = tmp_path / "no" / "such" / "report.json"
        done = CliRunner().invoke(app, ["doctor", "-o", str(target)], env=env)
        assert len(request_log(sb.base_url)) == before
    assert done.exit_code == 2
    assert done.stderr.strip() == (
        f"error: cannot write the report to {str(target)!r}: the folder "
        f"{str(target.parent)!r} does not exist"
    )
