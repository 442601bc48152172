"""Filter values from the command line (issue 9): refused with the fix (exit 2), warned about on
stderr, the three policies, unfiltered audiences, --min-count and --preview."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from .helpers import CLI, audience_ids


def test_a_misspelled_industry_stops_with_the_fix_and_creates_nothing(cli: CLI) -> None:
    before = audience_ids(cli)
    run = cli("audiences", "create", "--name", "x", "--industry", "Sofware Development")
    assert run.code == 2
    assert run.stdout == ""
    assert (
        "error: filters.businessProfile.industry[0]: unknown value 'Sofware Development'; did "
        "you mean 'Software Development'? (nothing was sent)"
    ) in " ".join(run.stderr.split())
    assert audience_ids(cli) == before


def test_a_misspelled_income_in_a_filters_file(cli: CLI, tmp_path: Path) -> None:
    filters = tmp_path / "filters.yaml"
    filters.write_text("profile: {incomeRange: ['$75,000 to $99,99']}\n", encoding="utf-8")
    run = cli("audiences", "create", "--name", "x", "--filters-file", str(filters))
    assert run.code == 2
    assert "did you mean '$75,000 to $99,999'?" in run.stderr


def test_an_unknown_value_is_sent_with_a_warning_on_stderr(cli: CLI) -> None:
    run = cli("audiences", "create", "--name", "x", "--industry", "Quantum Basket Weaving")
    assert run.code == 0, run.stderr
    assert run.stdout.strip()  # created
    assert "warning: filters.businessProfile.industry[0]: 'Quantum Basket Weaving'" in run.stderr
    quiet = cli("-q", "audiences", "create", "--name", "x", "--industry", "Quantum Basket Weaving")
    assert quiet.code == 0
    assert "warning" not in quiet.stderr
    strict = cli(
        "audiences", "create", "--name", "x", "--industry", "Quantum Basket Weaving",
        "--strict-values",
    )  # fmt: skip
    assert strict.code == 2
    assert "value_checks='strict'" in strict.stderr


def test_no_value_checks(cli: CLI) -> None:
    run = cli(
        "audiences", "create", "--name", "x", "--industry", "Sofware Development",
        "--no-value-checks",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    both = cli(
        "audiences",
        "create",
        "--name",
        "x",
        "--city",
        "Austin",
        "--strict-values",
        "--no-value-checks",
    )
    assert both.code == 2
    assert "cannot be used together" in both.stderr


def test_an_unfiltered_audience_needs_allow_unfiltered(cli: CLI) -> None:
    before = audience_ids(cli)
    run = cli("audiences", "create", "--name", "everyone")
    assert run.code == 2
    assert "add --allow-unfiltered if that is what you want" in run.stderr
    assert audience_ids(cli) == before
    run = cli("audiences", "create", "--name", "everyone", "--allow-unfiltered")
    assert run.code == 0, run.stderr


def test_min_count_creates_nothing_when_the_preview_is_too_small(cli: CLI) -> None:
    before = audience_ids(cli)
    run = cli(
        "audiences", "create", "--name", "few", "--zip", "60601", "--min-age", "119",
        "--min-count", "1",
    )  # fmt: skip
    assert run.code == 1
    assert "fewer than the 1 asked for (min_count): nothing was created" in run.stderr
    assert audience_ids(cli) == before


def test_preview_asks_and_refuses_without_a_terminal(cli: CLI) -> None:
    before = audience_ids(cli)
    run = cli("audiences", "create", "--name", "p", "--city", "Austin", "--preview")
    assert run.code == 2
    assert "people match; not creating audience 'p' without confirmation" in run.stderr
    assert "Add --yes" in run.stderr
    assert audience_ids(cli) == before
    run = cli("audiences", "create", "--name", "p", "--city", "Austin", "--preview", "--yes")
    assert run.code == 0, run.stderr
    assert "people match." in run.stderr


def test_preview_and_create_many_check_values_too(cli: CLI, tmp_path: Path) -> None:
    run = cli("audiences", "preview", "--industry", "Sofware Development")
    assert run.code == 2
    assert "did you mean 'Software Development'?" in run.stderr
    specs = tmp_path / "specs.yaml"
    specs.write_text(
        "- name: Typo\n  filters: {businessProfile: {industry: [Sofware Development]}}\n",
        encoding="utf-8",
    )
    run = cli("audiences", "create-many", str(specs))
    assert run.code == 2
    assert (
        "spec 1 ('Typo'): filters.businessProfile.industry[0]: unknown value "
        "'Sofware Development'; did you mean 'Software Development'?"
    ) in run.stderr


@pytest.mark.slow
def test_preview_asks_on_a_terminal(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")},
        "AUDIENCELAB_SANDBOX_DIR": str(tmp_path),
        "AUDIENCELAB_SANDBOX_BUILD_SECONDS": "0",
        "AUDIENCELAB_CACHE_DIR": os.environ["AUDIENCELAB_CACHE_DIR"],
        "NO_COLOR": "1",
    }
    args = ["-m", "audiencelab.cli", "--sandbox", "audiences", "create", "--name", "asked"]
    for answer, code in (("n", 1), ("y", 0)):  # declined: nothing done, exit 1
        child = pexpect.spawn(
            sys.executable,
            [*args, "--city", "Austin", "--preview"],
            env=env,
            encoding="utf-8",
            dimensions=(40, 200),
            timeout=60,
        )
        child.expect(r"people match\. Create audience 'asked'\? \[y/N\]")
        child.sendline(answer)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == code, child.before


def test_create_many_takes_the_value_policies(cli: CLI, tmp_path: Path) -> None:
    specs = tmp_path / "specs.yaml"
    specs.write_text(
        "- name: Typo\n  filters: {businessProfile: {industry: [Sofware Development]}}\n"
        "- name: Everyone\n  filters: {}\n",
        encoding="utf-8",
    )
    run = cli("audiences", "create-many", str(specs), "--no-value-checks", "--allow-unfiltered")
    assert run.code == 0, run.stderr
    assert "Created 2 of 2 audiences." in run.stderr


@pytest.mark.slow
def test_a_city_with_zip_codes_of_another_state_is_refused_by_the_sdk(
    cli: CLI, tmp_path: Path
) -> None:
    """Issue 12: --city Chicago with Massachusetts ZIP codes once gave rows `Chicago,MA,02108`;
    then only the sandbox said so; now the SDK refuses it, before anything is sent (issue 16)."""
    filters = tmp_path / "filters.yaml"
    filters.write_text("zip: ['02108', '02110']\n", encoding="utf-8")
    before = audience_ids(cli)
    run = cli(
        "audiences", "create", "--name", "x", "--city", "Chicago", "--filters-file", str(filters)
    )
    assert run.code == 2, run.stderr
    text = " ".join(run.stderr.split())
    for i, zip_code in enumerate(("02108", "02110")):
        assert (
            f"filters.zip[{i}]: ZIP code {zip_code} is in Boston, MA, and no city given is in MA "
            "(Chicago): together they would match nobody"
        ) in text
    assert "the sandbox says" not in run.stderr  # the SDK's own word, before any request
    assert audience_ids(cli) == before
    # Boston's ZIP codes give Boston people, in Massachusetts.
    run = cli(
        "audiences", "create", "--name", "y", "--city", "Boston", "--filters-file", str(filters)
    )
    assert run.code == 0, run.stderr
    rows = cli("--json", "audiences", "show", run.stdout.strip(), "--rows", "50").json()["data"]
    assert rows
    assert {(r["PERSONAL_CITY"], r["PERSONAL_STATE"]) for r in rows} == {("Boston", "MA")}
    assert {r["PERSONAL_ZIP"] for r in rows} <= {"02108", "02110"}


@pytest.mark.slow
def test_geography_and_typos_are_refused_by_a_dry_run_as_by_a_send(cli: CLI) -> None:
    """Issue 16: a dry run runs the same plan as a send (the API's lists, geography)."""
    cases = [
        (
            ("--city", "Austin", "--state", "NY"),
            "filters.city[0]: 'Austin' is a city of TX, AR, CO, IN, KY, MN, MO, NV and 2 more, "
            "not of any state given (NY): together they would match nobody",
        ),
        (
            ("--city", "San Fransisco"),
            "filters.city[0]: unknown city 'San Fransisco'; did you mean 'San Francisco'?",
        ),
        (
            ("--industry", "Sofware Development"),
            "filters.businessProfile.industry[0]: unknown value 'Sofware Development'; did you "
            "mean 'Software Development'?",
        ),
    ]
    for flags, message in cases:
        for dry_run in ((), ("--dry-run",)):
            run = cli("audiences", "create", "--name", "x", *flags, *dry_run)
            assert run.code == 2, (flags, dry_run, run.stderr)
            assert message in " ".join(run.stderr.split()), (flags, dry_run)
            assert run.stdout == ""
    run = cli(
        "audiences", "create", "--name", "x", "--industry", "software development", "--dry-run"
    )
    assert run.code == 0, run.stderr
    assert '"industry":["Software Development"]' in run.stdout  # as it would be sent
