"""The plan of checks, against a plain loopback server that sends no hints (issues 16 and 23).

What is refused or warned about here is the SDK's own doing: the server knows nothing of
filters. It also hangs or garbles the lists of allowed values, to show that checking values never
stalls nor breaks a create.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from audiencelab import (
    AsyncAudienceLab,
    AudienceLab,
    FilterValidationError,
    FilterValueWarning,
    operations,
)
from tests.e2e.plain_server import (
    Answer,
    PlainServer,
    attribute_answer,
    deeply_nested,
    garbled_gzip,
    json_answer,
    plain_server,
)

KEY = "sk_test_plain_server_4d2a"
LISTS: dict[str, list[Any]] = {
    "industries": ["Software Development", "Retail", "Hospitals and Health Care"],
    "seniority": ["CXO", "VP", "Director", "Manager", "Staff"],
    "departments": ["Engineering", "Sales"],
    "sic": ["7372"],
    "segments": [{"id": "b2c_1253", "name": "Solar", "b2b": False}],
}


def lists_route(method: str, path: str, body: Any) -> Answer:
    if method == "GET" and path.startswith("/audiences/attributes/"):
        name = path.rsplit("/", 1)[-1]
        return attribute_answer(name, LISTS[name])
    if method == "POST" and path == "/audiences":
        return json_answer({"audienceId": f"a{len(json.dumps(body))}"})
    if method == "POST" and path == "/audiences/preview":
        return json_answer({"count": 5000, "result": []})
    return json_answer({"error": "not here"}, 404)


@pytest.fixture
def server() -> Iterator[PlainServer]:
    with plain_server(lists_route) as running:
        yield running


@pytest.fixture
def client(server: PlainServer) -> Iterator[AudienceLab]:
    with AudienceLab(api_key=KEY, base_url=server.url) as c:
        yield c


def posts(server: PlainServer) -> list[Any]:
    return [s.body for s in server.seen if s.method == "POST"]


@pytest.mark.parametrize(
    ("filters", "path", "message", "suggestion"),
    [
        (
            {"city": ["Austin"], "state": ["NY"]},
            "filters.city[0]",
            "'Austin' is a city of TX, AR, CO, IN, KY, MN, MO, NV and 2 more, not of any state "
            "given (NY): together they would match nobody",
            None,
        ),
        (
            {"city": ["Chicago"], "zip": ["02108"]},
            "filters.zip[0]",
            "ZIP code 02108 is in Boston, MA, and no city given is in MA (Chicago): together "
            "they would match nobody",
            None,
        ),
        (
            {"city": ["San Fransisco"]},
            "filters.city[0]",
            "unknown city 'San Fransisco'",
            "San Francisco",
        ),
        (
            {"city": ["Chicago"], "personalState": ["IL"], "zip": ["02108"]},
            "filters.zip[0]",
            "ZIP code 02108 is in MA, not in any state given (IL): together they would match "
            "nobody",
            None,
        ),
    ],
)
@pytest.mark.slow
def test_geography_is_refused_by_the_sdk_itself(
    server: PlainServer,
    client: AudienceLab,
    filters: dict[str, Any],
    path: str,
    message: str,
    suggestion: str | None,
) -> None:
    with pytest.raises(FilterValidationError) as info:
        client.audiences.create(name="geo", filters=filters)
    [problem] = info.value.problems
    assert (problem.path, problem.message, problem.suggestion) == (path, message, suggestion)
    assert posts(server) == []
    # A dry run refuses the same, with the same words.
    with pytest.raises(FilterValidationError) as dry:
        operations.create_audience("geo", filters, client=client)
    assert str(dry.value) == str(info.value)


@pytest.mark.parametrize(
    ("filters", "warned"),
    [
        (
            {"city": ["Cambridge"], "zip": ["02108"]},
            "filters.zip[0]: ZIP code 02108 is in Boston, MA, not in any city given (Cambridge); "
            "it may match nobody",
        ),
        (
            {"city": ["Xyzzyville"]},
            "filters.city[0]: 'Xyzzyville' is not a US city that USPS knows; it is sent as it "
            "is, but it may match nobody",
        ),
        (
            {"profile": {"netWorth": ["$1M+"]}},
            "filters.profile.netWorth[0]: '$1M+' is not among the labels known here "
            "('$2,500 to $24,999', 'more than $1,000,000'; the list is incomplete); it is sent as "
            "it is, but a label the API does not know matches nobody: use the dashboard's exact "
            "spelling",
        ),
        (
            {"attributes": {"credit_rating": ["750-799", "801+"]}},
            "filters.attributes.credit_rating[1]: '801+' is not among the labels known here "
            "('800+', '750 - 799', 'under 499'; the list is incomplete); did you mean '800+'?",
        ),
    ],
)
@pytest.mark.slow
def test_what_may_match_nobody_is_never_sent_in_silence(
    server: PlainServer, client: AudienceLab, filters: dict[str, Any], warned: str
) -> None:
    with pytest.warns(FilterValueWarning) as caught:
        client.audiences.create(name="maybe", filters=filters)
    messages = [str(w.message) for w in caught]
    assert any(m.startswith(warned) for m in messages), messages
    assert not any(m.startswith("the sandbox says") for m in messages)
    [sent] = posts(server)
    if "credit_rating" in json.dumps(filters):  # a known label is sent in its own spelling
        assert sent["filters"]["attributes"]["credit_rating"] == ["750 - 799", "801+"]


def test_a_dry_run_shows_the_bytes_a_send_sends(server: PlainServer, client: AudienceLab) -> None:
    filters = {"businessProfile": {"industry": ["software development"], "seniority": ["vp"]}}
    dry = operations.create_audience("bytes", filters, client=client)
    assert b'"industry":["Software Development"],"seniority":["VP"]' in (dry.content or b"")
    client.audiences.create(name="bytes", filters=filters)
    [create] = [s for s in server.seen if s.method == "POST"]
    assert json.dumps(create.body, separators=(",", ":")).encode() == dry.content
    # The lists were fetched once for both (the client keeps them).
    assert server.paths("GET").count("/audiences/attributes/industries") == 1


@pytest.mark.slow
def test_structure_values_and_min_count_problems_come_together_before_any_create(
    server: PlainServer, client: AudienceLab
) -> None:
    with pytest.raises(FilterValidationError) as info:
        client.audiences.create(
            name="x",
            filters={
                "age": {"minAge": 50, "maxAge": 20},
                "businessProfile": {"industry": ["Retial"]},
                "profile": {"incomeRange": ["$75,000 to $99,99"]},
            },
            min_count=-1,
        )
    found = {p.path: p for p in info.value.problems}
    assert set(found) == {
        "min_count",
        "filters.age",
        "filters.businessProfile.industry[0]",
        "filters.profile.incomeRange[0]",
    }
    assert found["filters.businessProfile.industry[0]"].suggestion == "Retail"
    assert found["filters.profile.incomeRange[0]"].suggestion == "$75,000 to $99,999"
    assert "minAge (50) is greater than maxAge (20)" in found["filters.age"].message
    assert posts(server) == []  # neither the preview of min_count nor the create


def test_create_many_names_every_bad_spec_and_fetches_each_list_once(
    server: PlainServer, client: AudienceLab
) -> None:
    bad = [
        {"name": "ages", "filters": {"age": {"minAge": 60, "maxAge": 30}}},
        {"name": "typo", "filters": {"businessProfile": {"industry": ["Sofware Development"]}}},
        {"name": "level", "filters": {"businessProfile": {"seniority": ["Directr"]}}},
        {"name": "fine", "filters": {"businessProfile": {"industry": ["Retail"]}}},
    ]
    with pytest.raises(FilterValidationError) as info:
        client.audiences.create_many(bad)
    assert {p.loc[1] for p in info.value.problems} == {0, 1, 2}
    assert posts(server) == []
    good = [
        {
            "name": f"n{i}",
            "filters": {"businessProfile": {"industry": ["Retail"], "seniority": ["VP"]}},
        }
        for i in range(4)
    ]
    results = client.audiences.create_many(good, concurrency=2)
    assert [r.status for r in results] == ["created"] * 4
    gets = server.paths("GET")
    assert gets.count("/audiences/attributes/industries") == 1
    assert gets.count("/audiences/attributes/seniority") == 1


def _hanging(method: str, path: str, body: Any) -> Answer:
    if path.startswith("/audiences/attributes/"):
        return None
    return lists_route(method, path, body)


@pytest.mark.slow
def test_a_hanging_list_never_stalls_a_create_and_is_not_waited_for_again() -> None:
    filters = {"businessProfile": {"industry": ["Software Development"]}}
    with plain_server(_hanging) as server, AudienceLab(api_key=KEY, base_url=server.url) as client:
        assert client.timeout is not None
        assert client.timeout.read == 60  # the default: the lists have a budget of their own
        started = time.monotonic()
        with pytest.warns(FilterValueWarning, match="the API's list of industries could not be"):
            client.audiences.create(name="one", filters=filters)
        first = time.monotonic() - started
        assert first < 5
        assert len(posts(server)) == 1
        started = time.monotonic()
        with pytest.warns(FilterValueWarning, match="s ago; asked again after 300 s"):
            client.audiences.create(name="two", filters=filters)
        assert time.monotonic() - started < 1.5
        assert server.paths("GET") == ["/audiences/attributes/industries"]
        with pytest.raises(FilterValidationError) as info:
            client.audiences.create(name="three", filters=filters, value_checks="strict")
        [problem] = info.value.problems
        assert problem.path == "filters.businessProfile.industry"
        assert "cannot be checked: the API's list of industries could not be had" in problem.message
        assert len(posts(server)) == 2


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_async_client_does_not_stall_either() -> None:
    filters = {"businessProfile": {"industry": ["Retail"]}}
    with plain_server(_hanging) as server:
        async with AsyncAudienceLab(api_key=KEY, base_url=server.url) as client:
            started = time.monotonic()
            with pytest.warns(FilterValueWarning):
                await client.audiences.create(name="one", filters=filters, segment=["b2c_1253"])
            assert time.monotonic() - started < 5
            assert len(posts(server)) == 1


@pytest.mark.parametrize(
    "answer",
    [
        garbled_gzip(),
        deeply_nested(),
        (200, {"Content-Type": "application/json"}, b"{not json"),
        json_answer({"attributes": "nothing here"}),
        json_answer({"attributes": {"industries": {"data": "not a list"}}}),
    ],
    ids=["gzip", "nested", "not-json", "no-block", "data-not-a-list"],
)
@pytest.mark.slow
def test_a_garbled_list_never_breaks_a_create(answer: Answer) -> None:
    def route(method: str, path: str, body: Any) -> Answer:
        return (
            answer if path.startswith("/audiences/attributes/") else lists_route(method, path, body)
        )

    with plain_server(route) as server, AudienceLab(api_key=KEY, base_url=server.url) as client:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            created = client.audiences.create(
                name="g", filters={"businessProfile": {"industry": ["Retail"]}}
            )
        assert created.audience_id
        texts = [str(w.message) for w in caught]
        assert any("the API's list of industries could not be had" in t for t in texts), texts
        assert len(posts(server)) == 1


@pytest.mark.slow
def test_the_lists_share_one_budget_and_one_out_of_time_is_asked_for_next_time() -> None:
    filters = {"businessProfile": {"industry": ["Retail"], "seniority": ["VP"]}}
    with plain_server(_hanging) as server, AudienceLab(api_key=KEY, base_url=server.url) as client:
        started = time.monotonic()
        with pytest.warns(FilterValueWarning) as caught:
            client.audiences.create(name="one", filters=filters)
        assert time.monotonic() - started < 5  # not 3 s a list: 3 s for both
        texts = [str(w.message) for w in caught]
        assert any("list of seniority could not be had (no time was left" in t for t in texts)
        assert server.paths("GET") == ["/audiences/attributes/industries"]
        # The list that had no time is asked for next time; the one that hung is remembered.
        with pytest.warns(FilterValueWarning):
            client.audiences.create(name="two", filters=filters)
        assert server.paths("GET") == [
            "/audiences/attributes/industries",
            "/audiences/attributes/seniority",
        ]
