"""POST /enrich and the bulk enrichment jobs: shapes, determinism, lifecycle, the result CSV."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

from audiencelab.sandbox import SandboxApp
from audiencelab.sandbox._columns import CSV_COLUMNS
from tests.golden import assert_same_shape, golden_bytes, load_golden

from .conftest import Clock, make_client

pytestmark = pytest.mark.anyio


def error_message(r: httpx.Response, status: int = 400) -> str:
    assert r.status_code == status, r.text
    assert_same_shape(r.json(), "validation_error.response")
    return str(r.json()["error"]["message"])


async def test_enrich_contact_shape_and_determinism(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    found = None
    for n in range(40):
        body = {"filter": {"email": f"person{n}@example.com"}, "request_id": f"req-{n}"}
        r = await client.post("/enrich", json=body)
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["request_id"] == f"req-{n}"
        assert data["timestamp"] == int(clock() * 1000)
        assert data["found"] == len(data["result"])
        if data["found"]:
            found = (body, data)
            break
    assert found is not None
    body, data = found
    assert_same_shape(data, "enrich.response")
    row = data["result"][0]
    assert row["PERSONAL_EMAILS"].split(",")[0] == body["filter"]["email"]
    assert all(key.isupper() for key in row)
    again = (await client.post("/enrich", json=body)).json()
    assert again["result"] == data["result"]


async def test_enrich_has_a_realistic_share_of_misses(client: httpx.AsyncClient) -> None:
    found = 0
    for n in range(200):
        r = await client.post("/enrich", json={"filter": {"email": f"someone.{n}@example.org"}})
        data = r.json()
        assert data["found"] in (0, 1)
        if data["found"] == 0:
            assert data["result"] == []
        found += data["found"]
    assert 100 < found < 190  # most contacts are found, some are not


async def test_enrich_uses_what_it_is_given(client: httpx.AsyncClient) -> None:
    match = {
        "first_name": "Jane",
        "last_name": "Doe",
        "company": "Initech",
        "city": "Austin",
        "state": "Texas",
        "zip": "78701",
    }
    results = []
    for n in range(30):
        r = await client.post("/enrich", json={"filter": {**match, "phone": f"+1512555{n:04d}"}})
        results.extend(r.json()["result"])
    assert results
    for row in results:
        assert (row["FIRST_NAME"], row["LAST_NAME"], row["COMPANY_NAME"]) == (
            "Jane",
            "Doe",
            "Initech",
        )
        assert (row["PERSONAL_CITY"], row["PERSONAL_STATE"], row["PERSONAL_ZIP"]) == (
            "Austin",
            "TX",
            "78701",
        )
        assert row["MOBILE_PHONE"].startswith("+1512555")


async def test_enrich_fields_select_columns(client: httpx.AsyncClient) -> None:
    for n in range(40):
        body = {
            "filter": {"email": f"f{n}@example.com"},
            "fields": ["first_name", "b2b_email", "zip"],
        }
        data = (await client.post("/enrich", json=body)).json()
        if data["found"]:
            assert set(data["result"][0]) == {"FIRST_NAME", "BUSINESS_EMAIL", "PERSONAL_ZIP"}
            return
    raise AssertionError("no match in 40 lookups")


async def test_enrich_without_identifying_keys_finds_no_one(client: httpx.AsyncClient) -> None:
    data = (await client.post("/enrich", json={"filter": {"city": "Austin"}})).json()
    assert (data["found"], data["result"]) == (0, [])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "filter: required"),
        ({"filter": []}, "filter: expected an object"),
        ({"filter": {}}, "filter: give at least one non-empty match key"),
        ({"filter": {"emails": "a@example.com"}}, "filter.emails: unknown match key"),
        ({"filter": {"email": 5}}, "filter.email: expected a string"),
        (
            {"filter": {"email": "a@example.com"}, "fields": "first_name"},
            "fields: expected an array",
        ),
        (
            {"filter": {"email": "a@example.com"}, "fields": ["shoe_size"]},
            "fields[0]: unknown field",
        ),
        (
            {"filter": {"email": "a@example.com"}, "is_or_match": "yes"},
            "is_or_match: expected a boolean",
        ),
        ({"filter": {"email": "a@example.com"}, "results": []}, "results: unknown field"),
    ],
)
async def test_enrich_validation(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    assert message in error_message(await client.post("/enrich", json=body))


async def test_the_official_enrichment_job_example_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/enrichments",
        content=golden_bytes("create_enrichment_job.request"),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 202, r.text
    assert_same_shape(r.json(), "create_enrichment_job.response")
    assert r.json()["status"] == "IN_QUEUE"
    assert uuid.UUID(r.json()["jobId"])


async def test_job_lifecycle_and_csv_download(
    app: SandboxApp, client: httpx.AsyncClient, clock: Clock
) -> None:
    records = [
        {
            "email": f"user{n}@example.com",
            "first_name": f"First{n}",
            "last_name": "Tester",
            "phone": f"+1415555{n:04d}",
        }
        for n in range(25)
    ]
    body = {
        "name": "Bulk",
        "operator": "OR",
        "columns": ["EMAIL", "FIRST_NAME", "LAST_NAME", "PHONE"],
        "records": records,
    }
    job_id = (await client.post("/enrichments", json=body)).json()["jobId"]

    async def job() -> dict[str, Any]:
        listing = (await client.get("/enrichments")).json()
        return next(j for j in listing["data"] if j["id"] == job_id)

    first = await job()
    assert first["status"] == "IN_QUEUE"
    assert first["csv_url"] is None
    assert first["total"] == 25
    assert first["name"] == "Bulk"
    clock.advance(2)  # build_seconds is 5 in these tests: queued for 1.25 s, then processing
    assert (await job())["status"] == "PROCESSING"
    clock.advance(3.1)
    done = await job()
    assert done["status"] == "COMPLETED"
    assert_same_shape((await client.get("/enrichments")).json(), "list_enrichments.response")
    url = done["csv_url"]
    assert url.startswith(f"{app.config.base_url}/_sandbox/files/enrichments/")
    async with make_client(app, None) as anyone:  # a plain GET, no API key (like a signed URL)
        r = await anyone.get(url)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        table = list(csv.reader(io.StringIO(r.text)))
        assert table[0] == list(CSV_COLUMNS)
        assert len(table) == 1 + len(records)
        rows = [dict(zip(table[0], line, strict=True)) for line in table[1:]]
        for record, row in zip(records, rows, strict=True):
            assert row["FIRST_NAME"] == record["first_name"]
            assert row["PERSONAL_EMAILS"].split(",")[0] == record["email"]
        assert sum(1 for row in rows if row["UUID"]) >= 10  # most are matched
        assert (await anyone.get(url)).text == r.text  # deterministic
        assert (await anyone.get(url.replace("token=", "token=x"))).status_code == 404


async def test_enrichment_list_paging_and_tenancy(
    client: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    body = json.loads(golden_bytes("create_enrichment_job.request"))
    ids = [
        (await client.post("/enrichments", json={**body, "name": f"job {n}"})).json()["jobId"]
        for n in range(3)
    ]
    listing = (await client.get("/enrichments", params={"page_size": 2})).json()
    assert (listing["total_records"], listing["total_pages"]) == (3, 2)
    assert [j["id"] for j in listing["data"]] == ids[::-1][:2]  # newest first
    assert (await other.get("/enrichments")).json()["total_records"] == 0


async def test_get_enrichment_by_id_is_not_part_of_the_api(client: httpx.AsyncClient) -> None:
    job_id = (
        await client.post("/enrichments", content=golden_bytes("create_enrichment_job.request"))
    ).json()["jobId"]
    message = error_message(await client.get(f"/enrichments/{job_id}"), 404)
    assert "poll GET /enrichments" in message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"columns": ["PHONE_NUMBER"]}, "columns[0]: unsupported column 'PHONE_NUMBER'; use PHONE"),
        ({"columns": ["EMAIL", "SHOE_SIZE"]}, "columns[1]: unsupported column 'SHOE_SIZE'"),
        ({"columns": "EMAIL"}, "columns: expected an array of strings"),
        ({"operator": "XOR"}, "operator: must be 'AND' or 'OR'"),
        ({"operator": "or"}, "operator: must be 'AND' or 'OR'"),
        ({"records": []}, "records: at least one record is required"),
        ({"records": "a@example.com"}, "records: expected an array of objects"),
        ({"records": [["a@example.com"]]}, "records[0]: expected an object"),
        ({"records": [{"EMAIL": "a@example.com"}]}, "records[0].EMAIL: record keys are lowercase"),
        ({"records": [{"email": {"a": 1}}]}, "records[0].email: expected a string"),
        ({"name": ""}, "name: must not be empty"),
        ({"name": None}, "name: required"),
    ],
)
async def test_enrichment_job_validation(
    client: httpx.AsyncClient, change: dict[str, Any], message: str
) -> None:
    body = {**json.loads(golden_bytes("create_enrichment_job.request")), **change}
    assert message in error_message(await client.post("/enrichments", json=body))
    assert (await client.get("/enrichments")).json()["total_records"] == 0


async def test_job_title_column_is_accepted(client: httpx.AsyncClient) -> None:
    body = {
        "name": "titles",
        "columns": ["EMAIL", "JOB_TITLE"],
        "records": [{"email": "a@example.com", "job_title": "CTO"}],
    }
    r = await client.post("/enrichments", json=body)
    assert r.status_code == 202
    assert r.json() == {"jobId": r.json()["jobId"], "status": "IN_QUEUE"}
    assert load_golden("create_enrichment_job.response")["status"] == "IN_QUEUE"
