"""The SDK against the faults real networks have, as the sandbox injects them (issue 11): writes
that succeed and are then answered 5xx or dropped, every error body style, `total` envelopes, and
enrichment jobs that end NO_DATA or FAILED."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelab import (
    AudienceLab,
    AudienceLabError,
    EnrichmentJobFailedError,
    NotFoundError,
    RetryPolicy,
)
from tests.e2e.conftest import API_KEY, start_sandbox

QUICK = RetryPolicy(initial_delay=0, max_delay=0, max_retry_after=0)


def test_a_create_committed_then_failed_is_reported_unknown_and_never_repeated(
    tmp_path: Path,
) -> None:
    with (
        start_sandbox(tmp_path, fail_after_commit_rate=1.0, seed=5) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url, retry_policy=QUICK) as client,
    ):
        outcomes = []
        for i in range(6):
            try:
                client.audiences.create(name=f"committed {i}", filters={"city": ["Austin"]})
            except AudienceLabError as exc:
                outcomes.append(getattr(exc, "outcome_unknown", None))
        names = [a.name for a in client.audiences.list()]
    assert outcomes == [True] * 6  # every one failed after the commit: the SDK knows it cannot tell
    assert sorted(names) == [f"committed {i}" for i in range(6)]  # each exactly once


@pytest.mark.parametrize("style", ["object", "string", "message"])
def test_every_error_body_style_keeps_its_message(tmp_path: Path, style: str) -> None:
    with (
        start_sandbox(tmp_path, error_style=style) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client,
        pytest.raises(NotFoundError) as info,
    ):
        client.audiences.get("00000000-0000-4000-8000-000000000000")
    assert info.value.status_code == 404
    assert "not found" in info.value.message.lower()
    assert info.value.message not in ("Not Found", "")  # the body's own words, not the reason


def test_list_envelopes_with_total_are_read(tmp_path: Path) -> None:
    with (
        start_sandbox(tmp_path, list_total_key="total") as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client,
    ):
        for i in range(3):
            client.audiences.create(name=f"a{i}", filters={"city": ["Austin"]})
        page = client.audiences.list(page=1, page_size=2)
        assert page.total_records == 3
        assert len(list(client.audiences.list(page_size=2))) == 3


def test_jobs_that_match_nobody_or_fail(tmp_path: Path) -> None:
    nobody = [{"personal_city": "Nowhere"}]  # no identifying key: no record can match
    with (
        start_sandbox(tmp_path) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client,
    ):
        job = client.enrichment.create_job("Nobody", nobody)
        done = client.enrichment.wait(job, poll_interval=0.05)
        assert done.status == "NO_DATA"
        with pytest.raises(AudienceLabError, match="nothing to download"):
            client.enrichment.download(done, tmp_path / "r.csv")
    with (
        start_sandbox(tmp_path, job_fail_rate=1.0, db=str(tmp_path / "failing.db")) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client,
    ):
        job = client.enrichment.create_job("Doomed", [{"email": "ann@example.com"}])
        with pytest.raises(EnrichmentJobFailedError) as info:
            client.enrichment.wait(job, poll_interval=0.05)
        assert info.value.job.status == "FAILED"
