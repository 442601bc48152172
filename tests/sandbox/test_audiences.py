"""Audience endpoints in-process: shapes (golden), validation, lifecycle, paging, tenancy."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

from audiencelab.sandbox import SandboxApp
from audiencelab.sandbox._backend import tenant_of
from tests.golden import assert_same_shape, golden_bytes, load_golden

from .conftest import KEY, Clock, make_client
from .helpers import row_problems

pytestmark = pytest.mark.anyio

AGE_ONLY = {"age": {"minAge": 25, "maxAge": 45}}


async def create(client: httpx.AsyncClient, filters: dict[str, Any], **extra: Any) -> str:
    r = await client.post("/audiences", json={"name": "test audience", "filters": filters, **extra})
    assert r.status_code == 200, r.text
    return str(r.json()["audienceId"])


def error_message(r: httpx.Response, status: int = 400) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert_same_shape(body, "validation_error.response")
    if status == 400:
        assert body["error"]["code"] == "VALIDATION_ERROR"
    return str(body["error"]["message"])


async def test_the_official_create_audience_example_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/audiences",
        content=golden_bytes("create_audience.request"),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert_same_shape(body, "create_audience.response")
    assert list(body) == ["audienceId"]  # only audienceId (reference §3.1)
    assert uuid.UUID(body["audienceId"]).version == 4
    # its placeholders ("<string>") match no one, and the sandbox says why
    assert "'<string>' is not a known US state" in r.headers["X-Sandbox-Filter-Warnings"]


async def test_a_city_with_zip_codes_of_another_state_builds_an_empty_audience_and_says_why(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    r = await client.post(
        "/audiences",
        json={"name": "x", "filters": {"city": ["Chicago"], "zip": ["02108", "02110"]}},
    )
    assert r.status_code == 200, r.text
    warnings = r.headers["X-Sandbox-Filter-Warnings"]
    assert "filters.city: 'Chicago' (IL, ZIP codes 606xx) has none of the ZIP codes" in warnings
    clock.advance(60)
    page = (await client.get(f"/audiences/{r.json()['audienceId']}")).json()
    assert (page["total_records"], page["data"]) == (0, [])
    # With a city that does fit, the other is ignored, and the header says so.
    r = await client.post(
        "/audiences",
        json={"name": "x", "filters": {"city": ["Chicago", "Boston"], "zip": ["02108"]}},
    )
    assert r.headers["X-Sandbox-Filter-Warnings"] == (
        "filters.city: 'Chicago' (IL, ZIP codes 606xx) has none of the ZIP codes asked for, so "
        "it was ignored"
    )


async def test_audience_builds_then_serves_records_matching_its_filters(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    filters = {"state": ["California"], "age": {"minAge": 30, "maxAge": 40}, "gender": ["female"]}
    audience_id = await create(client, filters)
    r = await client.get(f"/audiences/{audience_id}")
    assert r.status_code == 200
    assert r.json() == load_golden("audience_building.response")  # {"status": "no data"}
    clock.advance(4.9)
    assert (await client.get(f"/audiences/{audience_id}")).json() == {"status": "no data"}
    clock.advance(0.2)
    r = await client.get(f"/audiences/{audience_id}", params={"page_size": 500})
    body = r.json()
    assert_same_shape(body, "audience_records.response")
    assert body["total_records"] == 10_000  # capped by max_audience_size
    assert (body["page"], body["page_size"], body["total_pages"]) == (1, 500, 20)
    assert len(body["data"]) == 500
    for row in body["data"]:
        assert row_problems(row, filters) == []


@pytest.mark.slow
async def test_paging_arithmetic_and_stable_pages(client: httpx.AsyncClient, clock: Clock) -> None:
    audience_id = await create(client, AGE_ONLY)
    clock.advance(10)

    async def page(n: int, size: int) -> dict[str, Any]:
        r = await client.get(f"/audiences/{audience_id}", params={"page": n, "page_size": size})
        assert r.status_code == 200, r.text
        return dict(r.json())

    first = await page(1, 300)
    assert first["total_pages"] == math.ceil(10_000 / 300) == 34
    last = await page(34, 300)
    assert len(last["data"]) == 10_000 - 33 * 300
    beyond = await page(35, 300)
    assert beyond["data"] == []
    assert beyond["total_records"] == 10_000
    assert (await page(2, 300)) == (await page(2, 300))
    big = (await page(2, 1000))["data"]
    assert big == (await page(3, 500))["data"] + (await page(4, 500))["data"]
    default = await page(1, 100)
    assert (await client.get(f"/audiences/{audience_id}")).json() == default
    uuids = {row["UUID"] for n in range(1, 11) for row in (await page(n, 1000))["data"]}
    assert len(uuids) == 10_000


async def test_list_audiences_envelope(client: httpx.AsyncClient) -> None:
    ids = [await create(client, AGE_ONLY) for _ in range(3)]
    r = await client.get("/audiences", params={"page_size": 2})
    body = r.json()
    assert_same_shape(body, "list_audiences.response")
    assert (body["total_records"], body["page_size"], body["page"], body["total_pages"]) == (
        3,
        2,
        1,
        2,
    )
    assert [a["id"] for a in body["data"]] == ids[:2]
    for item in body["data"]:
        assert set(item) == {
            "id", "name", "next_scheduled_refresh", "scheduled_refresh", "refresh_interval",
            "webhook_url",
        }  # fmt: skip
    second = (await client.get("/audiences", params={"page": 2, "page_size": 2})).json()
    assert [a["id"] for a in second["data"]] == ids[2:]
    assert (await client.get("/audiences", params={"page": 3, "page_size": 2})).json()["data"] == []
    default = (await client.get("/audiences")).json()
    assert default["page_size"] == 100
    assert default["page"] == 1


async def test_delete_audience(client: httpx.AsyncClient) -> None:
    audience_id = await create(client, AGE_ONLY)
    r = await client.delete(f"/audiences/{audience_id}")
    assert r.status_code == 200
    assert r.json() == {"success": True, "id": audience_id}
    assert error_message(await client.get(f"/audiences/{audience_id}"), 404)
    assert error_message(await client.delete(f"/audiences/{audience_id}"), 404)
    assert (await client.get("/audiences")).json()["total_records"] == 0


async def test_each_key_sees_only_its_own_audiences(
    client: httpx.AsyncClient, other: httpx.AsyncClient, clock: Clock
) -> None:
    mine = await create(client, AGE_ONLY)
    theirs = await create(other, AGE_ONLY)
    clock.advance(10)
    assert [a["id"] for a in (await client.get("/audiences")).json()["data"]] == [mine]
    assert [a["id"] for a in (await other.get("/audiences")).json()["data"]] == [theirs]
    assert (await other.get(f"/audiences/{mine}")).status_code == 404
    assert (await other.delete(f"/audiences/{mine}")).status_code == 404
    assert (await client.get(f"/audiences/{mine}")).status_code == 200


@pytest.mark.parametrize("key", [None, "sk_test_nope", "", "Bearer sk_test_alpha"])
async def test_requests_without_a_known_key_get_401(app: SandboxApp, key: str | None) -> None:
    async with make_client(app, key or None) as anon:
        headers = {"X-Api-Key": key} if key == "" else {}
        r = await anon.get("/audiences", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "UNAUTHORIZED"
    assert_same_shape(r.json(), "validation_error.response")


async def test_bearer_auth_is_not_accepted_and_the_message_says_so(app: SandboxApp) -> None:
    async with make_client(app, None) as anon:
        r = await anon.get("/audiences", headers={"Authorization": "Bearer sk_test_alpha"})
    assert r.status_code == 401
    assert "X-Api-Key" in r.json()["error"]["message"]
    assert "Bearer is not supported" in r.json()["error"]["message"]


@pytest.mark.parametrize("header", ["X-Api-Key", "X-API-Key", "x-api-key", "X-API-KEY"])
async def test_any_header_casing_works(app: SandboxApp, header: str) -> None:
    async with make_client(app, None) as anon:
        r = await anon.get("/audiences", headers={header: "sk_test_alpha"})
    assert r.status_code == 200


BAD_BODIES: list[tuple[Any, str]] = [
    (b"{not json", "body: malformed JSON"),
    (b"", "body: a JSON object is required"),
    (b"[1, 2]", "body: expected a JSON object, got array"),
    (b'{"name": "x", "filters": {"age": {"minAge": NaN}}}', "body: malformed JSON"),
    ({}, "name: required"),
    ({"name": "", "filters": {}}, "name: must not be empty"),
    ({"name": 5, "filters": {}}, "name: expected a string, got number 5"),
    ({"name": "x"}, "filters: required"),
    ({"name": "x", "filters": None}, "filters: required"),
    ({"name": "x", "filters": []}, "filters: expected an object, got array"),
    ({"name": "x", "filters": {"city": "Austin"}}, "filters.city: expected an array of strings"),
    ({"name": "x", "filters": {"city": ["Austin", 7]}}, "filters.city[1]: expected a string"),
    ({"name": "x", "filters": {"age": {"minAge": "25"}}}, "filters.age.minAge: expected a number"),
    ({"name": "x", "filters": {"age": {"maxAge": True}}}, "filters.age.maxAge: expected a number"),
    ({"name": "x", "filters": {"age": 30}}, "filters.age: expected an object"),
    (
        {"name": "x", "filters": {"businessProfile": ["x"]}},
        "filters.businessProfile: expected an object",
    ),
    (
        {"name": "x", "filters": {"businessProfile": {"seniority": "vp"}}},
        "filters.businessProfile.seniority: expected an array of strings",
    ),
    (
        {"name": "x", "filters": {"attributes": {"home_year_built": {"min": "1990"}}}},
        "filters.attributes.home_year_built.min: expected a number",
    ),
    ({"name": "x", "filters": {"notNulls": [None]}}, "filters.notNulls[0]: expected a string"),
    (
        {"name": "x", "filters": {}, "segment": ["1253"]},
        "segment[0]: '1253' is not a valid segment ID; use the b2c_ or b2b_ prefix, e.g. 'b2c_1253'",
    ),
    (
        {"name": "x", "filters": {}, "segment": ["b2c_1", "100073"]},
        "segment[1]: '100073' is not a valid segment ID; use the b2c_ or b2b_ prefix, e.g. 'b2c_100073'",
    ),
    ({"name": "x", "filters": {}, "segment": ["al_123456"]}, "segment[0]: 'al_123456' is a legacy"),
    ({"name": "x", "filters": {}, "segment": ["B2C_12"]}, "segment[0]: 'B2C_12' is not a valid"),
    ({"name": "x", "filters": {}, "segment": "b2c_1253"}, "segment: expected an array of strings"),
    (
        {"name": "x", "filters": {}, "days_back": True},
        "days_back: expected an integer, got boolean",
    ),
    (
        {"name": "x", "filters": {}, "days_back": 0},
        "days_back: must be an integer between 1 and 3650",
    ),
    (
        {"name": "x", "filters": {}, "days_back": 3651},
        "days_back: must be an integer between 1 and",
    ),
    ({"name": "x", "filters": {}, "days_back": 2.5}, "days_back: expected an integer"),
    ({"name": "x", "filters": {}, "days_back": "7"}, "days_back: expected an integer, got string"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
async def test_create_audience_validation(
    client: httpx.AsyncClient, body: Any, message: str
) -> None:
    if isinstance(body, bytes):
        r = await client.post(
            "/audiences", content=body, headers={"Content-Type": "application/json"}
        )
    else:
        r = await client.post("/audiences", json=body)
    assert message in error_message(r)
    assert (await client.get("/audiences")).json()["total_records"] == 0  # nothing was created


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page_size=0", "page_size"),
        ("page_size=1001", "page_size"),
        ("page_size=ten", "page_size"),
        ("page=", "page"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/audiences", "/audiences/{id}", "/enrichments", "/pixels", "/segments/abc"]
)
async def test_bad_paging_is_a_400_naming_the_parameter(
    client: httpx.AsyncClient, query: str, field: str, path: str
) -> None:
    if "{id}" in path:
        path = path.format(id=await create(client, AGE_ONLY))
    message = error_message(await client.get(f"{path}?{query}"))
    assert message.startswith(f"{field}: must be an integer between 1 and ")


async def test_page_size_1000_is_allowed(client: httpx.AsyncClient) -> None:
    assert (await client.get("/audiences", params={"page_size": 1000})).status_code == 200


async def test_unknown_filter_keys_are_accepted_and_reported(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    filters = {
        "zipCode": ["78701"],
        "businessProfile": {"industries": ["Software Development"], "industry": []},
        "age": {"minAge": 30, "maxAge": 40, "average": 35},
        "attributes": {"home_year_built": {"min": 1990, "max": None, "median": 2000}},
        "state": ["TX"],
    }
    r = await client.post(
        "/audiences", json={"name": "typos", "filters": filters, "description": "x"}
    )
    assert r.status_code == 200
    assert r.headers["X-Sandbox-Ignored-Filters"] == (
        "zipCode, businessProfile.industries, age.average, attributes.home_year_built.median"
    )
    clock.advance(10)
    rows = (await client.get(f"/audiences/{r.json()['audienceId']}")).json()["data"]
    assert rows
    assert all(row["PERSONAL_STATE"] == "TX" for row in rows)
    clean = await client.post("/audiences", json={"name": "clean", "filters": {"state": ["TX"]}})
    assert "X-Sandbox-Ignored-Filters" not in clean.headers


async def test_empty_audience_after_build(client: httpx.AsyncClient, clock: Clock) -> None:
    audience_id = await create(client, {"city": ["Austin"], "state": ["CA"]})
    clock.advance(10)
    body = (await client.get(f"/audiences/{audience_id}")).json()
    assert body == {"total_records": 0, "page_size": 100, "page": 1, "total_pages": 0, "data": []}


async def test_custom_audience(app: SandboxApp, client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/audiences/custom", json={"topic": "solar panels", "description": "home owners"}
    )
    assert r.status_code == 200
    assert r.json() == load_golden("create_custom_audience.response")
    assert app.store.count_custom_audiences(tenant_of(KEY)) == 1  # recorded, never listed
    assert (await client.get("/audiences")).json()["total_records"] == 0
    assert "description: required" in error_message(
        await client.post("/audiences/custom", json={"topic": "x"})
    )
    assert "topic: expected a string" in error_message(
        await client.post("/audiences/custom", json={"topic": ["x"], "description": "y"})
    )


async def test_preview_matches_the_audience_it_previews(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    filters = {"city": ["Seattle"], "businessProfile": {"seniority": ["manager"]}, "zipcode": ["1"]}
    r = await client.post(
        "/audiences/preview", json={"days_back": 7, "filters": filters, "limit": 5}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert_same_shape(body, "preview_audience.response")
    assert r.headers["X-Sandbox-Ignored-Filters"] == "zipcode"
    assert len(body["result"]) == 5
    assert body["count"] > 5
    assert set(body["field_coverage"]) >= {"FIRST_NAME", "JOB_TITLE", "PERSONAL_EMAILS"}
    assert body["field_coverage"]["JOB_TITLE"] == 1.0
    assert all(0 <= v <= 1 for v in body["field_coverage"].values())
    for row in body["result"]:
        assert row_problems(row, filters) == []
    audience_id = await create(client, filters)
    clock.advance(10)
    records = (await client.get(f"/audiences/{audience_id}", params={"page_size": 5})).json()[
        "data"
    ]
    assert records == body["result"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"filters": {}}, "days_back: required"),
        ({"days_back": 11}, "days_back: must be an integer between 1 and 10"),
        ({"days_back": 0}, "days_back: must be an integer between 1 and 10"),
        ({"days_back": 3, "limit": 501}, "limit: must be an integer between 0 and 500"),
        ({"days_back": 3, "score": "yes"}, "score: expected a boolean"),
        ({"days_back": 3, "segment": ["106328"]}, "segment[0]: '106328' is not a valid segment ID"),
    ],
)
async def test_preview_validation(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    assert message in error_message(await client.post("/audiences/preview", json=body))


async def test_preview_with_limit_zero(client: httpx.AsyncClient) -> None:
    body = (await client.post("/audiences/preview", json={"days_back": 1, "limit": 0})).json()
    assert body["result"] == []
    assert body["count"] > 1_000_000
    assert body["field_coverage"]["FIRST_NAME"] == 1.0


@pytest.mark.parametrize(
    "attribute", ["segments", "industries", "departments", "seniority", "sic", "gender"]
)
async def test_attributes(client: httpx.AsyncClient, attribute: str) -> None:
    r = await client.get(f"/audiences/attributes/{attribute}")
    assert r.status_code == 200
    body = r.json()
    inner = body["attributes"][attribute]
    assert inner["count"] == len(inner["data"]) > 0
    if attribute in ("segments", "industries"):
        assert_same_shape(body, f"attributes_{attribute}.response")
    if attribute == "segments":
        assert {"b2c_1253", "b2b_1042"} <= {s["id"] for s in inner["data"]}
    if attribute == "industries":
        assert "Software Development" in inner["data"]


async def test_attribute_values_work_as_filters(client: httpx.AsyncClient, clock: Clock) -> None:
    async def values(attribute: str) -> list[Any]:
        r = await client.get(f"/audiences/attributes/{attribute}")
        return list(r.json()["attributes"][attribute]["data"])

    filters = {
        "gender": (await values("gender"))[:1],
        "businessProfile": {
            "industry": (await values("industries"))[:3],
            "department": (await values("departments"))[:2],
            "seniority": (await values("seniority"))[:2],
        },
    }
    audience_id = await create(client, filters, segment=[(await values("segments"))[0]["id"]])
    clock.advance(10)
    rows = (await client.get(f"/audiences/{audience_id}")).json()["data"]
    assert rows
    for row in rows:
        assert row_problems(row, filters) == []


async def test_unknown_attribute_is_a_json_404(client: httpx.AsyncClient) -> None:
    message = error_message(await client.get("/audiences/attributes/colours"), 404)
    assert "segments, industries" in message


async def test_segments(client: httpx.AsyncClient) -> None:
    segment_id = "5f0c3b1e-2d4a-4c8e-9f1a-1b2c3d4e5f60"
    r = await client.get(f"/segments/{segment_id}", params={"page_size": 50})
    body = r.json()
    assert_same_shape(body, "segment.response")
    assert body["segment_id"] == segment_id
    total = body["total_records"]
    assert body["total_pages"] == math.ceil(total / 50)
    assert body["has_more"] is (total > 50)
    last = (
        await client.get(
            f"/segments/{segment_id}", params={"page_size": 50, "page": body["total_pages"]}
        )
    ).json()
    assert last["has_more"] is False
    assert len(last["data"]) == total - 50 * (body["total_pages"] - 1)
    assert (await client.get(f"/segments/{segment_id}", params={"page_size": 50})).json() == body
    named = (await client.get("/segments/b2c_1253")).json()
    assert named["segment_name"] == "Home Improvement Shoppers"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/enrich/contact"),
        ("POST", "/enrichment/jobs"),
        ("GET", "/enrich/jobs"),
        ("POST", "/enrich/v1/query"),
        ("GET", "/usage/v1/stats"),
        ("GET", "/v1/status"),
        ("GET", "/user/credits"),
        ("GET", "/v1/audiences"),
        ("GET", "/nope"),
    ],
)
async def test_wrong_paths_answer_json_404(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    r = await client.request(method, path, json={})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == "NOT_FOUND"


async def test_wrong_method_is_a_json_405(client: httpx.AsyncClient) -> None:
    r = await client.put("/audiences", json={})
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


async def test_health_and_openapi_need_no_key(app: SandboxApp) -> None:
    async with make_client(app, None) as anon:
        assert (await anon.get("/healthz")).json() == {"status": "ok"}
        spec = (await anon.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    assert "/audiences/{audience_id}" in spec["paths"]
    json.dumps(spec)
