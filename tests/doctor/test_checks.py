"""The pure part of doctor, with exact inputs: how an answer compares with what the SDK assumes,
which probe comes next, what the report says and holds, and the exit code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from audiencelab import InputValidationError
from audiencelab._config import Secret
from audiencelab._doctor import DoctorSession, mask_key, sandbox_profile
from audiencelab._doctor_checks import (
    AUDIENCE,
    JOB,
    Shape,
    check_attribute_list,
    check_error_body,
    check_headers,
    check_list,
    check_preview,
    check_records,
    error_style,
    permission_of,
)
from audiencelab._doctor_probes import UNKNOWN_AUDIENCE_ID, Observed

# A live-kind key (the report names the kind), made of two parts so that no secret scanner takes
# this made-up value for a real key.
KEY = "sk_live_" + "doctorunit_0123456789abcdef"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
AUDIENCE_ROW = {
    "id": "aa1a0c14-0000-4000-8000-000000000001", "name": "Private list name",
    "next_scheduled_refresh": None, "scheduled_refresh": False, "refresh_interval": None,
    "webhook_url": None,
}  # fmt: skip


def envelope(items: list[Any], total_key: str = "total_records", **extra: Any) -> dict[str, Any]:
    return {total_key: 7, "page_size": 1, "page": 1, "total_pages": 7, "data": items, **extra}


def whats(findings: list[Any]) -> list[tuple[str, bool]]:
    return [(f.what, f.tolerated) for f in findings]


# -- lists ------------------------------------------------------------------------------------


def test_a_list_as_the_reference_has_it_is_as_assumed() -> None:
    shape = Shape()
    findings, items = check_list(envelope([AUDIENCE_ROW]), AUDIENCE, shape)
    assert findings == []
    assert items == [AUDIENCE_ROW]
    assert shape.as_dict() == {
        "keys": ["total_records", "page_size", "page", "total_pages", "data"],
        "fields": list(AUDIENCE_ROW),
        "items": 1,
        "total_key": "total_records",
    }


def test_total_instead_of_total_records_is_a_tolerated_difference() -> None:
    shape = Shape()
    findings, _ = check_list(envelope([], total_key="total"), AUDIENCE, shape)
    assert whats(findings) == [("`total` instead of `total_records`", True)]
    assert findings[0].kind == "list_total_key"
    assert shape.total_key == "total"


def test_missing_and_new_envelope_keys() -> None:
    body = {"data": [], "cursor": "abc", "has_more": False}
    findings, _ = check_list(body, AUDIENCE, Shape())
    assert whats(findings) == [
        ("no `total_records`, `page_size`, `page`, `total_pages` in the envelope", True),
        ("new field in the envelope: `cursor`", True),  # has_more is known (segments)
    ]


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ([AUDIENCE_ROW], "the answer is list, not a JSON object"),
        ({"total": 1, "items": [AUDIENCE_ROW]}, "no `data` list in the envelope"),
        (envelope(["x"]), "audience items are str, not objects"),
        (envelope([{"name": "no id"}]), "audience items lack `id`"),
    ],
)
def test_what_the_sdk_cannot_read_is_not_tolerated(body: Any, what: str) -> None:
    findings, _ = check_list(body, AUDIENCE, Shape())
    assert (findings[-1].what, findings[-1].tolerated) == (what, False)
    assert "attach this report to a bug report" in findings[-1].how


def test_new_item_fields_are_tolerated_and_named() -> None:
    row = {**AUDIENCE_ROW, "size": 12, "created_at": "2026-01-01"}
    findings, _ = check_list(envelope([row]), AUDIENCE, Shape())
    assert whats(findings) == [("new fields in each audience: `size`, `created_at`", True)]


def test_an_enrichment_status_the_reference_does_not_list() -> None:
    job = {"id": "j1", "status": "CANCELLED", "name": "n", "csv_url": None, "total": 0}
    findings, _ = check_list(envelope([job]), JOB, Shape())
    assert [f.kind for f in findings] == ["job_status"]
    assert "'CANCELLED'" in findings[0].what
    assert not findings[0].tolerated
    assert check_list(envelope([{**job, "status": "no_data"}]), JOB, Shape())[0] == []


# -- records, attributes, preview -------------------------------------------------------------


def test_records_not_built_yet_are_as_assumed_with_a_note() -> None:
    shape = Shape()
    findings, notes = check_records({"status": "no data"}, shape)
    assert findings == []
    assert notes[0].startswith("status 'no data': the audience is still building")
    assert shape.keys == ["status"]


def test_record_columns_are_compared_by_name_only() -> None:
    from audiencelab._columns import RECORD_COLUMNS

    row = dict.fromkeys(RECORD_COLUMNS, "secret value")
    del row["PERSONAL_ZIP4"]
    row["AGE"] = "41"  # known to the reference (§8), not in the CSV header
    row["NEW_COLUMN"] = "x"
    shape = Shape()
    findings, notes = check_records(envelope([row]), shape)
    assert whats(findings) == [
        ("column the reference does not list in a record: `NEW_COLUMN`", True),
        (f"1 of the reference's {len(RECORD_COLUMNS)} columns missing in a record: "
         "`PERSONAL_ZIP4`", True),
    ]  # fmt: skip
    assert notes == []
    assert "secret value" not in json.dumps(shape.as_dict())


def test_attribute_lists() -> None:
    good = {"attributes": {"industries": {"count": 2, "data": ["Software", "Banking"]}}}
    shape = Shape()
    assert check_attribute_list("industries", good, shape) == []
    assert (shape.items, shape.fields) == (2, [])
    no_count = {"attributes": {"industries": {"data": ["Software"]}}}
    assert whats(check_attribute_list("industries", no_count, Shape())) == [("no `count`", True)]
    flat = {"data": ["Software"]}
    [finding] = check_attribute_list("industries", flat, Shape())
    assert not finding.tolerated
    assert "value_checks='off'" in finding.how
    segments = {"attributes": {"segments": {"count": 1, "data": [{"name": "no id", "b2b": True}]}}}
    assert whats(check_attribute_list("segments", segments, Shape())) == [
        ("segment items lack `id`", False)
    ]


def test_a_preview_without_count_names_the_setting_that_copes() -> None:
    findings = check_preview({"job_id": "j", "sample": [], "field_coverage": {}}, Shape())
    assert whats(findings) == [
        ("no `count`", False),
        ("no `result` (`sample` is there)", False),
        ("new field in the preview: `sample`", True),
    ]
    assert "create without min_count" in findings[0].how
    ok = {"job_id": "j", "count": 3, "result": [], "field_coverage": {"FIRST_NAME": 0.9}}
    assert check_preview(ok, Shape()) == []


# -- errors and headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "style", "tolerated"),
    [
        ({"error": {"code": "NOT_FOUND", "message": "m"}}, "object", None),
        ({"error": "m", "status": 404}, "string", True),
        ({"message": "m"}, "message", True),
        ({"detail": "m"}, "detail", True),
        ("Not Found", "text", True),
        ({"errors": [{"msg": "m"}]}, "other", False),
        (None, "empty", False),
    ],
)
def test_error_styles(body: Any, style: str, tolerated: bool | None) -> None:
    assert error_style(body) == style
    findings = check_error_body(body, Shape())
    if tolerated is None:
        assert findings == []
    else:
        assert [(f.kind, f.tolerated) for f in findings] == [("error_style", tolerated)]
        assert f"({style} style)" in findings[0].what


@pytest.mark.parametrize(
    ("message", "scope"),
    [
        ("Missing required permissions (WRITE needed for create)", "WRITE"),
        ("missing scope: audiences:read", "audiences:read"),
        ("Permission denied", None),
        ("Forbidden", None),
    ],
)
def test_the_permission_a_403_names(message: str, scope: str | None) -> None:
    assert permission_of(message) == scope


def test_request_id_and_rate_limit_headers() -> None:
    findings, notes = check_headers([{"x-request-id": "r1", "x-ratelimit-remaining": "9"}])
    assert findings == []
    assert notes == [
        "request IDs in `x-request-id`: errors carry them (error.request_id)",
        "rate-limit headers `x-ratelimit-remaining`: the SDK backs off on 429 and honours "
        "Retry-After; it does not read the others",
    ]
    # A name the SDK reads is tolerated; one it does not read is a difference.
    findings, notes = check_headers([{"x-correlation-id": "c1"}, {}])
    assert findings == []
    assert notes[0] == "request IDs in `x-correlation-id`: errors carry them (error.request_id)"
    findings, _ = check_headers([{"x-trace-request-id": "c1"}, {}])
    assert [(f.kind, f.tolerated) for f in findings] == [("request_id_header", False)]
    assert "`x-trace-request-id`" in findings[0].what
    findings, notes = check_headers([{}])
    assert findings == []
    assert notes[0].startswith("no request ID header")


# -- the session ------------------------------------------------------------------------------


def ok(body: Any, status: int = 200, **headers: str) -> Observed:
    return Observed(status, headers, body, 5.0)


def attributes(name: str) -> Observed:
    return ok({"attributes": {name: {"count": 1, "data": [{"id": "b2c_1", "name": "n", "b2b": False}] if name == "segments" else ["v"]}}})  # fmt: skip


def answer(name: str, target: str) -> Observed:
    """What a well-behaved API answers to each probe (with one audience)."""
    if name == "audiences.list":
        return ok(envelope([AUDIENCE_ROW]))
    if name == "audiences.records":
        return ok({"status": "no data"})
    if name == "errors":
        return ok({"error": {"code": "NOT_FOUND", "message": "no such audience"}}, 404)
    if name.startswith("attributes."):
        return attributes(name.partition(".")[2])
    if name == "audiences.preview":
        return ok({"job_id": "j", "count": 3, "result": [], "field_coverage": {}})
    return ok(envelope([]))


def run(session: DoctorSession, reply: Any = answer) -> list[tuple[str, str]]:
    asked = []
    while (probe := session.next_probe()) is not None:
        asked.append((probe.operation.method, probe.operation.target))
        session.record(probe, reply(probe.name, probe.operation.target))
    return asked


def session(with_preview: bool = False) -> DoctorSession:
    return DoctorSession(
        base_url="https://user:pw@api.example.com/?q=1", key=Secret(KEY),
        with_preview=with_preview, now=NOW,
    )  # fmt: skip


def test_the_probes_in_order_reading_the_first_audience_and_only_gets() -> None:
    s = session()
    asked = run(s)
    assert asked == [
        ("GET", "/audiences?page=1&page_size=1"),
        ("GET", f"/audiences/{AUDIENCE_ROW['id']}?page=1&page_size=1"),
        ("GET", f"/audiences/{UNKNOWN_AUDIENCE_ID}?page=1&page_size=1"),
        *(("GET", f"/audiences/attributes/{n}") for n in
          ("segments", "industries", "seniority", "departments", "sic", "gender")),
        ("GET", "/pixels?page=1&page_size=1"),
        ("GET", "/enrichments?page=1&page_size=1"),
    ]  # fmt: skip
    report = s.report()
    assert report.exit_code == 0
    assert [p.name for p in report.probes] == [
        "reach", "authenticate", "audiences.list", "audiences.records", "errors",
        "attributes.segments", "attributes.industries", "attributes.seniority",
        "attributes.departments", "attributes.sic", "attributes.gender", "pixels.list",
        "enrichment.jobs", "audiences.preview", "headers",
    ]  # fmt: skip
    assert {p.verdict for p in report.probes} == {"as assumed", "skipped"}
    records = next(p for p in report.probes if p.name == "audiences.records")
    assert records.target == "/audiences/{audience_id}?page=1&page_size=1"
    assert report.base_url == "https://api.example.com/"


def test_the_preview_is_sent_only_when_asked() -> None:
    asked = run(session(with_preview=True))
    posts = [a for a in asked if a[0] != "GET"]
    assert posts == [("POST", "/audiences/preview")]
    s = session()
    assert all(method == "GET" for method, _ in run(s))
    preview = next(p for p in s.report().probes if p.name == "audiences.preview")
    assert preview.verdict == "skipped"
    assert "may cost credits" in preview.notes[0]


def test_with_preview_must_be_a_bool() -> None:
    with pytest.raises(InputValidationError, match="with_preview"):
        DoctorSession(base_url="https://a.example", key=Secret(KEY), with_preview="yes", now=NOW)  # type: ignore[arg-type]


def test_no_audience_means_no_records_probe() -> None:
    s = session()
    asked = run(s, lambda n, t: ok(envelope([])) if n == "audiences.list" else answer(n, t))
    assert not any("/audiences/aa1a" in target for _, target in asked)
    records = next(p for p in s.report().probes if p.name == "audiences.records")
    assert (records.verdict, records.notes) == (
        "skipped",
        ("not sent: this key has no audience to read",),
    )
    assert s.report().exit_code == 0


def test_a_refused_key_stops_the_probes_and_exits_3() -> None:
    s = session()
    refused = ok({"error": {"code": "UNAUTHORIZED", "message": f"Invalid API key {KEY}"}}, 401)
    asked = run(s, lambda n, t: refused)
    assert len(asked) == 1
    report = s.report()
    assert report.exit_code == 3
    assert report.refused
    listing = next(p for p in report.probes if p.name == "audiences.list")
    assert listing.verdict == "refused"
    assert KEY not in report.to_json()  # the API echoed the key: it is masked
    assert "Invalid API key sk_live_… (35 characters)" in report.to_json()
    assert {p.verdict for p in report.probes if p.name.startswith("attributes.")} == {"skipped"}


def test_a_key_that_may_do_nothing_exits_3_and_one_that_may_do_some_exits_1() -> None:
    forbidden = ok({"error": {"code": "FORBIDDEN", "message": "Missing required permissions (READ needed for x)"}}, 403)  # fmt: skip
    s = session()
    run(s, lambda n, t: forbidden)
    assert s.report().exit_code == 3
    s = session()
    run(s, lambda n, t: forbidden if n == "pixels.list" else answer(n, t))
    report = s.report()
    assert report.exit_code == 1
    [diff] = report.differences
    assert diff.probe == "pixels.list"
    assert diff.what == "403 for GET /pixels: the key lacks READ"
    assert "READ permission" in diff.how
    assert not diff.tolerated
    assert report.sandbox_profile["forbidden_endpoints"] == ["GET /pixels"]


def test_an_unreachable_api_stops_and_exits_1() -> None:
    s = session()
    asked = run(s, lambda n, t: Observed(None, {}, None, 3.0, failure="certificate verify failed"))
    assert len(asked) == 1
    report = s.report()
    assert report.exit_code == 1
    assert report.probes[0].verdict == "unreachable"
    assert report.probes[0].error == "certificate verify failed"
    assert report.summary.startswith("The API could not be reached")


def test_a_missing_attribute_list_is_unavailable_and_tolerated() -> None:
    missing = ok({"error": "unknown attribute"}, 404)
    s = session()
    run(s, lambda n, t: missing if n == "attributes.sic" else answer(n, t))
    report = s.report()
    [diff] = report.differences
    assert (diff.probe, diff.kind, diff.tolerated) == ("attributes.sic", "unavailable", True)
    assert report.exit_code == 1
    assert report.sandbox_profile["attribute_lists"] == [
        "segments", "industries", "seniority", "departments", "gender",
    ]  # fmt: skip


def test_an_unknown_audience_answered_200_is_a_difference() -> None:
    s = session()
    run(s, lambda n, t: ok({"status": "no data"}) if n == "errors" else answer(n, t))
    [diff] = s.report().differences
    assert diff.what == "an audience that does not exist answers 200, not 404"
    assert not diff.tolerated


def test_transient_errors_are_failures_not_shapes() -> None:
    s = session()
    run(s, lambda n, t: ok({"error": "busy"}, 503) if n == "enrichment.jobs" else answer(n, t))
    jobs = next(p for p in s.report().probes if p.name == "enrichment.jobs")
    assert jobs.verdict == "failed"
    assert s.report().exit_code == 1


def test_the_report_holds_no_key_and_no_values() -> None:
    s = session(with_preview=True)

    def reply(name: str, target: str) -> Observed:
        if name == "audiences.records":
            return ok(
                envelope([{"FIRST_NAME": "Zelda", "PERSONAL_EMAILS": "zelda@private.example"}])
            )
        return answer(name, target)

    run(s, reply)
    text = s.report().to_json()
    for value in ("Zelda", "zelda@private.example", "Private list name", AUDIENCE_ROW["id"], KEY):
        assert value not in text
    assert '"FIRST_NAME"' in text  # the names of the columns are kept
    document = json.loads(text)
    assert document["key"] == "sk_live_… (35 characters)"
    assert document["exit_code"] == 1  # 72 reference columns were missing in that row


def test_mask_key_shows_the_kind_of_key_only() -> None:
    assert mask_key(Secret("sk_live_abc_def")) == "sk_live_… (15 characters)"
    assert mask_key(Secret("plainsecretkey")) == "… (14 characters)"
    assert mask_key(Secret("sk_abc_def")) == "sk_… (10 characters)"
    assert mask_key(Secret("secret_part_of_it")) == "… (17 characters)"


def test_the_sandbox_profile_of_a_varied_api() -> None:
    s = session()

    def reply(name: str, target: str) -> Observed:
        if name == "errors":
            return ok({"message": "no such audience"}, 404)
        if name == "pixels.list":
            return ok({"message": "No such endpoint"}, 404)
        if name == "audiences.list":
            return ok(envelope([AUDIENCE_ROW], total_key="total", cursor="c"))
        return answer(name, target)

    run(s, reply)
    assert s.report().sandbox_profile == {
        "version": 1,
        "list_total_key": "total",
        "error_style": "message",
        "attribute_lists": ["segments", "industries", "seniority", "departments", "sic", "gender"],
        "missing_endpoints": ["GET /pixels"],
        "notes": ["audiences.list: new field in the envelope: `cursor`"],
    }
    assert sandbox_profile([]) == {"version": 1}


def test_a_report_keeps_request_id_and_rate_limit_headers_only() -> None:
    from audiencelab._doctor_checks import interesting_headers

    headers = {
        "Set-Cookie": "session=secret", "Date": "Mon", "X-Request-Id": "r1",
        "X-RateLimit-Remaining": "9", "Retry-After": "2", "X-Cloud-Trace-Context": "t/1",
        "Location": "https://elsewhere.example/?token=secret",
    }  # fmt: skip
    assert interesting_headers(headers) == {
        "x-request-id": "r1", "x-ratelimit-remaining": "9", "retry-after": "2",
        "x-cloud-trace-context": "t/1",
    }  # fmt: skip
