"""``audiencelab audiences ...`` against a real sandbox: what is sent, what comes back, the files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from audiencelab import AudienceLab
from audiencelab._sansio import encode_json
from audiencelab.sandbox import Sandbox

from .helpers import CLI, KEY, audience_ids, create_audience


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_create_with_flags_then_export_gives_matching_people(cli: CLI, tmp_path: Path) -> None:
    audience_id = create_audience(
        cli,
        "Software Engineers in NYC",
        "--city",
        "New York",
        "--min-age",
        "25",
        "--max-age",
        "45",
        "--industry",
        "Software Development",
    )
    out = tmp_path / "people.csv"
    run = cli("audiences", "export", audience_id, "-o", str(out))
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    assert f"Exported 1,500 rows (2 pages) to {out}" in run.stderr
    rows = read_csv(out)
    assert len(rows) == 1500
    assert list(rows[0])[:3] == ["UUID", "FIRST_NAME", "LAST_NAME"]
    for row in rows:
        assert row["PERSONAL_CITY"] == "New York"
        assert 25 <= int(row["AGE"]) <= 45
        assert row["COMPANY_INDUSTRY"] == "Software Development"


def test_create_from_a_yaml_filters_file_with_a_flag_overriding_it(
    cli: CLI, tmp_path: Path
) -> None:
    filters = tmp_path / "filters.yaml"
    filters.write_text(
        "# the API's filters object, official keys\n"
        "city: [Boston]\n"
        "age: {minAge: 30, maxAge: 40}\n"
        "businessProfile:\n"
        "  industry: [Hospitals and Health Care]\n",
        encoding="utf-8",
    )
    audience_id = create_audience(
        cli, "Chicago nurses", "--filters-file", str(filters), "--city", "Chicago"
    )
    out = tmp_path / "people.jsonl"
    assert cli("audiences", "export", audience_id, "-o", str(out)).code == 0
    rows = read_jsonl(out)
    assert len(rows) == 1500
    for row in rows:
        assert row["PERSONAL_CITY"] == "Chicago"  # the flag replaced the file's city
        assert 30 <= int(row["AGE"]) <= 40  # the file's age range was kept
        assert row["COMPANY_INDUSTRY"] == "Hospitals and Health Care"


def test_dry_run_prints_the_exact_body_and_sends_nothing(
    cli: CLI, tmp_path: Path, sandbox: Sandbox
) -> None:
    filters = tmp_path / "filters.json"
    filters.write_text(
        json.dumps(
            {
                "business_profile": {"industry": ["Retail"], "seniority": ["director"]},
                "age": {"min_age": 21},
                "gender": ["female"],
            }
        ),
        encoding="utf-8",
    )
    before = audience_ids(cli)
    args = (
        "audiences",
        "create",
        "--name",
        "Dry run",
        "--filters-file",
        str(filters),
        "--industry",
        "Software Development",
        "--max-age",
        "65",
        "--state",
        "New York",
        "--segment",
        "b2c_1253",
        "--days-back",
        "30",
        "--dry-run",
    )
    run = cli(*args)
    assert run.code == 0, run.stderr
    expected = {
        "name": "Dry run",
        "filters": {
            "age": {"minAge": 21, "maxAge": 65},
            "state": ["NY"],
            "gender": ["F"],
            # re-spelled as the API's list spells it, exactly as a send would
            "businessProfile": {"industry": ["Software Development"], "seniority": ["Director"]},
        },
        "segment": ["b2c_1253"],
        "days_back": 30,
    }
    assert run.stdout.encode("utf-8") == encode_json(expected) + b"\n"
    assert "nothing was sent" in run.stderr
    assert "Checked against the API's lists of industries, segments, seniority." in run.stderr
    assert audience_ids(cli) == before
    # No key and no server are needed to see what would be sent; the values the API's lists
    # would check are then sent as written, and said to be unchecked.
    offline = CLI(base_url=None, key=None)(*args)
    assert offline.code == 0, offline.stderr
    unchecked = {**expected, "filters": {**expected["filters"]}}
    unchecked["filters"]["businessProfile"] = {  # type: ignore[index]
        "industry": ["Software Development"],
        "seniority": ["director"],
    }
    assert offline.stdout.encode("utf-8") == encode_json(unchecked) + b"\n"
    for name in ("industries", "seniority", "segments"):
        assert f"not checked against the API's list of {name} (no client" in offline.stderr


def test_a_bad_filters_file_is_refused_with_the_sdk_message(cli: CLI, tmp_path: Path) -> None:
    filters = tmp_path / "filters.yaml"
    filters.write_text("zipCode: ['10001']\nbusinessProfile: {industries: [Retail]}\n")
    run = cli("audiences", "create", "--name", "x", "--filters-file", str(filters))
    assert run.code == 2
    assert "filters.zipCode: unknown filter; did you mean 'zip'?" in run.stderr
    assert "did you mean 'industry'?" in run.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("city: [Boston\n")
    run = cli("audiences", "create", "--name", "x", "--filters-file", str(broken))
    assert run.code == 2
    assert "not valid YAML" in run.stderr
    run = cli("audiences", "create", "--name", "x", "--filters-file", str(tmp_path / "none.yaml"))
    assert run.code == 2
    assert "does not exist" in run.stderr


SPECS = """\
- name: Boston retail
  filters: {city: [Boston], businessProfile: {industry: [Retail]}}
