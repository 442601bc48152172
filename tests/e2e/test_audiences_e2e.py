"""Audiences end to end: create, read back people who match, page, list, delete, preview."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from audiencelab import (
    AsyncAudienceLab,
    AudienceLab,
    AudienceNotReadyError,
    FilterValidationError,
    NotFoundError,
    WaitTimeoutError,
)
from audiencelab.pytest_plugin import SandboxClock
from tests.e2e.conftest import API_KEY

NYC_ENGINEERS: dict[str, Any] = {
    "age": {"minAge": 25, "maxAge": 45},
    "city": ["New York"],
    "businessProfile": {"industry": ["Software Development"]},
}


def assert_matches_nyc_engineers(row: dict[str, Any]) -> None:
    assert row["PERSONAL_CITY"] == "New York"
    assert 25 <= int(row["AGE"]) <= 45
    assert row["COMPANY_INDUSTRY"] == "Software Development"


@pytest.mark.slow
def test_issue_snippet_sync(client: AudienceLab) -> None:
    result = client.audiences.create(
        name="Software Engineers in NYC", filters=NYC_ENGINEERS, days_back=30
    )
    assert len(result.audience_id) == 36
    ready = client.audiences.wait_until_ready(result.audience_id, timeout=10)
    assert ready.total_records
    rows = list(client.audiences.records(result.audience_id, page_size=250))
    assert len(rows) == ready.total_records
    assert len({row["UUID"] for row in rows}) == len(rows)
    for row in rows:
        assert_matches_nyc_engineers(row)


@pytest.mark.slow
@pytest.mark.anyio
async def test_issue_snippet_async(aclient: AsyncAudienceLab) -> None:
    result = await aclient.audiences.create(
        name="Software Engineers in NYC", filters=NYC_ENGINEERS, days_back=30
    )
    ready = await aclient.audiences.wait_until_ready(result.audience_id, timeout=10)
    rows = [row async for row in aclient.audiences.records(result.audience_id, page_size=300)]
    assert len(rows) == ready.total_records
    for row in rows:
        assert_matches_nyc_engineers(row)
    listed = [a.id async for a in aclient.audiences.list(page_size=2)]
    assert result.audience_id in listed
    page = await aclient.audiences.list(page=1, page_size=1)
    assert page.total_records == len(listed)


@pytest.mark.slow
def test_sync_and_async_read_the_same_people(client: AudienceLab, sandbox: Any) -> None:
    import anyio

    created = client.audiences.create(name="parity", filters={"state": ["TX"], "gender": "female"})
    sync_rows = list(client.audiences.records(created.audience_id, page_size=500))

    async def read() -> list[dict[str, Any]]:
        async with AsyncAudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as ac:
            return [r async for r in ac.audiences.records(created.audience_id, page_size=500)]

    assert anyio.run(read) == sync_rows
    assert all(r["PERSONAL_STATE"] == "TX" and r["GENDER"] == "F" for r in sync_rows)


def test_a_typo_is_refused_and_nothing_reaches_the_server(client: AudienceLab) -> None:
    before = client.audiences.list(page=1).total_records
    with pytest.raises(
        FilterValidationError, match=r"filters\.zipCode: unknown filter; did you mean 'zip'\?"
    ):
        client.audiences.create(name="typo", filters={"zipCode": ["10001"]})
    assert client.audiences.list(page=1).total_records == before


def test_paging_arithmetic(client: AudienceLab) -> None:
    filters = {"zip": ["94105"], "age": {"minAge": 30, "maxAge": 40}}
    created = client.audiences.create(name="paging", filters=filters)
    first = client.audiences.get(created.audience_id, page=1, page_size=97)
    assert first.total_records is not None
    assert first.total_records % 97 != 0  # a short last page
    assert first.total_pages == -(-first.total_records // 97)
    pages = list(client.audiences.records(created.audience_id, page_size=97).pages())
    assert len(pages) == first.total_pages
    assert [p.page for p in pages] == list(range(1, len(pages) + 1))
    assert sum(len(p.data) for p in pages) == first.total_records
    assert pages[0].data == first.data  # the same page always returns the same rows
    assert len(pages[-1].data) == first.total_records % 97
    beyond = client.audiences.get(created.audience_id, page=len(pages) + 1, page_size=97)
    assert beyond.data == []


def test_list_pages_through_every_audience(client: AudienceLab) -> None:
    ids = {
        client.audiences.create(name=f"list {i}", filters={"zip": ["73301"]}).audience_id
        for i in range(5)
    }
    listed = list(client.audiences.list(page_size=2))
    assert ids <= {a.id for a in listed}
    assert len(listed) == len({a.id for a in listed})
    assert {a.name for a in listed if a.id in ids} == {f"list {i}" for i in range(5)}


@pytest.mark.slow
def test_tenancy(client: AudienceLab, other_client: AudienceLab) -> None:
    mine = client.audiences.create(name="mine", filters={"city": ["Boston"]}).audience_id
    assert mine not in {a.id for a in other_client.audiences.list()}
    with pytest.raises(NotFoundError):
        other_client.audiences.get(mine)


def test_delete(client: AudienceLab) -> None:
    created = client.audiences.create(name="to delete", filters={"city": ["Denver"]})
    deleted = client.audiences.delete(created.audience_id)
    assert deleted.id == created.audience_id
    with pytest.raises(NotFoundError) as info:
        client.audiences.get(created.audience_id)
    assert info.value.status_code == 404
    with pytest.raises(NotFoundError):
        client.audiences.delete(created.audience_id)  # first attempt: a 404 is an error


def test_preview_custom_and_attributes(client: AudienceLab) -> None:
    preview = client.audiences.preview(NYC_ENGINEERS, days_back=7, limit=5)
    assert preview.count is not None
    assert preview.count > 0
    assert len(preview.result) == 5
    for row in preview.result:
        assert_matches_nyc_engineers(row)
    assert (
        client.audiences.create_custom("Pickleball", "People who play pickleball").status
        == "processing"
    )
    industries = client.audiences.attributes("industries")
    assert "Software Development" in industries.values
    assert industries.count == len(industries.values)
    segments = client.audiences.attributes("segments")
    assert all(s.id.startswith(("b2c_", "b2b_")) for s in segments.values)


def test_segment_ids_from_attributes_are_accepted_by_create(client: AudienceLab) -> None:
    segment = client.audiences.attributes("segments").values[0]
    created = client.audiences.create(name="intent", filters={}, segment=[segment.id], days_back=7)
    assert created.audience_id


@pytest.mark.audiencelab_sandbox(build_seconds=600)
def test_wait_until_ready_while_building(
    audiencelab_client: AudienceLab, audiencelab_clock: SandboxClock
) -> None:
    # The plugin's sandbox, on a clock moved by hand: ten minutes of building, no sleeping.
    c = audiencelab_client
    created = c.audiences.create(name="slow", filters={"city": ["Austin"]})
    with pytest.raises(AudienceNotReadyError):
        c.audiences.get(created.audience_id)
    with pytest.raises(WaitTimeoutError, match="still be building"):
        c.audiences.wait_until_ready(created.audience_id, timeout=0.3, poll_interval=0.1)
    audiencelab_clock.advance(599)
    with pytest.raises(AudienceNotReadyError):
        c.audiences.get(created.audience_id)
    audiencelab_clock.advance(2)
    ready = c.audiences.wait_until_ready(created.audience_id, timeout=20, poll_interval=0.2)
    assert ready.total_records
    assert c.audiences.get(created.audience_id).data


def test_logs_show_the_work_but_never_the_key(
    client: AudienceLab, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = client.audiences.create(name="logged", filters={"city": ["Miami"]})
    list(client.audiences.records(created.audience_id, page_size=1000))
    assert "POST /audiences -> 200" in caplog.text
    assert f"GET /audiences/{created.audience_id}?page=1&page_size=1000 -> 200" in caplog.text
    assert API_KEY not in caplog.text
