"""Filter values checked before they cost credits, against a real sandbox (issue 9).

The sandbox serves the vocabularies its generator uses (industries, departments, seniority, SIC
codes, segments); the SDK fetches them the first time a filter needs them.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiencelab import (
    AsyncAudienceLab,
    AudienceLab,
    AudienceTooSmallError,
    FilterValidationError,
    FilterValueWarning,
)
from audiencelab.sandbox import Sandbox
from tests.e2e.conftest import API_KEY, start_sandbox

TYPO = {"businessProfile": {"industry": ["Sofware Development"]}}
UNKNOWN = {"businessProfile": {"industry": ["Quantum Basket Weaving"]}}


def count(client: AudienceLab) -> int:
    return len(list(client.audiences.list()))


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[AudienceLab]:
    """A client of a sandbox of its own (so that requests can be counted)."""
    with (
        start_sandbox(tmp_path) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client,
    ):
        yield client


def test_a_misspelled_value_is_refused_with_the_fix_and_nothing_is_created(
    fresh: AudienceLab,
) -> None:
    before = count(fresh)
    with pytest.raises(FilterValidationError) as info:
        fresh.audiences.create(name="typo", filters=TYPO)
    [problem] = info.value.problems
    assert problem.path == "filters.businessProfile.industry[0]"
    assert problem.suggestion == "Software Development"
    assert "did you mean 'Software Development'?" in str(info.value)
    assert count(fresh) == before


def test_a_value_in_another_case_is_sent_in_the_known_spelling(fresh: AudienceLab) -> None:
    filters = {"businessProfile": {"industry": ["software  DEVELOPMENT"], "seniority": ["vp"]}}
    created = fresh.audiences.create(name="case", filters=filters)
    page = fresh.audiences.get(created.audience_id, page_size=5)
    assert page.data  # the sandbox found people: the canonical spelling was sent
    assert {row["COMPANY_INDUSTRY"] for row in page.data} == {"Software Development"}


def test_an_unknown_value_is_sent_with_a_warning_unless_strict(fresh: AudienceLab) -> None:
    with pytest.warns(FilterValueWarning) as caught:
        fresh.audiences.create(name="unknown", filters=UNKNOWN)
    messages = [str(w.message) for w in caught]
    assert any("'Quantum Basket Weaving' is not among" in m for m in messages)
    assert any(m.startswith("the sandbox says:") for m in messages)  # X-Sandbox-Filter-Warnings
    before = count(fresh)
    with pytest.raises(FilterValidationError) as info:
        fresh.audiences.create(name="strict", filters=UNKNOWN, value_checks="strict")
    assert "value_checks='strict'" in str(info.value)
    assert count(fresh) == before


def test_no_value_checks(fresh: AudienceLab) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the sandbox still says it matches nobody
        created = fresh.with_options(value_checks="off").audiences.create(name="off", filters=TYPO)
    assert created.audience_id


def test_filters_that_select_everyone_need_allow_unfiltered(fresh: AudienceLab) -> None:
    before = count(fresh)
    for empty in ({}, {"age": {}, "businessProfile": {}}):
        with pytest.raises(FilterValidationError) as info:
            fresh.audiences.create(name="all", filters=empty)
        [problem] = info.value.problems
        assert problem.path == "filters"
        assert "unfiltered" in problem.message
    assert count(fresh) == before
    assert fresh.audiences.create(name="all", filters={}, allow_unfiltered=True).audience_id
    assert fresh.audiences.create(name="seg", filters={}, segment=["b2c_1253"]).audience_id


def test_a_zip_in_another_state_is_refused(fresh: AudienceLab) -> None:
    with pytest.raises(FilterValidationError) as info:
        fresh.audiences.create(name="geo", filters={"state": ["IL"], "zip": ["02108", "60601"]})
    [problem] = info.value.problems
    assert problem.path == "filters.zip[0]"
    assert "02108 is in MA, not in any state given (IL)" in problem.message


def test_min_count_previews_first_and_creates_nothing_when_too_few(fresh: AudienceLab) -> None:
    before = count(fresh)
    nobody = {"city": ["Chicago"], "state": ["IL"], "age": {"minAge": 119, "maxAge": 120}}
    with (
        pytest.raises(AudienceTooSmallError) as info,
        pytest.warns(FilterValueWarning, match="the sandbox says: filters.age: no adults"),
    ):
        fresh.audiences.create(name="few", filters=nobody, min_count=1)
    assert (info.value.count, info.value.min_count) == (0, 1)
    assert count(fresh) == before
    created = fresh.audiences.create(name="many", filters={"city": ["Chicago"]}, min_count=1000)
    assert count(fresh) == before + 1
    assert created.audience_id in {a.id for a in fresh.audiences.list()}


def test_the_vocabularies_are_cached_on_disk_per_origin(tmp_path: Path) -> None:
    cache = Path(os.environ["AUDIENCELAB_CACHE_DIR"])
    with (
        start_sandbox(tmp_path) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as first,
    ):
        first.audiences.create(name="one", filters={"businessProfile": {"industry": ["Retail"]}})
        [cached] = cache.glob("vocabularies/*/industries.json")
        data = json.loads(cached.read_text(encoding="utf-8"))
        assert "Retail" in data["values"]
        assert data["origin"] == sandbox.base_url
        # A second client reads the file: it refuses a typo without fetching (the file is
        # changed here to prove the list comes from it, not from the API).
        data["values"].append("Basket Weaving")
        cached.write_text(json.dumps(data), encoding="utf-8")
        with AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as second:
            with pytest.raises(FilterValidationError) as info:
                second.audiences.create(
                    name="two", filters={"businessProfile": {"industry": ["Baskett Weaving"]}}
                )
            assert info.value.problems[0].suggestion == "Basket Weaving"
            # Stale after a day: fetched again (the edited value is gone from the list).
            data["fetched_at"] -= 25 * 3600
            cached.write_text(json.dumps(data), encoding="utf-8")
        with AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as third:
            values = third.audiences.attributes("industries").values
        assert "Basket Weaving" not in values
        assert "Basket Weaving" not in json.loads(cached.read_text(encoding="utf-8"))["values"]


def test_a_corrupt_cache_file_is_fetched_again(tmp_path: Path) -> None:
    cache = Path(os.environ["AUDIENCELAB_CACHE_DIR"])
    with (
        start_sandbox(tmp_path) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client,
    ):
        client.audiences.attributes("seniority")
        [cached] = cache.glob("vocabularies/*/seniority.json")
        cached.write_text("{not json", encoding="utf-8")
        with AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as again:
            assert "VP" in again.audiences.attributes("seniority").values
        assert "VP" in json.loads(cached.read_text(encoding="utf-8"))["values"]


def test_an_unwritable_cache_never_blocks_a_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("AUDIENCELAB_CACHE_DIR", str(not_a_folder))
    with (
        start_sandbox(tmp_path) as sandbox,
        AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client,
    ):
        with pytest.raises(FilterValidationError):  # still checked, from memory
            client.audiences.create(name="t", filters=TYPO)
        assert client.audiences.create(
            name="ok", filters={"businessProfile": {"industry": ["Retail"]}}
        )


@pytest.mark.anyio
async def test_the_async_client_checks_values_the_same_way(sandbox: Sandbox) -> None:
    async with AsyncAudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as client:
        with pytest.raises(FilterValidationError) as info:
            await client.audiences.create(name="typo", filters=TYPO)
        assert info.value.problems[0].suggestion == "Software Development"
        with pytest.raises(FilterValidationError):
            await client.audiences.preview(TYPO)
        with pytest.warns(FilterValueWarning):
            await client.audiences.preview(UNKNOWN)
        with pytest.raises(AudienceTooSmallError), pytest.warns(FilterValueWarning):
            await client.audiences.create(
                name="few", filters={"zip": ["60601"], "age": {"minAge": 120}}, min_count=1
            )