- name: Texas seniors
  filters: {state: [TX], age: {minAge: 65}}
  days_back: 14
- name: Consumers
  filters: {}
  segment: [b2c_1253]
"""


@pytest.mark.slow
def test_create_many_makes_every_audience_once(cli: CLI, tmp_path: Path) -> None:
    specs = tmp_path / "specs.yaml"
    specs.write_text(SPECS, encoding="utf-8")
    before = audience_ids(cli)
    run = cli("audiences", "create-many", str(specs), "--concurrency", "3")
    assert run.code == 0, run.stderr
    for name in ("Boston retail", "Texas seniors", "Consumers"):
        assert name in run.stdout
    assert run.stdout.count("created") == 3
    assert "Created 3 of 3 audiences." in run.stderr
    new = audience_ids(cli) - before
    assert len(new) == 3
    assert all(audience_id in run.stdout for audience_id in new)


def test_create_many_dry_run_prints_every_body(cli: CLI, tmp_path: Path) -> None:
    specs = tmp_path / "specs.yaml"
    specs.write_text(SPECS, encoding="utf-8")
    before = audience_ids(cli)
    run = cli("audiences", "create-many", str(specs), "--dry-run")
    assert run.code == 0, run.stderr
    assert run.stdout.encode().splitlines() == [
        encode_json(
            {
                "name": "Boston retail",
                "filters": {"city": ["Boston"], "businessProfile": {"industry": ["Retail"]}},
            }
        ),
        encode_json(
            {
                "name": "Texas seniors",
                "filters": {"age": {"minAge": 65}, "state": ["TX"]},
                "days_back": 14,
            }
        ),
        encode_json({"name": "Consumers", "filters": {}, "segment": ["b2c_1253"]}),
    ]
    assert audience_ids(cli) == before


def test_create_many_json_lists_the_results(cli: CLI, tmp_path: Path) -> None:
    specs = tmp_path / "specs.json"
    specs.write_text(json.dumps([{"name": "J1", "filters": {"city": ["Denver"]}}]))
    run = cli("--json", "audiences", "create-many", str(specs))
    assert run.code == 0, run.stderr
    results = run.json()
    assert isinstance(results, list)
    [result] = results
    assert result["status"] == "created"
    assert result["name"] == "J1"
    assert result["audienceId"] in audience_ids(cli)


def test_create_many_checks_every_spec_before_sending_any(cli: CLI, tmp_path: Path) -> None:
    specs = tmp_path / "specs.yaml"
    specs.write_text(
        SPECS
        + "- name: Broken\n  filters: {age: {minAge: 70, maxAge: 20}}\n  daysBack: 3\n"
        + "- filters: {city: [Reno]}\n",
        encoding="utf-8",
    )
    before = audience_ids(cli)
    run = cli("audiences", "create-many", str(specs))
    assert run.code == 2
    assert "2 of 5 specs have problems (nothing was sent)" in run.stderr
    assert "spec 4 ('Broken'): filters.age: minAge (70) is greater than maxAge (20)" in run.stderr
    assert "spec 4 ('Broken'): daysBack: unknown key; did you mean 'days_back'?" in run.stderr
    assert "spec 5: name: required: give a non-empty string" in run.stderr
    assert audience_ids(cli) == before


def test_create_many_reports_unknown_outcomes_and_never_retries(
    failing_url: str, tmp_path: Path
) -> None:
    specs = tmp_path / "specs.yaml"
    specs.write_text(SPECS, encoding="utf-8")
    run = CLI(failing_url)("--json", "audiences", "create-many", str(specs))
    assert run.code == 1
    results = run.json()
    assert isinstance(results, list)
    assert [r["status"] for r in results] == ["unknown"] * 3
    assert all("may or may not have taken effect" in r["error"] for r in results)
    table = CLI(failing_url)("audiences", "create-many", str(specs))
    assert table.code == 1
    assert table.stdout.count("outcome unknown — check before retrying") == 3
    assert "3 with unknown outcome" in table.stderr


def test_show_lists_the_first_people(cli: CLI) -> None:
    audience_id = create_audience(cli, "Show me", "--city", "Seattle")
    run = cli("audiences", "show", audience_id, "--rows", "4")
    assert run.code == 0
    assert "FIRST_NAME" in run.stdout
    assert "PERSONAL_EMAILS" in run.stdout
    assert run.stdout.count("Seattle") == 4
    assert "Showing 4 of 1,500 people" in run.stderr
    run = cli("audiences", "show", audience_id, "-n", "2", "-c", "FIRST_NAME", "-c", "AGE")
    assert "PERSONAL_CITY" not in run.stdout
    run = cli("audiences", "show", audience_id, "--rows", "0")
    assert run.code == 2
    assert "--rows: must be between 1 and 1000" in run.stderr


@pytest.mark.slow
def test_an_audience_still_building(slow_cli: CLI, tmp_path: Path) -> None:
    audience_id = create_audience(slow_cli, "Slow", "--city", "Boston")
    run = slow_cli("audiences", "show", audience_id)
    assert run.code == 1
    assert "still being built" in run.stderr
    assert f"audiencelab audiences wait {audience_id}" in run.stderr
    run = slow_cli("audiences", "wait", audience_id, "--timeout", "0.2")
    assert run.code == 1
    assert "still had no data" in run.stderr
    assert "--timeout" in run.stderr
    out = tmp_path / "slow.csv"
    run = slow_cli("audiences", "export", audience_id, "-o", str(out), "--wait-timeout", "0.2")
    assert run.code == 1
    assert not out.exists()


def test_export_refuses_to_overwrite_then_overwrites(cli: CLI, tmp_path: Path) -> None:
    audience_id = create_audience(cli, "Overwrite", "--city", "Miami")
    out = tmp_path / "people.csv"
    out.write_text("keep me\n")
    run = cli("audiences", "export", audience_id, "-o", str(out))
    assert run.code == 2
    assert "already exists; add --overwrite to replace it" in run.stderr
    assert out.read_text() == "keep me\n"
    assert cli("audiences", "export", audience_id, "-o", str(out), "--force").code == 0
    assert len(read_csv(out)) == 1500
    run = cli("--json", "audiences", "export", audience_id, "-o", str(out), "--overwrite")
    summary = run.json()
    assert isinstance(summary, dict)
    assert (summary["rows"], summary["pages"], summary["format"]) == (1500, 2, "csv")
    assert summary["path"] == str(out)
    run = cli("audiences", "export", audience_id, "-o", str(tmp_path / "people.json"))
    assert run.code == 2
    assert "--format jsonl" in run.stderr


@pytest.mark.slow
def test_export_to_parquet(cli: CLI, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    audience_id = create_audience(cli, "Parquet", "--city", "Portland", "--max-age", "30")
    out = tmp_path / "people.parquet"
    run = cli("audiences", "export", audience_id, "-o", str(out), "--concurrency", "1")
    assert run.code == 0, run.stderr
    table = pq.read_table(out, columns=["PERSONAL_CITY", "AGE"])
    assert table.num_rows == 1500
    assert set(table.column("PERSONAL_CITY").to_pylist()) == {"Portland"}
    assert max(int(age) for age in table.column("AGE").to_pylist()) <= 30


def test_export_resumes_an_interrupted_export(cli: CLI, sandbox: Sandbox, tmp_path: Path) -> None:
    audience_id = create_audience(cli, "Resume", "--state", "CA")
    out = tmp_path / "resumed.csv"

    def stop_after_first_page(progress: object) -> None:
        raise KeyboardInterrupt

    with (
        AudienceLab(api_key=KEY, base_url=sandbox.base_url) as client,
        pytest.raises(KeyboardInterrupt),
    ):
        client.audiences.export(audience_id, out, page_size=500, on_progress=stop_after_first_page)
    assert not out.exists()
    run = cli("audiences", "export", audience_id, "-o", str(out), "--page-size", "500")
    assert run.code == 2
    assert "add --resume to continue it" in run.stderr
    run = cli("audiences", "export", audience_id, "-o", str(out), "--page-size", "500", "--resume")
    assert run.code == 0, run.stderr
    assert "resumed from page 2" in run.stderr
    fresh = tmp_path / "fresh.csv"
    assert cli("audiences", "export", audience_id, "-o", str(fresh), "--page-size", "500").code == 0
    assert out.read_bytes() == fresh.read_bytes()
    assert len(read_csv(out)) == 1500


def test_delete_asks_and_refuses_without_a_terminal(cli: CLI) -> None:
    audience_id = create_audience(cli, "Doomed", "--city", "Tampa")
    run = cli("audiences", "delete", audience_id)
    assert run.code == 2
    assert "--yes" in run.stderr
    assert audience_id in audience_ids(cli)
    run = cli("audiences", "delete", audience_id, "--yes")
    assert run.code == 0
    assert audience_id not in audience_ids(cli)
    assert cli("audiences", "show", audience_id).code == 4


def test_preview_counts_and_samples(cli: CLI) -> None:
    run = cli("audiences", "preview", "--city", "Boston", "--min-age", "30", "--limit", "3")
    assert run.code == 0, run.stderr
    assert "people match" in run.stdout
    assert run.stdout.count("Boston") == 3
    data = cli("--json", "audiences", "preview", "--city", "Boston", "--limit", "2").json()
    assert isinstance(data, dict)
    assert data["count"] > 0
    assert len(data["result"]) == 2
    run = cli("audiences", "preview", "--city", "Boston", "--days-back", "30")
    assert run.code == 2
    assert "--days-back: must be between 1 and 10" in run.stderr


def test_custom_audience(cli: CLI) -> None:
    run = cli("audiences", "custom", "--topic", "Yoga", "--description", "People into yoga")
    assert (run.code, run.stdout) == (0, "processing\n")
    assert cli("audiences", "custom", "--topic", " ", "--description", "x").code == 2


def test_attributes(cli: CLI) -> None:
    run = cli("attributes", "industries")
    assert run.code == 0
    assert "Software Development" in run.stdout.splitlines()
    segments = cli("--json", "attributes", "segments").json()
    assert isinstance(segments, dict)
    assert {"id": "b2c_1253", "name": "Home Improvement Shoppers", "b2b": False}.items() <= (
        segments["values"][0].items()
    )
    run = cli("attributes", "industrie")
    assert run.code == 2
    assert "did you mean 'industries'?" in run.stderr
