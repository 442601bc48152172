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
