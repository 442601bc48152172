"""Pixels: camelCase in, snake_case out, synthetic v3/v4 events, delete 204 then 404."""

from __future__ import annotations

import math
from typing import Any

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

from audiencelab.sandbox import SandboxApp
from tests.golden import assert_same_shape, golden_bytes

from .conftest import make_client

pytestmark = pytest.mark.anyio


async def create_pixel(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    payload = {"websiteName": "Shop", "websiteUrl": "https://shop.example.com", **body}
    r = await client.post("/pixels", json=payload)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_the_official_create_pixel_example(
    app: SandboxApp, client: httpx.AsyncClient
) -> None:
    r = await client.post(
        "/pixels",
        content=golden_bytes("create_pixel.request"),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert_same_shape(body, "create_pixel.response")
    assert body["website_name"] == "Test Site"
    assert body["webhook_url"] == "https://hooks.example.com/pixel"
    assert body["version"] == "v4"
    async with make_client(app, None) as browser:  # the install URL is served by the sandbox
        script = await browser.get(body["install_url"])
    assert script.status_code == 200
    assert body["pixel_id"] in script.text


async def test_list_pixels(client: httpx.AsyncClient) -> None:
    created = [await create_pixel(client, websiteName=f"Site {n}") for n in range(3)]
    assert created[0]["version"] == "v3"  # the default
    body = (await client.get("/pixels", params={"page_size": 2})).json()
    assert_same_shape(body, "list_pixels.response")
    assert (body["total_records"], body["total_pages"], body["page"]) == (3, 2, 1)
    assert [p["id"] for p in body["data"]] == [c["pixel_id"] for c in created[:2]]
    assert body["data"][0]["webhook_url"] is None


async def test_v3_events(client: httpx.AsyncClient) -> None:
    pixel = await create_pixel(client)
    pid = pixel["pixel_id"]
    body = (await client.get(f"/pixels/{pid}", params={"page_size": 100})).json()
    assert_same_shape(body, "pixel_v3.response")
    total = body["total_records"]
    assert 40 <= total < 300
    assert body["total_pages"] == math.ceil(total / 100)
    assert all(e["pixel_id"] == pid for e in body["events"])
    assert all(e["page_url"].startswith("https://shop.example.com/") for e in body["events"])
    stamps = [e["event_timestamp"] for e in body["events"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    views = (
        await client.get(f"/pixels/{pid}", params={"event_type": "page_view", "page_size": 1000})
    ).json()
    assert views["events"]
    assert all(e["event_type"] == "page_view" for e in views["events"])
    assert views["total_records"] == len(views["events"]) < total
    beyond = (await client.get(f"/pixels/{pid}", params={"page": 99})).json()
    assert beyond["events"] == []
    again = (await client.get(f"/pixels/{pid}", params={"page_size": 100})).json()
    assert again == body
    bad = await client.get(f"/pixels/{pid}", params={"event_type": "pageview"})
    assert bad.status_code == 400
    assert "event_type" in bad.json()["error"]["message"]


async def test_v4_events(client: httpx.AsyncClient) -> None:
    pid = (await create_pixel(client, version="v4"))["pixel_id"]
    body = (await client.get(f"/pixels/{pid}/v4", params={"page_size": 50})).json()
    assert_same_shape(body, "pixel_v4.response")
    event = body["events"][0]
    for key in (
        "ALL_MOBILES",
        "ALL_LANDLINES",
        "MOBILE_DNC",
        "LANDLINE_DNC",
        "INDIVIDUAL_LINKEDIN_URL",
    ):
        assert key in event["resolution"]
    assert event["resolution"]["MOBILE_DNC"] in ("true", "false")
    # A pixel has 40 to 299 events: the first page is full unless the pixel has fewer than 50,
    # and the pages together hold each event once, in order (whatever the random pixel ID).
    total = body["total_records"]
    assert 40 <= total < 300
    assert len(body["events"]) == min(50, total)
    assert body["total_pages"] == math.ceil(total / 50)
    events = list(body["events"])
    for page in range(2, body["total_pages"] + 1):
        more = await client.get(f"/pixels/{pid}/v4", params={"page_size": 50, "page": page})
        events += more.json()["events"]
    assert len(events) == total
    stamps = [e["event_timestamp"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert len({(e["event_timestamp"], e["edid"]) for e in events}) == total


async def test_delete_pixel_204_then_404(client: httpx.AsyncClient) -> None:
    pid = (await create_pixel(client))["pixel_id"]
    r = await client.delete(f"/pixels/{pid}")
    assert r.status_code == 204
    assert r.content == b""
    assert (await client.delete(f"/pixels/{pid}")).status_code == 404
    assert (await client.get(f"/pixels/{pid}")).status_code == 404
    assert (await client.get(f"/pixels/{pid}/v4")).status_code == 404
    assert (await client.get("/pixels")).json()["total_records"] == 0


async def test_pixels_are_per_key(client: httpx.AsyncClient, other: httpx.AsyncClient) -> None:
    pid = (await create_pixel(client))["pixel_id"]
    assert (await other.get(f"/pixels/{pid}")).status_code == 404
    assert (await other.delete(f"/pixels/{pid}")).status_code == 404
    assert (await other.get("/pixels")).json()["total_records"] == 0
    assert (await client.get(f"/pixels/{pid}")).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"websiteUrl": "https://a.example.com"}, "websiteName: required"),
        ({"websiteName": "A"}, "websiteUrl: required"),
        ({"website_name": "A", "website_url": "https://a.example.com"}, "websiteName: required"),
        (
            {"websiteName": "A", "websiteUrl": "a.example.com"},
            "websiteUrl: expected an http(s) URL",
        ),
        (
            {"websiteName": "A", "websiteUrl": "https://a.example.com", "version": "v5"},
            "version: must be 'v3' or 'v4'",
        ),
        (
            {"websiteName": "A", "websiteUrl": "https://a.example.com", "webhookUrl": 3},
            "webhookUrl: expected a string",
        ),
    ],
)
async def test_create_pixel_validation(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    r = await client.post("/pixels", json=body)
    assert r.status_code == 400
    assert message in r.json()["error"]["message"]


async def test_null_webhook_is_accepted(client: httpx.AsyncClient) -> None:
    assert (await create_pixel(client, webhookUrl=None))["webhook_url"] is None
