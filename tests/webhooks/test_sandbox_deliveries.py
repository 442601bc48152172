"""The sandbox delivers: signed, retried, faulted, logged, loopback only; the events are the
pixel's own (those GET /pixels/{id} and /v4 list), and the SDK parses and verifies them."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx2
import pytest
from starlette.requests import Request
from starlette.responses import Response

from audiencelab import PixelEvent, WebhookSignatureError
from audiencelab.sandbox import Sandbox, SandboxConfig
from audiencelab.webhooks import event_key, parse_events, verify
from tests.webhooks.conftest import deliveries, finished, make_pixel, serving, wait_for


class Recorder:
    """A receiver that records each request and answers with the statuses it is given."""

    def __init__(self, statuses: tuple[int, ...] = (), delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.requests: list[tuple[bytes, dict[str, str], float]] = []
        self.lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        body = await request.body()
        with self.lock:
            self.requests.append((body, dict(request.headers), time.monotonic()))
            status = self.statuses.pop(0) if self.statuses else 200
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        await Response(b"{}", status)(scope, receive, send)


def _info(sb: Sandbox, pixel_id: str) -> dict[str, Any]:
    with sb.client() as client:
        return dict(client.get(f"/_sandbox/pixels/{pixel_id}/webhook").json())


def _trigger(sb: Sandbox, pixel_id: str, **body: Any) -> httpx2.Response:
    with sb.client() as client:
        return client.post(f"/_sandbox/pixels/{pixel_id}/trigger", json=body)


def _polled(sb: Sandbox, pixel_id: str, version: str) -> list[dict[str, Any]]:
    path = f"/pixels/{pixel_id}" + ("/v4" if version == "v4" else "")
    with sb.client() as client:
        return list(client.get(path, params={"page_size": 1000}).json()["events"])


@pytest.mark.parametrize("version", ["v3", "v4"])
@pytest.mark.slow
def test_delivered_events_are_the_pixel_s_own_signed_with_its_secret(
    sandbox: Sandbox, version: str
) -> None:
    recorder = Recorder()
    with serving(recorder) as url:
        pixel_id = make_pixel(sandbox, url + "/hook", version)
        answer = _trigger(sandbox, pixel_id, count=5)
        assert answer.status_code == 202, answer.text
        secret = answer.json()["secret"]
        assert secret == _info(sandbox, pixel_id)["secret"]
        assert secret.startswith("whsec_")
        wait_for(lambda: finished(sandbox, pixel_id, 1))
    ((body, headers, _),) = recorder.requests
    assert verify(body, headers, secret) == "hmac-sha256"
    events = parse_events(body, headers)
    assert len(events) == 5
    polled = [PixelEvent.model_validate(e) for e in _polled(sandbox, pixel_id, version)]
    assert events == list(reversed(polled))[:5]  # the backlog, oldest first
    assert {event_key(e) for e in events} <= {event_key(e) for e in polled}
    assert all(e.api_version == version for e in events)
    # the next trigger goes on where this one stopped
    with serving(recorder) as url2:
        with sandbox.client() as client:
            client.put(f"/_sandbox/pixels/{pixel_id}/webhook", json={"webhook_url": url2})
        _trigger(sandbox, pixel_id, count=2)
        wait_for(lambda: len(recorder.requests) == 2)
    assert parse_events(recorder.requests[1][0]) == list(reversed(polled))[5:7]


@pytest.mark.parametrize("shape", ["object", "array", "result", "events"])
@pytest.mark.parametrize("layout", ["nested", "flat"])
@pytest.mark.parametrize("aliases", [False, True])
@pytest.mark.slow
def test_every_shape_and_layout_parses_to_the_same_events(
    sandbox: Sandbox, shape: str, layout: str, aliases: bool
) -> None:
    recorder = Recorder()
    with serving(recorder) as url:
        pixel_id = make_pixel(sandbox, url)
        _trigger(sandbox, pixel_id, count=3, shape=shape, layout=layout, aliases=aliases)
        wait_for(lambda: finished(sandbox, pixel_id, 3 if shape == "object" else 1))
    bodies = [json.loads(b) for b, _, _ in recorder.requests]
    if shape == "object":
        assert all(isinstance(b, dict) and "pixel_id" in b for b in bodies)
    elif shape == "array":
        assert isinstance(bodies[0], list)
    else:
        assert list(bodies[0]) == [shape]
    first = (
        bodies[0] if shape == "object" else (bodies[0] if shape == "array" else bodies[0][shape])[0]
    )
    assert ("resolution" in first) == (layout == "nested")
    assert ("event" in first) == aliases
    assert ("event_type" in first) != aliases
    events = [e for b, h, _ in recorder.requests for e in parse_events(b, h)]
    expected = list(
        reversed([PixelEvent.model_validate(e) for e in _polled(sandbox, pixel_id, "v3")])
    )
    assert events == expected[:3]


@pytest.mark.slow
def test_a_receiver_that_answers_500_twice_gets_the_event_a_third_time(sandbox: Sandbox) -> None:
    recorder = Recorder(statuses=(500, 500))
    with serving(recorder) as url:
        pixel_id = make_pixel(sandbox, url)
        _trigger(sandbox, pixel_id, count=1)
        (record,) = wait_for(lambda: finished(sandbox, pixel_id, 1))
    assert record["state"] == "delivered"
    assert [a["status"] for a in record["attempts"]] == [500, 500, 200]
    assert len(recorder.requests) == 3
    bodies = {b for b, _, _ in recorder.requests}
    assert len(bodies) == 1  # the same bytes each time
    attempts = [h["x-sandbox-attempt"] for _, h, _ in recorder.requests]
    assert attempts == ["1", "2", "3"]
    times = [t for _, _, t in recorder.requests]
    assert times[1] - times[0] >= 0.04  # backoff 0.05 s, then doubled
    assert times[2] - times[1] >= 0.09


@pytest.mark.slow
def test_timeouts_and_refused_connections_are_retried_then_failed() -> None:
    config = SandboxConfig(port=0, webhook_backoff=0.01, webhook_timeout=0.2, webhook_attempts=3)
    with Sandbox(config) as sb:
        slow = Recorder(delay=1.0)
        with serving(slow) as url:
            pixel_id = make_pixel(sb, url)
            _trigger(sb, pixel_id)
            (record,) = wait_for(lambda: finished(sb, pixel_id, 1))
        assert record["state"] == "failed"
        assert [a["error"] for a in record["attempts"]] == ["timeout"] * 3
        dead = make_pixel(sb, "http://127.0.0.1:9/nothing-listens")
        _trigger(sb, dead)
        (record,) = wait_for(lambda: finished(sb, dead, 1))
        assert record["state"] == "failed"
        assert len(record["attempts"]) == 3
        assert record["attempts"][0]["status"] is None


@pytest.mark.slow
def test_faults_duplicate_out_of_order_wrong_signature_slow(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with serving(recorder) as url:
        pixel_id = make_pixel(sandbox, url)
        secret = _info(sandbox, pixel_id)["secret"]
        _trigger(sandbox, pixel_id, count=3, faults=["out_of_order", "duplicate"])
        log = wait_for(lambda: finished(sandbox, pixel_id, 6))
        events = [parse_events(b)[0] for b, _, _ in recorder.requests]
        stamps = [e.event_timestamp or "" for e in events]
        assert stamps[::2] == sorted(stamps[::2], reverse=True)  # newest first: out of order
        assert events[0::2] == events[1::2]  # each one twice
        assert [d["duplicate_of"] for d in log[1::2]] == [d["id"] for d in log[0::2]]
        recorder.requests.clear()
        _trigger(sandbox, pixel_id, faults=["wrong_signature"])
        wait_for(lambda: finished(sandbox, pixel_id, 7))
        body, headers, _ = recorder.requests[0]
        with pytest.raises(WebhookSignatureError) as info:
            verify(body, headers, secret)
        assert info.value.reason == "wrong_signature"
        assert deliveries(sandbox, pixel_id)[-1]["signature"] == "wrong"
        recorder.requests.clear()
        started = time.monotonic()
        _trigger(sandbox, pixel_id, faults=["slow"], slow_seconds=0.3)
        wait_for(lambda: recorder.requests)
        assert recorder.requests[0][2] - started >= 0.3


@pytest.mark.parametrize("scheme", ["secret", "both"])
@pytest.mark.slow
def test_the_secret_scheme_and_both(scheme: str) -> None:
    with Sandbox(SandboxConfig(port=0, webhook_scheme=scheme)) as sb:
        recorder = Recorder()
        with serving(recorder) as url:
            pixel_id = make_pixel(sb, url)
            secret = _trigger(sb, pixel_id).json()["secret"]
            wait_for(lambda: recorder.requests)
        body, headers, _ = recorder.requests[0]
        assert headers["x-audiencelab-secret"] == secret
        assert ("x-audiencelab-signature" in headers) == (scheme == "both")
        assert verify(body, headers, secret, scheme="secret") == "secret"


def test_deliveries_go_to_loopback_only_unless_allowed(sandbox: Sandbox) -> None:
    pixel_id = make_pixel(sandbox, "https://hooks.example.com/in")
    answer = _trigger(sandbox, pixel_id)
    assert answer.status_code == 403
    assert "--webhook-allow-host hooks.example.com" in answer.json()["error"]["message"]
    for url in ("http://10.0.0.5/x", "http://localhost.evil.com/x", "ftp://127.0.0.1/x"):
        with sandbox.client() as client:
            put = client.put(f"/_sandbox/pixels/{pixel_id}/webhook", json={"webhook_url": url})
        assert put.status_code == 400, url
    assert deliveries(sandbox, pixel_id) == []
    none = make_pixel(sandbox, None)
    answer = _trigger(sandbox, none)
    assert answer.status_code == 409
    assert "has no webhook_url" in answer.json()["error"]["message"]
    config = SandboxConfig(port=0, webhook_allow_hosts=("hooks.example.com",))
    with Sandbox(config) as sb:
        other = make_pixel(sb, "http://hooks.example.com:9/in")
        assert _trigger(sb, other).status_code == 202


@pytest.mark.slow
def test_the_tools_need_the_key_and_check_their_input(sandbox: Sandbox) -> None:
    pixel_id = make_pixel(sandbox, "http://127.0.0.1:9/")
    for method, path in (("POST", f"/_sandbox/pixels/{pixel_id}/trigger"),
                         ("GET", "/_sandbox/deliveries"),
                         ("GET", f"/_sandbox/pixels/{pixel_id}/webhook")):  # fmt: skip
        answer = httpx2.request(method, sandbox.base_url + path)
        assert answer.status_code == 401, path
        answer = httpx2.request(method, sandbox.base_url + path, headers={"X-Api-Key": "sk_test_x"})
        assert answer.status_code == 401, path
    with sandbox.client() as client:
        assert client.post("/_sandbox/pixels/nope/trigger").status_code == 404
        for body, words in (({"count": 0}, "count must be"), ({"shape": "xml"}, "shape must"),
                            ({"faults": ["fire"]}, "faults must"), ({"colour": 1}, "colour"),
                            ({"event_type": "click"}, "event_type must"), ([], "JSON object")):  # fmt: skip
            answer = client.post(f"/_sandbox/pixels/{pixel_id}/trigger", json=body)
            assert answer.status_code == 400
            assert words in answer.json()["error"]["message"]
    # another key sees neither the pixel nor its deliveries
    config = SandboxConfig(port=0, api_keys=("sk_test_a", "sk_test_b"))
    with Sandbox(config) as sb:
        recorder = Recorder()
        with serving(recorder) as url:
            pixel_id = make_pixel(sb, url)
            _trigger(sb, pixel_id)
            wait_for(lambda: finished(sb, pixel_id, 1))
        other = httpx2.get(sb.base_url + "/_sandbox/deliveries", headers={"X-Api-Key": "sk_test_b"})
        assert other.json() == {"deliveries": []}


def test_event_type_picks_the_events_of_one_type(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with serving(recorder) as url:
        pixel_id = make_pixel(sandbox, url)
        _trigger(sandbox, pixel_id, count=4, event_type="page_view")
        wait_for(lambda: recorder.requests)
    events = parse_events(recorder.requests[0][0])
    assert [e.event_type for e in events] == ["page_view"] * 4


@pytest.mark.slow
def test_a_schedule_delivers_without_a_trigger_and_the_secret_survives_a_restart(
    tmp_path: Any,
) -> None:
    db = str(tmp_path / "sb.db")
    recorder = Recorder()
    with serving(recorder) as url:
        with Sandbox(SandboxConfig(port=0, db=db, webhook_every=0.1)) as sb:
            pixel_id = make_pixel(sb, url)
            secret = _info(sb, pixel_id)["secret"]
            wait_for(lambda: len(recorder.requests) >= 2)
        with Sandbox(SandboxConfig(port=0, db=db)) as sb:
            assert _info(sb, pixel_id)["secret"] == secret
            assert len(deliveries(sb, pixel_id)) >= 2
    first, second = (parse_events(b)[0] for b, _, _ in recorder.requests[:2])
    assert first != second  # the cursor moves on
    for body, headers, _ in recorder.requests[:2]:
        verify(body, headers, secret)


def test_the_serve_flags_set_the_webhook_settings() -> None:
    from audiencelab.sandbox import config_from_flags

    config = config_from_flags({"webhook-attempts": "3", "webhook-backoff": "0.5",
                                "webhook-timeout": "2", "webhook-every": "10",
                                "webhook-allow-host": ["Hooks.Example.com"],
                                "webhook-scheme": "both"})  # fmt: skip
    assert (config.webhook_attempts, config.webhook_backoff, config.webhook_timeout) == (3, 0.5, 2)
    assert config.webhook_every == 10
    assert config.webhook_allow_hosts == ("hooks.example.com",)
    assert config.webhook_scheme == "both"
    for flags, words in (({"webhook-attempts": "0"}, "--webhook-attempts must be"),
                         ({"webhook-scheme": "md5"}, "--webhook-scheme must be one of"),
                         ({"webhook-every": "0"}, "--webhook-every must be")):  # fmt: skip
        with pytest.raises(ValueError, match=words):
            config_from_flags(flags)
    with pytest.raises(ValueError, match="webhook_allow_hosts"):
        SandboxConfig(webhook_allow_hosts=("a b",))
