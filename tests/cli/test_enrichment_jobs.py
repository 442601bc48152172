"""Bulk enrichment of any size: several jobs waited for and downloaded into one CSV, and
``enrich --field`` showing the columns asked for."""

from __future__ import annotations

import csv
import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audiencelab.cli._csvjoin import join_csv_files
from audiencelab.cli._errors import CliError
from audiencelab.sandbox import Sandbox

from .helpers import CLI, KEY, assert_no_secret

# The README's bulk enrichment pattern, as a user types it (with the input of this test).
README_PATTERN = """
JOB=$(audiencelab enrichments create contacts.csv --name "March leads")
audiencelab enrichments wait "$JOB" && audiencelab enrichments download "$JOB" -o enriched.csv
"""


def _contacts(path: Path, count: int, prefix: str = "person") -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("email,first_name\n")
        for i in range(count):
            f.write(f"{prefix}{i}@example.com,{prefix.title()}{i}\n")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _start(cli: CLI, csv_file: Path, name: str) -> list[str]:
    run = cli("enrichments", "create", str(csv_file), "--name", name)
    assert run.code == 0, run.stderr
    return run.stdout.split()


@pytest.mark.slow
def test_the_readme_pattern_works_for_more_than_10000_records(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """10,001 records become two jobs (10,000 per job): `wait "$JOB"` and `download "$JOB"`
    take both IDs from the one argument and write one CSV, one header, every record in order."""
    _contacts(tmp_path / "contacts.csv", 10_001)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    env.update(
        AUDIENCELAB_API_KEY=KEY,
        AUDIENCELAB_BASE_URL=sandbox.base_url,
        NO_COLOR="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    proc = subprocess.run(
        ["bash", "-e", "-c", README_PATTERN],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert_no_secret(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert "Started 2 enrichment jobs for 10,001 records" in proc.stderr
    assert "(the results of 2 jobs, joined)" in proc.stderr
    text = (tmp_path / "enriched.csv").read_text(encoding="utf-8")
    assert text.count("UUID,FIRST_NAME,") == 1  # one header
    rows = _rows(tmp_path / "enriched.csv")
    assert [r["FIRST_NAME"] for r in rows] == [f"Person{i}" for i in range(10_001)]


@pytest.mark.slow
def test_wait_and_download_take_several_ids(cli: CLI, tmp_path: Path) -> None:
    _contacts(tmp_path / "a.csv", 3, "ann")
    _contacts(tmp_path / "b.csv", 2, "bob")
    first, second = _start(cli, tmp_path / "a.csv", "A") + _start(cli, tmp_path / "b.csv", "B")
    # Separate arguments, and IDs on lines of one argument, as "$JOB" gives them.
    for ids in ([first, second], [f"{first}\n{second}\n"]):
        run = cli("enrichments", "wait", *ids)
        assert run.code == 0, run.stderr
        assert f"Enrichment job {first} completed (3 records)" in run.stderr
        assert f"Enrichment job {second} completed (2 records)" in run.stderr
        assert f"enrichments download {first} {second} -o results.csv" in run.stderr
    jobs = cli("--json", "enrichments", "wait", f"{first}\n{second}").json()
    assert isinstance(jobs, list)
    assert [j["id"] for j in jobs] == [first, second]
    out = tmp_path / "both.csv"
    run = cli("enrichments", "download", f"{first} {second}", "-o", str(out))
    assert run.code == 0, run.stderr
    rows = _rows(out)
    assert [r["FIRST_NAME"] for r in rows] == ["Ann0", "Ann1", "Ann2", "Bob0", "Bob1"]
    assert out.read_text(encoding="utf-8").count("UUID,") == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".audiencelab-")]
    # The target exists: nothing is downloaded without --overwrite.
    run = cli("enrichments", "download", first, second, "-o", str(out))
    assert run.code == 2
    assert "add --overwrite" in run.stderr
    summary = cli("--json", "enrichments", "download", second, first, "-o", str(out), "--force")
    data = summary.json()
    assert isinstance(data, dict)
    assert data["jobs"] == [second, first]
    assert [r["FIRST_NAME"] for r in _rows(out)] == ["Bob0", "Bob1", "Ann0", "Ann1", "Ann2"]


def test_an_unknown_id_among_several_writes_nothing(cli: CLI, tmp_path: Path) -> None:
    _contacts(tmp_path / "a.csv", 1)
    (job,) = _start(cli, tmp_path / "a.csv", "One")
    out = tmp_path / "out.csv"
    run = cli("enrichments", "download", job, "no-such-job", "-o", str(out))
    assert run.code == 4
    assert "no enrichment job no-such-job" in run.stderr
    assert not out.exists()
    run = cli("enrichments", "wait", "", " ")
    assert run.code == 2
    assert "no job ID given" in run.stderr


def test_waiting_for_several_jobs_that_are_not_done(slow_cli: CLI, tmp_path: Path) -> None:
    _contacts(tmp_path / "a.csv", 1)
    ids = _start(slow_cli, tmp_path / "a.csv", "A") + _start(slow_cli, tmp_path / "a.csv", "B")
    run = slow_cli("enrichments", "wait", *ids, "--timeout", "0")
    assert run.code == 1
    assert f"Run `audiencelab enrichments wait {' '.join(ids)}` again later." in run.stderr


def test_joining_keeps_one_header_and_every_row(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    a.write_bytes(b'\xef\xbb\xbfID,NOTE\r\n1,"two\r\nlines"\r\n2,x')  # BOM, CRLF, no final EOL
    b.write_bytes(b"")  # empty: skipped
    c.write_bytes(b"\xef\xbb\xbfID,NOTE\r\n3,y\r\n")
    out = tmp_path / "out.csv"
    join_csv_files([("a", a), ("b", b), ("c", c)], out)
    assert out.read_bytes() == b'\xef\xbb\xbfID,NOTE\r\n1,"two\r\nlines"\r\n2,x\r\n3,y\r\n'
    gz = tmp_path / "out.csv.gz"
    join_csv_files([("a", a), ("c", c)], gz)
    assert gzip.decompress(gz.read_bytes()) == out.read_bytes()
    c.write_bytes(b"ID,OTHER\n3,y\n")
    with pytest.raises(CliError, match="jobs a and c have different columns"):
        join_csv_files([("a", a), ("c", c)], out)


def test_enrich_fields_show_the_columns_they_come_back_as(cli: CLI) -> None:
    """`--field personal_email` comes back as PERSONAL_EMAILS; the table shows it."""
    match = ["enrich", "--email", "ann@example.com", "--first-name", "Ann"]
    answer = cli("--json", *match, "--field", "personal_email", "--field", "b2b_phone").json()
    assert isinstance(answer, dict)
    assert set(answer["result"][0]) == {"PERSONAL_EMAILS", "DIRECT_NUMBER", "COMPANY_PHONE"}
    run = cli(*match, "--field", "personal_email", "--field", "b2b_phone", env={"COLUMNS": "300"})
    assert run.code == 0, run.stderr
    header = run.stdout.splitlines()[1]
    assert header.index("PERSONAL_EMAILS") < header.index("DIRECT_NUMBER")
    assert "COMPANY_PHONE" in header
    assert "ann@example.com" in run.stdout
    run = cli(*match, "--field", "city", "--field", "job_title", env={"COLUMNS": "300"})
    header = run.stdout.splitlines()[1]
    assert header.split() == ["┃", "PERSONAL_CITY", "┃", "JOB_TITLE", "┃"]
