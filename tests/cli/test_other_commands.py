"""``enrich``, ``enrichments``, ``pixels`` and ``segments`` against a real sandbox."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from .helpers import CLI


def test_enrich_one_contact(cli: CLI) -> None:
    run = cli("enrich", "--email", "ann@example.com", "--first-name", "Ann")
    assert run.code == 0, run.stderr
    assert "FIRST_NAME" in run.stdout
    assert "1 match." in run.stderr
    data = cli("--json", "enrich", "--email", "ann@example.com", "--field", "job_title").json()
    assert isinstance(data, dict)
    assert data["found"] == 1
    assert len(data["result"]) == 1


def test_enrich_refuses_bad_input_with_the_flags_named(cli: CLI) -> None:
    run = cli("enrich", "--email", "ann@example.com", "--field", "job_titl")
    assert run.code == 2
    assert "--field: 'job_titl' is not a documented field; did you mean 'job_title'?" in run.stderr
    run = cli("enrich", "--email", " ")
    assert run.code == 2
    assert "--email: expected a non-empty string" in run.stderr


def test_enrichment_job_from_a_csv_file(cli: CLI, tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "\ufeffEMAIL,First Name,last-name,Phone,Company Name\n"
        "ann@example.com,Ann,Lee,+14155550100,Acme\n"
        "\n"
        'bob@example.com,Bob,"Ray, Jr.",,\n',
        encoding="utf-8",
    )
    run = cli("enrichments", "create", str(contacts), "--name", "Contacts", "--operator", "and")
    assert run.code == 0, run.stderr
    job_id = run.stdout.strip()
    assert len(job_id) == 36
    assert "for 2 records" in run.stderr
    jobs = cli("--json", "enrichments", "list").json()
    assert isinstance(jobs, list)
    assert any(job["id"] == job_id and job["name"] == "Contacts" for job in jobs)
    run = cli("enrichments", "wait", job_id)
    assert run.code == 0, run.stderr
    assert "completed" in run.stderr
    out = tmp_path / "results.csv"
    run = cli("enrichments", "download", job_id, "-o", str(out))
    assert run.code == 0, run.stderr
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    assert "FIRST_NAME" in rows[0]
    run = cli("enrichments", "download", job_id, "-o", str(out))
    assert run.code == 2
    assert "add --overwrite" in run.stderr


def test_enrichment_csv_problems_name_the_line_and_column(cli: CLI, tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("email,phone_number\nann@example.com,+14155550100\n", encoding="utf-8")
    run = cli("enrichments", "create", str(contacts), "--name", "Bad")
    assert run.code == 2
    assert (
        "contacts.csv line 2, column phone_number: unknown record key; did you mean 'phone'?"
        in run.stderr
    )
    contacts.write_text("email\nann@example.com,extra\n", encoding="utf-8")
    run = cli("enrichments", "create", str(contacts), "--name", "Bad")
    assert run.code == 2
    assert "line 2: 2 fields but the header has 1" in run.stderr
    run = cli("enrichments", "create", str(contacts), "--name", "Bad", "--operator", "XOR")
    assert run.code == 2


def test_enrichment_job_still_running(slow_cli: CLI, tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("email\nann@example.com\n", encoding="utf-8")
    job_id = slow_cli("enrichments", "create", str(contacts), "--name", "Slow").stdout.strip()
    run = slow_cli("enrichments", "wait", job_id, "--timeout", "0")
    assert run.code == 1
    assert "was not finished" in run.stderr
    assert f"Run `audiencelab enrichments wait {job_id}` again later." in run.stderr
    run = slow_cli("enrichments", "download", job_id, "-o", str(tmp_path / "r.csv"))
    assert run.code == 1
    assert f"Run `audiencelab enrichments wait {job_id}` first." in run.stderr


@pytest.mark.slow
def test_pixels(cli: CLI) -> None:
    run = cli("pixels", "create", "--name", "Shop", "--url", "https://shop.example.com")
    assert run.code == 0, run.stderr
    pixel_id = run.stdout.strip()
    assert "Install it with:" in run.stderr
    assert pixel_id in cli("pixels", "list").stdout
    shown = cli("--json", "pixels", "show", pixel_id).json()
    assert isinstance(shown, dict)
    assert shown["website_url"] == "https://shop.example.com"
    run = cli("pixels", "events", pixel_id, "--limit", "3")
    assert run.code == 0, run.stderr
    assert "3 events." in run.stderr
    events = cli("--json", "pixels", "events", pixel_id, "--v4", "-n", "2").json()
    assert isinstance(events, list)
    assert len(events) == 2
    assert all(e["pixel_id"] == pixel_id for e in events)
    assert cli("pixels", "events", pixel_id, "--v4", "--event-type", "page_view").code == 2
    assert cli("pixels", "delete", pixel_id).code == 2  # no terminal to confirm on
    assert cli("pixels", "delete", pixel_id, "--yes").code == 0
    assert cli("pixels", "show", pixel_id).code == 4


def test_pixel_input_is_checked_by_the_sdk(cli: CLI) -> None:
    run = cli("pixels", "create", "--name", "Shop", "--url", "shop.example.com")
    assert run.code == 2
    assert "--url: 'shop.example.com' is not a web address" in run.stderr
    run = cli("pixels", "create", "--name", "Shop", "--url", "https://a.example", "--version", "v9")
    assert run.code == 2
    assert "--version: 'v9' is not a pixel version; use one of: v3, v4" in run.stderr


def test_segments(cli: CLI, tmp_path: Path) -> None:
    run = cli("segments", "show", "b2c_1253", "--rows", "2")
    assert run.code == 0, run.stderr
    assert "Home Improvement Shoppers" in run.stderr
    data = cli("--json", "segments", "show", "b2c_1253", "--rows", "1").json()
    assert isinstance(data, dict)
    total = data["total_records"]
    out = tmp_path / "segment.jsonl"
    run = cli("segments", "export", "b2c_1253", "-o", str(out), "--concurrency", "2")
    assert run.code == 0, run.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == total
    assert all(isinstance(json.loads(line), dict) for line in lines)
