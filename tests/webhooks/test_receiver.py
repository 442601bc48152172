"""WebhookReceiver over real HTTP on loopback: answers at once, hands each new event on once,
refuses what does not verify or parse."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx2
import pytest

from audiencelab import ConfigurationError, PixelEvent
from audiencelab.webhooks import Delivery, RecentKeys, WebhookReceiver, signature_headers
from tests.webhooks.conftest import serving, wait_for

SECRET = "whsec_receiver_test"


def _event(i: int) -> dict[str, Any]:
    return {
        "pixel_id": "px",
        "event_type": "page_view",
        "event_timestamp": f"2026-12-01T10:00:{i:02d}Z",
    }


def _post(url: str, body: Any, secret: str = SECRET, **headers: str) -> httpx2.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = signature_headers(raw, secret) if secret else {}
    return httpx2.post(url + "/hooks/pixel", content=raw, headers={**signed, **headers}, timeout=10)


def test_a_slow_handler_never_delays_the_answer_and_events_arrive_in_order() -> None:
    got: list[str] = []
    release = threading.Event()

    def slow(event: PixelEvent) -> None:
        release.wait(10)
        got.append(str(event.event_timestamp))

    receiver = WebhookReceiver(SECRET, handler=slow)
    with serving(receiver) as url:
        started = time.perf_counter()
        for i in range(3):
            answer = _post(url, [_event(i)])
            assert answer.status_code == 200
            assert answer.json() == {"received": 1, "duplicates": 0}
        assert time.perf_counter() - started < 2  # the handler is still blocked
        assert got == []
        release.set()
        wait_for(lambda: len(got) == 3)
    assert got == [_event(i)["event_timestamp"] for i in range(3)]


def test_duplicates_are_answered_200_and_handed_on_once() -> None:
    got: list[PixelEvent] = []
    deliveries: list[Delivery] = []

    async def handler(event: PixelEvent) -> None:
        got.append(event)

    receiver = WebhookReceiver(SECRET, handler=handler, on_delivery=deliveries.append)
    with serving(receiver) as url:
        assert _post(url, {"result": [_event(1), _event(2)]}).json() == {
            "received": 2,
            "duplicates": 0,
        }
        # the same events again, in another shape and spelling: still duplicates
        again = [{**_event(2), "event": "page_view"}]
        again[0].pop("event_type")
        assert _post(url, again).json() == {"received": 0, "duplicates": 1}
        wait_for(lambda: len(deliveries) == 2)
    assert len(got) == 2
    assert deliveries[1].events == ()
    assert len(deliveries[1].duplicates) == 1
    assert deliveries[0].path == "/hooks/pixel"
    assert deliveries[0].scheme == "hmac-sha256"
    assert receiver.stats["duplicates"] == 1
    assert receiver.stats["events"] == 2


async def _consume(queue: asyncio.Queue[PixelEvent], n: int) -> list[PixelEvent]:
    return [await asyncio.wait_for(queue.get(), 10) for _ in range(n)]


def test_events_go_to_an_asyncio_queue() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    received: list[PixelEvent] = []

    async def main() -> None:
        import uvicorn

        queue: asyncio.Queue[PixelEvent] = asyncio.Queue()
        app = Starlette(routes=[Mount("/webhooks", WebhookReceiver(SECRET, queue=queue))])
        server = uvicorn.Server(uvicorn.Config(app, port=0, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        raw = json.dumps([_event(1), _event(2)]).encode()
        async with httpx2.AsyncClient() as client:
            answer = await client.post(f"http://127.0.0.1:{port}/webhooks/x", content=raw,
                                       headers=signature_headers(raw, SECRET))  # fmt: skip
            assert answer.status_code == 200
        received.extend(await _consume(queue, 2))
        server.should_exit = True
        await task

    asyncio.run(main())
    assert [e.event_timestamp for e in received] == [_event(1)["event_timestamp"],
                                                      _event(2)["event_timestamp"]]  # fmt: skip


@pytest.mark.slow
def test_refusals_name_what_was_wrong_and_hand_nothing_on() -> None:
    got: list[PixelEvent] = []
    refused: list[tuple[int, str]] = []
    receiver = WebhookReceiver(
        SECRET, handler=got.append, on_rejected=lambda s, r, m: refused.append((s, r)),
        max_bytes=10_000,
    )  # fmt: skip
    with serving(receiver) as url:
        unsigned = _post(url, [_event(1)], secret="")
        assert unsigned.status_code == 401
        assert unsigned.json()["error"]["code"] == "missing_header"
        wrong = _post(url, [_event(1)], secret="another")
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "wrong_signature")
        bad = _post(url, b"\xff not json")
        assert (bad.status_code, bad.json()["error"]["code"]) == (400, "not_utf8")
        big = _post(url, b"[" + b" " * 20_000 + b"]")
        assert big.status_code == 413
        assert httpx2.get(url + "/").status_code == 200  # a GET says it is listening
        time.sleep(0.2)
    assert got == []
    assert refused == [(401, "missing_header"), (401, "wrong_signature"), (400, "not_utf8"),
                       (413, "too_large")]  # fmt: skip
    assert receiver.stats["rejected"] == 4


def test_a_failing_handler_is_logged_and_the_receiver_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[PixelEvent] = []

    def handler(event: PixelEvent) -> None:
        if event.event_timestamp == _event(1)["event_timestamp"]:
            raise RuntimeError("boom")
        got.append(event)

    receiver = WebhookReceiver(SECRET, handler=handler)
    with serving(receiver) as url:
        assert _post(url, [_event(1)]).status_code == 200
        assert _post(url, [_event(2)]).status_code == 200
        wait_for(lambda: got)
    assert receiver.stats["failed"] == 1
    assert "webhook handler failed" in caplog.text


def test_a_full_backlog_answers_503_so_the_sender_retries() -> None:
    release = threading.Event()
    receiver = WebhookReceiver(SECRET, handler=lambda e: release.wait(10), backlog=1)
    with serving(receiver) as url:
        statuses = [_post(url, [_event(i)]).status_code for i in range(4)]
        release.set()
    assert statuses[0] == 200
    assert 503 in statuses


def test_without_a_secret_nothing_is_verified_and_settings_are_checked() -> None:
    receiver = WebhookReceiver(None)
    with serving(receiver) as url:
        assert _post(url, [_event(1)], secret="").status_code == 200
    with pytest.raises(ConfigurationError, match="secret is empty"):
        WebhookReceiver("")
    with pytest.raises(ConfigurationError, match="scheme"):
        WebhookReceiver(SECRET, scheme="plain")  # type: ignore[arg-type]
    assert SECRET not in repr(WebhookReceiver(SECRET))


def test_recent_keys_are_bounded_by_count_and_age() -> None:
    now = [0.0]
    keys = RecentKeys(max_keys=2, ttl=10, clock=lambda: now[0])
    assert keys.add("a")
    assert keys.add("b")
    assert not keys.add("a")  # seen; "a" is now the newest
    assert keys.add("c")  # pushes out "b", the oldest
    assert "b" not in keys
    assert "a" in keys
    assert len(keys) == 2
    now[0] = 10.0
    assert "a" not in keys
    assert len(keys) == 0
    assert keys.add("a")
    with pytest.raises(ValueError, match="max_keys"):
        RecentKeys(0)
    with pytest.raises(ValueError, match="ttl"):
        RecentKeys(ttl=0)


def test_recent_keys_age_is_measured_from_when_a_key_was_seen() -> None:
    now = [1000.0]
    keys = RecentKeys(max_keys=1, ttl=0.5, clock=lambda: now[0])
    assert keys.add("a")
    now[0] = 1000.4
    assert not keys.add("a")  # seen 0.4 s ago
    now[0] = 1001.0
    assert keys.add("a")  # 0.6 s since it was last seen
    assert keys.add("b")
    assert "a" not in keys  # max_keys=1
    with pytest.raises(ValueError, match="max_keys"):
        RecentKeys(True)
    with pytest.raises(ValueError, match="ttl"):
        RecentKeys(ttl=True)


def test_one_receiver_served_by_one_loop_then_another() -> None:
    from starlette.testclient import TestClient

    got: list[PixelEvent] = []
    receiver = WebhookReceiver(SECRET, handler=got.append)
    for i in range(2):  # each TestClient runs the app on a loop of its own
        raw = json.dumps([_event(i)]).encode()
        with TestClient(receiver) as client:
            assert (
                client.post("/", content=raw, headers=signature_headers(raw, SECRET)).status_code
                == 200
            )
            wait_for(lambda n=i: len(got) == n + 1)
    assert len(got) == 2
