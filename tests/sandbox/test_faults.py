"""Injected faults and limits: latency, 5xx, dropped connections, 429 — reproducible with a seed."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx2 as httpx  # the HTTP stack of the SDK (issue 22)
import pytest

from audiencelab.sandbox import Sandbox, SandboxApp, SandboxConfig, create_app
from audiencelab.sandbox._backend import tenant_of
from audiencelab.sandbox._faults import RateLimiter

from .conftest import KEY, OTHER_KEY, Clock, make_client

pytestmark = pytest.mark.anyio

BODY = {"name": "faulty", "filters": {"state": ["TX"]}}


def app_with(**overrides: object) -> SandboxApp:
    config = SandboxConfig(api_keys=(KEY, OTHER_KEY), build_seconds=0, **overrides)  # type: ignore[arg-type]
    return create_app(config)


@pytest.fixture
async def faulty() -> AsyncIterator[SandboxApp]:
    app = app_with(fail_rate=0.3, seed=7)
    yield app
    app.close()


async def statuses(app: SandboxApp, n: int) -> list[int]:
    async with make_client(app) as client:
        return [(await client.get("/audiences")).status_code for _ in range(n)]


@pytest.mark.slow
async def test_latency_delays_api_responses_but_not_health_checks() -> None:
    app = app_with(latency_ms=300)
    async with make_client(app) as client:
        t0 = time.perf_counter()
        assert (await client.get("/audiences")).status_code == 200
        assert time.perf_counter() - t0 >= 0.3
        t0 = time.perf_counter()
        assert (
            await client.get("/audiences", headers={"X-Api-Key": "sk_test_wrong"})
        ).status_code == 401
        assert time.perf_counter() - t0 >= 0.3  # every API response, errors included
    slow = app_with(latency_ms=5000)
    async with make_client(slow) as client:
        t0 = time.perf_counter()
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 200
        assert time.perf_counter() - t0 < 4.0
    app.close()
    slow.close()


async def test_fail_rate_share_and_shape(faulty: SandboxApp) -> None:
    codes: Counter[int] = Counter()
    retry_after = 0
    async with make_client(faulty) as client:
        for _ in range(600):
            r = await client.post("/audiences", json=BODY)
            codes[r.status_code] += 1
            if r.status_code >= 500:
                assert r.json()["error"]["code"] in (
                    "INTERNAL_ERROR",
                    "BAD_GATEWAY",
                    "SERVICE_UNAVAILABLE",
                    "GATEWAY_TIMEOUT",
                )
                if "Retry-After" in r.headers:
                    assert r.status_code == 503
                    assert r.headers["Retry-After"] == "1"
                    retry_after += 1
        listed = (await client.get("/audiences", params={"page_size": 1000})).json()
    failed = codes[500] + codes[502] + codes[503] + codes[504]
    assert set(codes) <= {200, 500, 502, 503, 504}
    assert 0.2 * 600 < failed < 0.4 * 600
    assert min(codes[500], codes[502], codes[503], codes[504]) > 20
    assert 0 < retry_after < codes[503]  # "sometimes"
    # a failed request changed nothing; (the listing itself may have failed: then skip the check)
    if "total_records" in listed:
        assert listed["total_records"] == codes[200]


async def test_the_same_seed_replays_the_same_faults() -> None:
    first, second, other = (
        app_with(fail_rate=0.5, seed=42),
        app_with(fail_rate=0.5, seed=42),
        app_with(fail_rate=0.5, seed=43),
    )
    a, b, c = await statuses(first, 80), await statuses(second, 80), await statuses(other, 80)
    assert a == b
    assert a != c
    for app in (first, second, other):
        app.close()


async def test_faults_are_off_by_default() -> None:
    app = app_with()
    assert set(await statuses(app, 200)) == {200}
    app.close()


async def test_drop_in_process_raises_a_protocol_error() -> None:
    app = app_with(drop_rate=1.0, seed=1)
    async with make_client(app) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/audiences")
        assert (await client.get("/healthz")).status_code == 200
    app.close()


def test_drops_close_the_connection_without_a_response() -> None:
    with (
        Sandbox(
            SandboxConfig(port=0, api_keys=(KEY,), build_seconds=0, drop_rate=1.0, seed=5)
        ) as sb,
        sb.client(timeout=10) as client,
    ):
        for _ in range(10):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                client.get("/audiences")
        assert client.get("/healthz").status_code == 200


def test_half_of_dropped_requests_were_processed_first() -> None:
    with (
        Sandbox(
            SandboxConfig(port=0, api_keys=(KEY,), build_seconds=0, drop_rate=1.0, seed=11)
        ) as sb,
        sb.client(timeout=10) as client,
    ):
        for _ in range(60):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                client.post("/audiences", json=BODY)
        assert sb.app is not None
        created, _ = sb.app.store.list_audiences(tenant_of(KEY), 1000, 0)
    assert 15 <= created <= 45  # about half: the change happened, the answer was lost


def test_some_drops_among_successes() -> None:
    seen: Counter[str] = Counter()
    with (
        Sandbox(SandboxConfig(port=0, api_keys=(KEY,), drop_rate=0.3, seed=9)) as sb,
        sb.client(timeout=10) as client,
    ):
        for _ in range(60):
            try:
                seen[str(client.get("/audiences").status_code)] += 1
            except (httpx.RemoteProtocolError, httpx.ReadError):
                seen["dropped"] += 1
    assert seen["200"] > 20
    assert seen["dropped"] > 5
    assert set(seen) == {"200", "dropped"}


async def test_rate_limit_answers_429_with_retry_after() -> None:
    clock = Clock(100.0)  # the rate limiter's buckets follow the app's clock
    app = create_app(
        SandboxConfig(api_keys=(KEY, OTHER_KEY), build_seconds=0, rate_limit=3), clock=clock
    )
    async with make_client(app) as client, make_client(app, OTHER_KEY) as other:
        codes = [(await client.get("/audiences")).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = await client.get("/audiences")
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "RATE_LIMITED"
        retry = int(r.headers["Retry-After"])
        assert retry >= 1
        assert (await other.get("/audiences")).status_code == 200  # per key
        assert (await client.get("/healthz")).status_code == 200  # not an API route
        clock.advance(retry)
        assert (await client.get("/audiences")).status_code == 200
    app.close()


def test_rate_limit_against_a_real_server() -> None:
    clock = Clock(50.0)  # frozen unless the test moves it: no refill between requests
    config = SandboxConfig(port=0, api_keys=(KEY,), rate_limit=2)
    with Sandbox(config, clock=clock) as sb, sb.client() as client:
        first = [client.get("/audiences") for _ in range(6)]
        clock.advance(1.0)  # one second refills two tokens
        second = [client.get("/audiences") for _ in range(3)]
    assert [r.status_code for r in first] == [200, 200, 429, 429, 429, 429]
    assert [r.status_code for r in second] == [200, 200, 429]
    for r in first[2:] + second[2:]:
        assert r.json()["error"]["code"] == "RATE_LIMITED"
        assert int(r.headers["Retry-After"]) >= 1


def test_token_bucket() -> None:
    clock = Clock(0.0)
    bucket = RateLimiter(2, clock=clock)
    assert [bucket.take("k") for _ in range(3)] == [None, None, 1]
    clock.advance(0.5)
    assert bucket.take("k") is None
    assert bucket.take("k") == 1
    slow = RateLimiter(0.2, clock=clock)
    assert slow.take("k") is None
    assert slow.take("k") == 5


# ---------------------------------------------------------------------------------------------
# Failures after the commit, error body styles, list envelopes, jobs that end NO_DATA or FAILED


def test_fail_after_commit_saves_the_write_and_loses_the_answer() -> None:
    config = SandboxConfig(
        port=0, api_keys=(KEY,), build_seconds=0, fail_after_commit_rate=1.0, seed=3
    )
    outcomes: Counter[str] = Counter()
    with Sandbox(config) as sb, sb.client(timeout=10) as client:
        for n in range(40):
            try:
                r = client.post("/audiences", json={"name": f"a{n}", "filters": {}})
                assert r.status_code in (502, 503, 504), r.text
                assert "the request was processed" in r.json()["error"]["message"]
                outcomes[str(r.status_code)] += 1
            except (httpx.RemoteProtocolError, httpx.ReadError):
                outcomes["dropped"] += 1
        listing = client.get("/audiences", params={"page_size": 1000})  # reads are not failed
        assert listing.status_code == 200
        ids = [a["id"] for a in listing.json()["data"]]
        assert len(ids) == 40  # every write was committed
        refused = client.post("/audiences", json={"name": ""})
        assert refused.status_code == 400  # a refused write changed nothing: its answer is sent
        assert (
            client.post("/enrich", json={"filter": {"email": "a@example.com"}}).status_code == 200
        )
        assert client.post("/audiences/preview", json={"days_back": 3}).status_code == 200
        with contextlib.suppress(httpx.RemoteProtocolError, httpx.ReadError):
            client.delete(f"/audiences/{ids[0]}")
        assert client.get(f"/audiences/{ids[0]}").status_code == 404  # the delete happened
        assert sb.app is not None
        assert sb.app.stats["failed_after_commit"] == 41
    assert set(outcomes) == {"502", "503", "504", "dropped"}, outcomes


def test_fail_after_commit_share_is_seeded() -> None:
    def run(seed: int) -> list[int]:
        config = SandboxConfig(
            api_keys=(KEY,), build_seconds=0, fail_after_commit_rate=0.5, seed=seed
        )
        app = create_app(config)

        async def go() -> list[int]:
            codes = []
            async with make_client(app) as client:
                for _ in range(60):
                    try:
                        r = await client.post(
                            "/pixels", json={"websiteName": "s", "websiteUrl": "https://s.example"}
                        )
                        codes.append(r.status_code)
                    except httpx.RemoteProtocolError:
                        codes.append(0)
                listed = (await client.get("/pixels", params={"page_size": 1000})).json()
            assert listed["total_records"] == 60
            return codes

        import asyncio

        try:
            return asyncio.run(go())
        finally:
            app.close()

    first, again, other = run(8), run(8), run(9)
    assert first == again
    assert first != other
    assert 15 < sum(1 for c in first if c != 200) < 45


@pytest.mark.parametrize(
    ("style", "shape"),
    [
        (
            "object",
            lambda body: set(body) == {"error"} and set(body["error"]) == {"code", "message"},
        ),
        ("string", lambda body: set(body) == {"error"} and isinstance(body["error"], str)),
        ("message", lambda body: set(body) == {"message"} and isinstance(body["message"], str)),
    ],
)
async def test_error_styles(style: str, shape: Any) -> None:
    app = create_app(
        SandboxConfig(api_keys=(KEY,), build_seconds=0, error_style=style, rate_limit=50)
    )
    async with make_client(app) as client, make_client(app, None) as anonymous:
        answers = [
            await anonymous.get("/audiences"),  # 401 from the fault layer
            await client.get("/audiences/nope"),  # 404 from the backend
            await client.get("/no/such/path"),  # 404 from the router
            await client.patch("/audiences"),  # 405
            await client.post("/audiences", json={}),  # 400
            await client.get("/audiences?page=0"),  # 400 from the query
        ]
        spec = (await client.get("/openapi.json")).json()
    app.close()
    assert [r.status_code for r in answers] == [401, 404, 404, 405, 400, 400]
    for r in answers:
        assert shape(r.json()), (style, r.json())
    error_schema = spec["components"]["schemas"]["Error"]
    assert set(error_schema["required"]) == set(answers[0].json())
    failing = create_app(SandboxConfig(api_keys=(KEY,), error_style=style, fail_rate=1.0, seed=1))
    async with make_client(failing) as client:
        assert shape((await client.get("/audiences")).json())
    failing.close()


async def test_list_total_key() -> None:
    app = create_app(SandboxConfig(api_keys=(KEY,), build_seconds=0, list_total_key="total"))
    async with make_client(app) as client:
        audience = (await client.post("/audiences", json={"name": "n", "filters": {}})).json()
        pixel = (
            await client.post(
                "/pixels", json={"websiteName": "s", "websiteUrl": "https://s.example"}
            )
        ).json()
        pages = [
            await client.get(path)
            for path in (
                "/audiences", f"/audiences/{audience['audienceId']}", "/enrichments", "/pixels",
                f"/pixels/{pixel['pixel_id']}", f"/pixels/{pixel['pixel_id']}/v4", "/segments/s1",
            )
        ]  # fmt: skip
        spec = (await client.get("/openapi.json")).json()
    app.close()
    for page in pages:
        body = page.json()
        assert "total" in body, body.keys()
        assert "total_records" not in body
    schemas = spec["components"]["schemas"]
    for name in ("AudienceList", "RecordPage", "EnrichmentJobList", "PixelList", "SegmentPage"):
        assert "total" in schemas[name]["required"]
        assert "total_records" not in schemas[name]["properties"]


async def test_jobs_that_can_match_no_one_end_no_data(clock: Clock) -> None:
    app = create_app(SandboxConfig(api_keys=(KEY,), build_seconds=10), clock=clock)
    async with make_client(app) as client:
        hopeless = {"name": "towns", "records": [{"city": "Austin"}, {"zip": "78701"}]}
        job_id = (await client.post("/enrichments", json=hopeless)).json()["jobId"]
        good = {"name": "emails", "records": [{"email": f"u{n}@example.com"} for n in range(10)]}
        good_id = (await client.post("/enrichments", json=good)).json()["jobId"]

        async def status(jid: str) -> dict[str, Any]:
            data = (await client.get("/enrichments")).json()["data"]
            return dict(next(j for j in data if j["id"] == jid))

        assert (await status(job_id))["status"] == "IN_QUEUE"
        clock.advance(5)
        assert (await status(job_id))["status"] == "PROCESSING"
        clock.advance(6)
        ended = await status(job_id)
        assert (ended["status"], ended["csv_url"]) == ("NO_DATA", None)
        assert (await status(good_id))["status"] == "COMPLETED"
    app.close()


@pytest.mark.slow
def test_job_fail_rate_is_seeded_and_failed_jobs_have_no_file() -> None:
    def statuses(seed: int, rate: float) -> list[str]:
        config = SandboxConfig(
            port=0, api_keys=(KEY,), build_seconds=0, job_fail_rate=rate, seed=seed
        )
        body = {"name": "j", "records": [{"email": "someone@example.com"}]}
        with Sandbox(config) as sb, sb.client(timeout=10) as client:
            for _ in range(30):
                assert client.post("/enrichments", json=body).status_code == 202
            jobs = client.get("/enrichments", params={"page_size": 100}).json()["data"][::-1]
            for job in jobs:
                assert (job["csv_url"] is None) == (job["status"] == "FAILED")
            return [j["status"] for j in jobs]

    first = statuses(5, 0.5)
    assert first == statuses(5, 0.5)
    assert first != statuses(6, 0.5)
    assert set(first) == {"COMPLETED", "FAILED"}
    assert 5 < first.count("FAILED") < 25
    assert set(statuses(5, 1.0)) == {"FAILED"}
    assert set(statuses(5, 0.0)) == {"COMPLETED"}
