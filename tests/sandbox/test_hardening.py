"""Issue 11: each defect reproduced against a real server (the ``Sandbox`` thread on 127.0.0.1).

Every test here failed on the code before the fix it guards (see the commit that added it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from audiencelab.sandbox import Sandbox, SandboxConfig, create_app
from audiencelab.sandbox import _routes as routes_module

from .conftest import KEY, OTHER_KEY, make_client


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(port=0, build_seconds=0, api_keys=(KEY, OTHER_KEY))) as sb:
        yield sb


def _count(client: httpx.Client, path: str = "/audiences") -> int:
    return int(client.get(path, params={"page_size": 1}).json()["total_records"])


# ---------------------------------------------------------------------------------------------
# 1. A create is saved and then never answered


UNSENDABLE_KEYS = ["x ", " x", "", "a\tb", "tab\t", "new\nline", "é", "50%", "a,b", "\x7f"]


def test_ignored_filter_keys_of_any_shape_get_an_answer_and_one_audience(server: Sandbox) -> None:
    with server.client(timeout=10) as client:
        before = _count(client)
        for key in UNSENDABLE_KEYS:
            r = client.post("/audiences", json={"name": "n", "filters": {key: 1}})
            assert r.status_code == 200, (key, r.text)
            value = r.headers["X-Sandbox-Ignored-Filters"]
            assert value == value.strip()
            assert all(0x20 <= ord(c) < 0x7F for c in value), value
        assert _count(client) == before + len(UNSENDABLE_KEYS)
        r = client.post("/audiences", json={"name": "n", "filters": {"x ": 1, "é,": 2, "": 3}})
        assert r.headers["X-Sandbox-Ignored-Filters"] == 'x%20, %C3%A9%2C, ""'


def test_preview_with_unsendable_keys_is_answered(server: Sandbox) -> None:
    with server.client(timeout=10) as client:
        for key in UNSENDABLE_KEYS:
            r = client.post("/audiences/preview", json={"days_back": 3, "filters": {key: 1}})
            assert r.status_code == 200, (key, r.text)
            assert r.headers["X-Sandbox-Ignored-Filters"]


@pytest.mark.anyio
async def test_nothing_is_committed_when_the_response_cannot_be_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unsendable(notes: Any) -> dict[str, str]:
        return {"X-Sandbox-Ignored-Filters": "trailing space "}

    monkeypatch.setattr(routes_module, "filter_headers", unsendable)
    app = create_app(SandboxConfig(api_keys=(KEY,), build_seconds=0))
    async with make_client(app) as client:
        r = await client.post("/audiences", json={"name": "n", "filters": {"zz": 1}})
        assert r.status_code == 500
        assert r.json()["error"]["code"] == "INTERNAL_ERROR"
        assert (await client.get("/audiences")).json()["total_records"] == 0
    app.close()


# ---------------------------------------------------------------------------------------------
# 2. Lone surrogates


SURROGATE_BODIES = [
    (
        "/audiences",
        b'{"name":"n","filters":{"businessProfile":{"jobTitle":["\\udfff"]}}}',
        "filters.businessProfile.jobTitle[0]: contains a lone surrogate (invalid Unicode)",
    ),
    ("/audiences", b'{"name":"a\\ud800","filters":{}}', "name: contains a lone surrogate"),
    ("/audiences", b'{"name":"n","filters":{"x\\udfff":1}}', "filters: the key 'x\\\\udfff'"),
    (
        "/audiences/preview",
        b'{"days_back":3,"filters":{"city":["\\udc00"]}}',
        "filters.city[0]: contains a lone surrogate",
    ),
    (
        "/audiences/custom",
        b'{"topic":"\\udfff","description":"d"}',
        "topic: contains a lone surrogate",
    ),
    (
        "/enrichments",
        b'{"name":"j","records":[{"email":"a@example.com"},{"first_name":"\\udfff"}]}',
        "records[1].first_name: contains a lone surrogate",
    ),
    ("/enrich", b'{"filter":{"email":"\\ud800@x.com"}}', "filter.email: contains a lone"),
    (
        "/pixels",
        b'{"websiteName":"\\udfff","websiteUrl":"https://a.example"}',
        "websiteName: contains a lone surrogate",
    ),
]


@pytest.mark.parametrize(("path", "body", "message"), SURROGATE_BODIES)
def test_lone_surrogates_are_a_400_naming_the_field(
    server: Sandbox, path: str, body: bytes, message: str
) -> None:
    with server.client(timeout=10) as client:
        listing = "/pixels" if path == "/pixels" else "/audiences"
        before = _count(client, listing)
        r = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "VALIDATION_ERROR"
        assert message in r.json()["error"]["message"]
        assert _count(client, listing) == before


def test_paired_surrogates_are_a_character(server: Sandbox) -> None:
    with server.client(timeout=10) as client:
        r = client.post("/audiences", content=b'{"name":"\\ud83d\\ude00","filters":{}}')
        assert r.status_code == 200, r.text
        listing = client.get("/audiences", params={"page_size": 1000}).json()["data"]
        assert any(a["name"] == "\U0001f600" for a in listing)


# ---------------------------------------------------------------------------------------------
# 3. Result-file tokens: non-ASCII, tenant, expiry


JOB = {"name": "j", "records": [{"email": "someone@example.com", "first_name": "Ann"}]}


def _job_url(client: httpx.Client, job_id: str) -> str:
    listing = client.get("/enrichments", params={"page_size": 1000}).json()["data"]
    return str(next(j for j in listing if j["id"] == job_id)["csv_url"])


def test_a_non_ascii_or_malformed_token_is_a_404(server: Sandbox) -> None:
    with server.client(timeout=10) as client:
        job_id = client.post("/enrichments", json=JOB).json()["jobId"]
        path = f"/_sandbox/files/enrichments/{job_id}.csv"
        good = _job_url(client, job_id)
        assert httpx.get(good).status_code == 200
        token = good.split("token=", 1)[1]
        bad_tokens = (
            "é",
            "ü" + token,
            token + "é",
            "",
            "1.2.3",
            "x" * 5000,
            "9" * 40 + ".ab",
            "².a",
        )
        for bad in bad_tokens:
            r = client.get(path, params={"token": bad})
            assert r.status_code == 404, (bad[:20], r.text)
            assert r.json()["error"]["code"] == "NOT_FOUND"


def test_tokens_expire_and_listing_hands_out_fresh_ones() -> None:
    from .conftest import Clock

    clock = Clock()
    config = SandboxConfig(port=0, build_seconds=0, api_keys=(KEY,))
    with Sandbox(config, clock=clock) as sb, sb.client(timeout=10) as client:
        job_id = client.post("/enrichments", json=JOB).json()["jobId"]
        url = _job_url(client, job_id)
        clock.advance(3599)
        assert httpx.get(url).status_code == 200  # still valid after 59 min 59 s
        clock.advance(2)
        expired = httpx.get(url)
        assert expired.status_code == 403
        assert expired.json()["error"]["code"] == "URL_EXPIRED"
        assert "GET /enrichments hands out a fresh one" in expired.json()["error"]["message"]
        fresh = _job_url(client, job_id)
        assert fresh != url
        assert httpx.get(fresh).status_code == 200


def test_tokens_are_signed_for_the_tenant_of_the_job(server: Sandbox) -> None:
    import dataclasses

    from audiencelab.sandbox._backend import tenant_of

    assert server.app is not None
    backend = server.app.backend
    with server.client(timeout=10) as client:
        job_id = client.post("/enrichments", json=JOB).json()["jobId"]
        job = backend.store.get_job(job_id)
        assert job is not None
        own = backend.result_url(job, server.base_url)
        other = backend.result_url(dataclasses.replace(job, tenant=tenant_of(OTHER_KEY)), "")
        assert httpx.get(own).status_code == 200
        forged = own.split("?")[0] + "?" + other.split("?")[1]
        assert httpx.get(forged).status_code == 404


# ---------------------------------------------------------------------------------------------
# 4. Numbers are range-checked before any arithmetic

HUGE = "9" * 400


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/audiences",
            f'{{"name":"n","filters":{{}},"segment":["b2c_1"],"days_back":{HUGE}}}',
            "days_back",
        ),
        (
            "/audiences",
            '{"name":"n","filters":{},"segment":["b2c_1"],"days_back":1e308}',
            "days_back",
        ),
        ("/audiences/preview", f'{{"days_back":{HUGE}}}', "days_back"),
        ("/audiences/preview", f'{{"days_back":3,"limit":{HUGE}}}', "limit"),
        (
            "/audiences",
            f'{{"name":"n","filters":{{"age":{{"minAge":{HUGE}}}}}}}',
            "filters.age.minAge",
        ),
        ("/audiences", '{"name":"n","filters":{"age":{"maxAge":1e400}}}', "filters.age.maxAge"),
        ("/audiences", '{"name":"n","filters":{"age":{"minAge":-1e308}}}', "filters.age.minAge"),
        (
            "/audiences",
            f'{{"name":"n","filters":{{"attributes":{{"home_year_built":{{"min":{HUGE}}}}}}}}}',
            "filters.attributes.home_year_built.min",
        ),
        (
            "/audiences",
            '{"name":"n","filters":{"attributes":{"mortgage_amount":{"max":1e400}}}}',
            "filters.attributes.mortgage_amount.max",
        ),
        ("/enrichments", f'{{"name":"j","records":[{{"phone":{HUGE}}}]}}', "records[0].phone"),
        ("/enrichments", '{"name":"j","records":[{"phone":1e400}]}', "records[0].phone"),
    ],
)
def test_out_of_range_numbers_are_a_400_naming_the_field(
    server: Sandbox, path: str, body: str, field: str
) -> None:
    with server.client(timeout=10) as client:
        r = client.post(path, content=body.encode())
        assert r.status_code == 400, r.text
        assert r.json()["error"]["message"].startswith(f"{field}: "), r.text


def test_huge_query_numbers_are_a_400(server: Sandbox) -> None:
    with server.client(timeout=10) as client:
        for query in (f"page={HUGE}", f"page_size={HUGE}", "page=1e3", "page_size=-0"):
            r = client.get(f"/audiences?{query}")
            assert r.status_code == 400, query
            assert r.json()["error"]["code"] == "VALIDATION_ERROR"
