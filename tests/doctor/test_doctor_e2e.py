"""``client.doctor()`` against real sandboxes on loopback: as assumed against the sandbox as it
is, each variant the sandbox can serve named as a difference, only GETs sent (and one preview only
when asked), and a report without the key or any value the sandbox served."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest

from audiencelab import AsyncAudienceLab, AudienceLab, DoctorReport

from .conftest import KEY, request_log, sandbox, served_values

#: Values shorter than this (``M``, ``TX``, ``1``) cannot be told apart from the report's own words.
MIN_VALUE_LENGTH = 4


def verdicts(report: DoctorReport) -> dict[str, str]:
    return {p.name: p.verdict for p in report.probes}


def test_the_sandbox_as_it_is_is_as_assumed_and_only_read() -> None:
    with sandbox() as sb:
        before = len(request_log(sb.base_url))
        with AudienceLab(api_key=KEY, base_url=sb.base_url) as client:
            report = client.doctor()
        sent = request_log(sb.base_url)[before:]
        values = served_values(sb.base_url, sent)
    assert report.exit_code == 0, report.to_json()
    assert set(verdicts(report).values()) == {"as assumed", "skipped"}
    assert [p.name for p in report.probes if p.verdict == "skipped"] == ["audiences.preview"]
    assert report.differences == []
    assert {e["method"] for e in sent} == {"GET"}
    assert len(sent) == 11  # list, records, errors, six attribute lists, pixels, jobs: once each
    assert len({(e["path"], e["query"]) for e in sent}) == len(sent)
    text = report.to_json()
    assert KEY not in text
    # Request IDs are random hex: a served number (a ZIP+4 of four digits, say) may appear in one
    # by chance. Numbers of up to four digits (ages, years, counts) say nothing of a person.
    text = re.sub(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}", "<id>", text)
    leaked = sorted(
        v
        for v in values
        if len(v) >= MIN_VALUE_LENGTH and not (v.isdigit() and len(v) <= 4) and v in text
    )
    assert leaked == []
    assert len([v for v in values if len(v) >= MIN_VALUE_LENGTH]) > 200  # the check saw the data


def test_the_async_client_finds_the_same_and_previews_only_when_asked() -> None:
    async def main(base_url: str) -> DoctorReport:
        async with AsyncAudienceLab(api_key=KEY, base_url=base_url) as client:
            return await client.doctor(with_preview=True)

    with sandbox() as sb:
        before = len(request_log(sb.base_url))
        report = anyio.run(main, sb.base_url)
        sent = request_log(sb.base_url)[before:]
    assert report.exit_code == 0, report.to_json()
    assert verdicts(report)["audiences.preview"] == "as assumed"
    assert [(e["method"], e["path"]) for e in sent if e["method"] != "GET"] == [
        ("POST", "/audiences/preview")
    ]
    assert len(sent) == 12


VARIANTS: list[tuple[dict[str, Any], str, str, bool]] = [
    ({"list_total_key": "total"}, "audiences.list", "`total` instead of `total_records`", True),
    ({"error_style": "string"}, "errors", '{"error": "..."} (string style)', True),
    ({"error_style": "message"}, "errors", '{"message": "..."} (message style)', True),
    (
        {"attribute_lists": ("segments", "industries", "departments", "seniority", "gender")},
        "attributes.sic",
        "404 for GET /audiences/attributes/sic",
        True,
    ),
    ({"missing_endpoints": ("GET /pixels",)}, "pixels.list", "404 for GET /pixels", False),
    (
        {"forbidden_endpoints": ("GET /enrichments",)},
        "enrichment.jobs",
        "403 for GET /enrichments: the key lacks READ",
        False,
    ),
]


@pytest.mark.parametrize(
    ("settings", "probe", "what", "tolerated"), VARIANTS, ids=[str(v[0]) for v in VARIANTS]
)
def test_each_variant_is_named_and_exits_1(
    settings: dict[str, Any], probe: str, what: str, tolerated: bool
) -> None:
    with sandbox(**settings) as sb, AudienceLab(api_key=KEY, base_url=sb.base_url) as client:
        report = client.doctor()
    assert report.exit_code == 1
    found = [(d.probe, d.tolerated) for d in report.differences if what in d.what]
    assert (probe, tolerated) in found, report.to_json()
    # and nothing else differs
    assert {d.probe for d in report.differences} <= {
        probe, "audiences.records", "pixels.list", "enrichment.jobs",
    }  # fmt: skip
    if "list_total_key" in settings:  # every list envelope says so
        assert {d.probe for d in report.differences} == {
            "audiences.list", "audiences.records", "pixels.list", "enrichment.jobs",
        }  # fmt: skip
    else:
        assert len(report.differences) == 1


def test_a_refused_key_exits_3_after_one_request() -> None:
    with sandbox() as sb:
        assert sb.app is not None
        before = sb.app.stats["requests"]
        with AudienceLab(api_key="sk_test_not_this_one", base_url=sb.base_url) as client:
            report = client.doctor()
        sent = sb.app.stats["requests"] - before
    assert report.exit_code == 3
    assert verdicts(report)["authenticate"] == "refused"
    assert "sk_test_not_this_one" not in report.to_json()
    assert sent == 1
