"""Issue 22, the sandbox's part: every response carries an ``x-request-id`` of its own (errors,
injected faults, files and health checks included), so request IDs can be tested end to end."""

from __future__ import annotations

import uuid

import httpx2 as httpx
import pytest

from audiencelab.sandbox import Sandbox, SandboxConfig

from .conftest import KEY, make_client


def _request_id(response: httpx.Response) -> str:
    values = response.headers.get_list("x-request-id")
    assert len(values) == 1, (response.request.url, response.headers)
    assert str(uuid.UUID(values[0])) == values[0]
    return values[0]


def test_every_kind_of_answer_has_a_request_id_of_its_own() -> None:
    config = SandboxConfig(port=0, build_seconds=0, api_keys=(KEY,))
    with Sandbox(config) as sb, sb.client(timeout=10) as client:
        audience = client.post("/audiences", json={"name": "a", "filters": {"state": ["TX"]}})
        job = client.post("/enrichments", json={"name": "j", "records": [{"email": "a@b.co"}]})
        pixel = client.post("/pixels", json={"websiteName": "S", "websiteUrl": "https://s.co"})
        csv_url = client.get("/enrichments").json()["data"][0]["csv_url"]
        answers = [
            audience,
            job,
            pixel,
            client.get(f"/audiences/{audience.json()['audienceId']}", params={"page_size": 3}),
            client.get("/audiences"),
            client.post("/audiences", json={"name": ""}),  # 400
            client.get("/audiences", headers={"X-Api-Key": "sk_test_nobody"}),  # 401
            client.get("/no/such/path"),  # 404
            client.put("/audiences"),  # 405
            client.delete(f"/pixels/{pixel.json()['pixel_id']}"),  # 204
            client.get("/healthz"),
            client.get("/openapi.json"),
            httpx.get(csv_url),
            httpx.get(pixel.json()["install_url"]),
        ]
        statuses = {a.status_code for a in answers}
        assert {200, 202, 204, 400, 401, 404, 405} <= statuses, statuses  # 413: test_limits
        ids = [_request_id(a) for a in answers]
        assert len(set(ids)) == len(ids)


def test_injected_faults_and_rate_limits_have_request_ids() -> None:
    config = SandboxConfig(
        port=0, api_keys=(KEY,), fail_rate=0.5, fail_after_commit_rate=1.0, rate_limit=30, seed=3
    )
    with Sandbox(config) as sb, sb.client(timeout=10) as client:
        answers = []
        for _ in range(60):
            try:
                answers.append(client.post("/audiences", json={"name": "a", "filters": {}}))
            except httpx.TransportError:  # a failure after commit may drop the connection
                continue
        statuses = {a.status_code for a in answers}
        assert 429 in statuses
        assert statuses & {500, 502, 503, 504}, statuses
        ids = [_request_id(a) for a in answers]
        assert len(set(ids)) == len(ids)


@pytest.mark.anyio
async def test_the_in_process_app_sends_request_ids_too() -> None:
    from audiencelab.sandbox import create_app

    app = create_app(SandboxConfig(api_keys=(KEY,)))
    try:
        async with make_client(app) as client:
            ids = {_request_id(await client.get("/audiences")) for _ in range(20)}
            ids.add(_request_id(await client.get("/healthz")))
        assert len(ids) == 21
    finally:
        app.close()
