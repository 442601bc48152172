"""Input checks of the endpoints beyond create: refused with the field and the fix, nothing sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from audiencelab import AudienceLab, InputValidationError
from tests.sdk.mock import Recorder, reply


def refused(call: Callable[[AudienceLab], Any]) -> list[str]:
    recorder = Recorder([reply(200, {})])
    with recorder.sync_client() as client, pytest.raises(InputValidationError) as info:
        call(client)
    assert recorder.requests == []
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda c: c.audiences.list(page=0), ["page: must be at least 1, got 0"]),
        (
            lambda c: c.audiences.list(page_size=1001),
            ["page_size: must be between 1 and 1000, got 1001"],
        ),
        (
            lambda c: c.audiences.records("a", page_size=0),
            ["page_size: must be between 1 and 1000, got 0"],
        ),
        (lambda c: c.audiences.get(""), ["audience_id: expected a non-empty ID, got ''"]),
        (
            lambda c: c.audiences.attributes("industry"),
            [
                "name: 'industry' is not an attribute; use one of: segments, industries, seniority, departments, sic, gender; did you mean 'industries'?"
            ],
        ),
        (
            lambda c: c.audiences.preview({}, days_back=11),
            ["days_back: must be between 1 and 10, got 11"],
        ),
        (
            lambda c: c.audiences.preview({}, limit=501),
            ["limit: must be between 0 and 500, got 501"],
        ),
        (
            lambda c: c.audiences.preview({"zipcode": "1"}),
            ["filters.zipcode: unknown filter; did you mean 'zip'?"],
        ),
        (
            lambda c: c.audiences.create_custom("", " "),
            ["topic: must not be empty", "description: must not be empty"],
        ),
        (
            lambda c: c.enrichment.enrich({}),
            [
                "filter: expected at least one match key (email, first_name, last_name, company, phone, address, city, state, zip, linkedin_url)"
            ],
        ),
        (
            lambda c: c.enrichment.enrich({"e_mail": "x@y.z"}),
            ["filter.e_mail: unknown match key; did you mean 'email'?"],
        ),
        (
            lambda c: c.enrichment.enrich({"email": ""}),
            ["filter.email: expected a non-empty string, got str ''"],
        ),
        (
            lambda c: c.enrichment.enrich({"email": "a@b.c"}, fields=["FIRST_NAME", "shoe_size"]),
            [
                "fields[0]: 'FIRST_NAME' is not a documented field; did you mean 'first_name'?",
                "fields[1]: 'shoe_size' is not a documented field",
            ],
        ),
        (
            lambda c: c.enrichment.create_job("n", [{"email": "a@b.c"}], columns=["PHONE_NUMBER"]),
            [
                "columns[0]: 'PHONE_NUMBER' is not accepted by the API; did you mean 'PHONE'?",
                "columns: records have email but columns do not list EMAIL",
            ],
        ),
        (
            lambda c: c.enrichment.create_job("n", [{"phone_number": "+1"}]),
            ["records[0].phone_number: unknown record key; did you mean 'phone'?"],
        ),
        (
            lambda c: c.enrichment.create_job("n", [{"EMAIL": "a@b.c"}]),
            ["records[0].EMAIL: record keys are lowercase; did you mean 'email'?"],
        ),
        (lambda c: c.enrichment.create_job("n", []), ["records: must contain at least one record"]),
        (
            lambda c: c.enrichment.create_job("n", "a@b.c"),
            ["records: expected a list of objects, got str 'a@b.c'"],
        ),  # type: ignore[arg-type]
        (
            lambda c: c.enrichment.create_job("n", [{"email": 5}]),
            ["records[0].email: expected a string, got int 5"],
        ),
        (
            lambda c: c.enrichment.create_job("n", [{"email": "a"}], operator="XOR"),
            ["operator: expected 'AND' or 'OR', got 'XOR'"],
        ),  # type: ignore[arg-type]
        (
            lambda c: c.pixels.create("", "test.com", webhook_url="ftp://x", version="v5"),  # type: ignore[arg-type]
            [
                "website_name: must not be empty",
                "website_url: 'test.com' is not a web address; use a full URL such as 'https://example.com'",
                "webhook_url: 'ftp://x' is not a web address; use a full URL such as 'https://example.com'",
                "version: 'v5' is not a pixel version; use one of: v3, v4",
            ],
        ),
        (
            lambda c: c.pixels.events("p", page_size=5000),
            ["page_size: must be between 1 and 1000, got 5000"],
        ),
        (
            lambda c: c.pixels.events("p", event_type="page_vew"),
            [
                "event_type: 'page_vew' is not an event type; use one of: authentication, "
                "page_view, copy, exit_intent, deep_scroll, idle_user, video_engagement, "
                "all_clicks, file_downloads, all_form_submissions; did you mean 'page_view'?"
            ],
        ),
    ],
)
def test_refused(call: Callable[[AudienceLab], Any], expected: list[str]) -> None:
    assert refused(call) == expected


def test_many_bad_records_are_summarised() -> None:
    with Recorder([]).sync_client() as client, pytest.raises(InputValidationError) as info:
        client.enrichment.create_job("n", [{"mail": "x"}] * 100)
    assert len(info.value.problems) == 100  # all of them, as data
    lines = str(info.value).splitlines()
    assert len(lines) == 22  # the heading, 20 problems, and how many more
    assert lines[-1] == "  - ... and 80 more"


def test_oversized_job_is_refused_not_truncated() -> None:
    records = [{"email": f"person{i}@example.com", "first_name": "x" * 400} for i in range(80_000)]
    problems = refused(lambda c: c.enrichment.create_job("big", records))
    assert len(problems) == 1
    assert "over the 30 MiB limit" in problems[0]
    assert "create_jobs" in problems[0]


def test_create_jobs_splits_and_names_the_parts() -> None:
    recorder = Recorder([reply(202, {"jobId": "j", "status": "IN_QUEUE"})])
    records = [{"email": f"p{i}@example.com"} for i in range(25)]
    with recorder.sync_client() as client:
        created = client.enrichment.create_jobs("Leads", records, records_per_job=10)
    assert len(created) == 3
    assert [b["name"] for b in recorder.bodies] == [
        "Leads (part 1 of 3)",
        "Leads (part 2 of 3)",
        "Leads (part 3 of 3)",
    ]
    assert [len(b["records"]) for b in recorder.bodies] == [10, 10, 5]
    assert [r for b in recorder.bodies for r in b["records"]] == records


def test_create_jobs_checks_every_part_before_sending() -> None:
    records = [{"email": f"p{i}@example.com"} for i in range(25)] + [{"mail": "bad"}]
    assert refused(lambda c: c.enrichment.create_jobs("Leads", records, records_per_job=10)) == [
        "records[25].mail: unknown record key; did you mean 'email'?"
    ]
