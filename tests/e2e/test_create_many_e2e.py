"""``audiences.create_many`` against a real sandbox: in order, checked first, never twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelab import (
    AsyncAudienceLab,
    AudienceLab,
    AuthenticationError,
    CreateResult,
    FilterValidationError,
    RetryPolicy,
)
from audiencelab.sandbox import Sandbox
from tests.e2e.conftest import API_KEY, start_sandbox

SPECS = [
    {"name": f"City {i}", "filters": {"city": [city]}, "days_back": 7}
    for i, city in enumerate(["Austin", "Boston", "Chicago", "Denver", "Fresno", "Miami"])
]


def listed(client: AudienceLab) -> list[str]:
    return [a.name or "" for a in client.audiences.list()]


def test_every_spec_is_created_in_order(client: AudienceLab) -> None:
    before = len(listed(client))
    seen: list[CreateResult] = []
    results = client.audiences.create_many(SPECS, concurrency=4, on_result=seen.append)
    assert [r.index for r in results] == list(range(len(SPECS)))
    assert [r.name for r in results] == [s["name"] for s in SPECS]
    assert {r.status for r in results} == {"created"}
    assert len({r.audience_id for r in results}) == len(SPECS)
    assert sorted(r.index for r in seen) == list(range(len(SPECS)))  # each reported once
    names = listed(client)
    assert len(names) == before + len(SPECS)
    for result in results:  # each ID is the audience of its own spec
        assert result.audience_id is not None
        assert client.audiences.get(result.audience_id, page_size=1).data


def test_one_bad_spec_stops_everything_before_sending(client: AudienceLab) -> None:
    before = len(listed(client))
    specs = [SPECS[0], {"name": "Bad", "filters": {"zipCode": ["10001"]}, "dayz_back": 3}]
    with pytest.raises(FilterValidationError) as info:
        client.audiences.create_many(specs)
    paths = {(p.path, p.suggestion) for p in info.value.problems}
    assert paths == {("specs[1].filters.zipCode", "zip"), ("specs[1].dayz_back", "days_back")}
    assert len(listed(client)) == before  # not even the good spec was sent


def test_an_unknown_outcome_is_never_repeated(tmp_path: Path) -> None:
    # Every connection is dropped; about half of them after the audience was saved.
    with (
        start_sandbox(tmp_path, drop_rate=1.0, seed=11) as lossy,
        AudienceLab(
            api_key=API_KEY, base_url=lossy.base_url, retry_policy=RetryPolicy(initial_delay=0)
        ) as client,
    ):
        results = client.audiences.create_many(SPECS, concurrency=3)
    assert {r.status for r in results} == {"unknown"}
    assert all("may or may not" in str(r.error) for r in results)
    # The same database, served without faults: what was saved, each at most once.
    with (
        start_sandbox(tmp_path) as clean,
        AudienceLab(api_key=API_KEY, base_url=clean.base_url) as client,
    ):
        saved = listed(client)
    assert 0 < len(saved) < len(SPECS)
    assert len(set(saved)) == len(saved)
    assert set(saved) <= {str(s["name"]) for s in SPECS}


def test_after_the_key_is_refused_nothing_more_is_sent(sandbox: Sandbox) -> None:
    with AudienceLab(api_key="sk_test_not_a_key_of_this_sandbox", base_url=sandbox.base_url) as c:
        results = c.audiences.create_many(SPECS, concurrency=1)
    assert results[0].status == "failed"
    assert isinstance(results[0].error, AuthenticationError)
    assert [r.status for r in results[1:]] == ["not_sent"] * (len(SPECS) - 1)


@pytest.mark.anyio
async def test_async_create_many(aclient: AsyncAudienceLab) -> None:
    results = await aclient.audiences.create_many(SPECS, concurrency=3)
    assert [r.name for r in results] == [s["name"] for s in SPECS]
    assert {r.status for r in results} == {"created"}
