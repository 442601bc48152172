"""The exact request on the wire for POST /audiences, against the official example of §3.1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from audiencelab import (
    AgeRange,
    Attributes,
    AudienceCreated,
    AudienceFilters,
    BusinessProfile,
    __version__,
)
from tests.golden import load_golden
from tests.sdk.mock import API_KEY, Recorder, reply

# The official example, verbatim except that its `<string>` placeholders for state, personalState
# and zip become valid values: the SDK checks those (two-letter state codes, 5-digit ZIPs), and
# that its empty `gender: []` is left out: an empty list is refused ("remove it or give a value").
GOLDEN = load_golden("create_audience.request")
GOLDEN["filters"].update(state=["NY"], personalState=["NJ"], zip=["10001"])
del GOLDEN["filters"]["gender"]
# The `<string>` placeholders of the other filters are not values of the lists the API serves:
# these byte-for-byte tests send them with the value checks off.
PLACEHOLDERS_AS_VALUES = {"value_checks": "off"}
CREATED = load_golden("create_audience.response")


def canonical(body: Any) -> bytes:
    """The golden body as compact JSON, keys in the official order."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def create_official(client: Any) -> Any:
    return client.audiences.create(
        name=GOLDEN["name"],
        filters=GOLDEN["filters"],
        segment=GOLDEN["segment"],
        days_back=GOLDEN["days_back"],
    )


def test_official_example_is_sent_byte_for_byte() -> None:
    recorder = Recorder([reply(200, CREATED)])
    with recorder.sync_client(**PLACEHOLDERS_AS_VALUES) as client:
        result = create_official(client)

    assert result == AudienceCreated(audienceId="812b78c3-83e6-4d6a-8245-def0dde26223")
    assert result.audience_id == "812b78c3-83e6-4d6a-8245-def0dde26223"
    (request,) = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.audiencelab.io/audiences"
    assert request.content == canonical(GOLDEN)
    assert request.headers["X-Api-Key"] == API_KEY
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == f"audiencelab-python/{__version__}"
    assert "authorization" not in request.headers


def test_typed_models_send_the_same_bytes_as_the_official_dict() -> None:
    filters = AudienceFilters(
        age=AgeRange(min_age=25, max_age=45),
        city=["<string>"],
        state=["NY"],
        personal_state=["NJ"],
        zip="10001",
        business_profile=BusinessProfile(
            industry=["<string>"],
            seniority=["<string>"],
            company_name=["<string>"],
            job_title=["<string>"],
            exclude_job_title=["<string>"],
        ),
        attributes=Attributes(
            education=["bachelor's", "master's"], exclude_education="high school"
        ),
    )
    recorder = Recorder([reply(200, CREATED)])
    with recorder.sync_client(**PLACEHOLDERS_AS_VALUES) as client:
        client.audiences.create(name="<string>", filters=filters, segment="b2c_1253", days_back=123)
    assert recorder.requests[0].content == canonical(GOLDEN)


def test_issue_snippet_sends_documented_shape() -> None:
    recorder = Recorder([reply(200, CREATED)])
    with recorder.sync_client() as client:
        client.audiences.create(
            name="Software Engineers in NYC",
            filters={
                "age": {"minAge": 25, "maxAge": 45},
                "city": ["New York"],
                "businessProfile": {"industry": ["Software Development"]},
            },
            days_back=30,
        )
    # First the list of industries (which the value check needs), then the create.
    assert [r.url.path for r in recorder.requests] == [
        "/audiences/attributes/industries",
        "/audiences",
    ]
    assert recorder.requests[-1].content == (
        b'{"name":"Software Engineers in NYC","filters":{"age":{"minAge":25,"maxAge":45},'
        b'"city":["New York"],"businessProfile":{"industry":["Software Development"]}},'
        b'"days_back":30}'
    )


def test_snake_case_keys_bare_strings_and_unset_fields() -> None:
    recorder = Recorder([reply(200, CREATED)])
    with recorder.sync_client() as client:
        client.audiences.create(
            name="n",
            filters={
                "age": {"min_age": 30},
                "state": "California",
                "zip": "94105",
                "gender": "female",
                "business_profile": {"job_title": "CTO", "company_name": None},
                "attributes": {
                    "exclude_education": "high school",
                    "home_year_built": {"min": 1990},
                },
                "profile": {},
            },
        )
    body = recorder.bodies[0]
    assert body == {
        "name": "n",
        "filters": {
            "age": {"minAge": 30},
            "state": ["CA"],
            "zip": ["94105"],
            "gender": ["F"],
            "businessProfile": {"jobTitle": ["CTO"]},
            "attributes": {"excludeEducation": ["high school"], "home_year_built": {"min": 1990}},
        },
    }
    assert b"null" not in recorder.requests[0].content
    assert "segment" not in body
    assert "days_back" not in body


def test_non_ascii_is_sent_as_utf8() -> None:
    recorder = Recorder([reply(200, CREATED)])
    with recorder.sync_client() as client:
        client.audiences.create(name="Café owners", filters={"city": ["San José"]})
    assert "San José".encode() in recorder.requests[0].content


def test_base_url_with_path_prefix_and_trailing_slash() -> None:
    recorder = Recorder([reply(200, CREATED)])
    with recorder.sync_client(base_url="https://proxy.example.com/audiencelab/") as client:
        client.audiences.create(name="n", filters={"city": ["Austin"]})
    assert str(recorder.requests[0].url) == "https://proxy.example.com/audiencelab/audiences"


@pytest.mark.anyio
async def test_async_client_sends_identical_bytes() -> None:
    sync_recorder, async_recorder = Recorder([reply(200, CREATED)]), Recorder([reply(200, CREATED)])
    with sync_recorder.sync_client(**PLACEHOLDERS_AS_VALUES) as client:
        sync_result = create_official(client)
    async with async_recorder.async_client(**PLACEHOLDERS_AS_VALUES) as aclient:
        async_result = await create_official(aclient)
    assert sync_result == async_result
    sync_req, async_req = sync_recorder.requests[0], async_recorder.requests[0]
    assert (sync_req.method, str(sync_req.url), sync_req.content) == (
        async_req.method,
        str(async_req.url),
        async_req.content,
    )
    assert sorted(sync_req.headers.items()) == sorted(async_req.headers.items())
