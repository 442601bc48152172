"""Pixel webhooks from the sandbox: signed deliveries of synthetic visitor events (reference §6.6).

A pixel with a ``webhook_url`` receives the events of its own backlog, the very events
``GET /pixels/{id}`` (v3 pixels) or ``/v4`` (v4 pixels) list, oldest first, a cursor per pixel
moving on with each delivery: on demand (``POST /_sandbox/pixels/{id}/trigger``) and, with
``webhook_every``, on a schedule. Each delivery is signed with the pixel's secret (shown by
``GET /_sandbox/pixels/{id}/webhook`` and the trigger's answer), retried with backoff on any
answer that is not 2xx, on connection errors and timeouts, and recorded in the delivery log
(``GET /_sandbox/deliveries``). A trigger can ask for faults (slow, duplicate, out of order,
wrong signature) and any documented payload shape and layout.

Deliveries go to loopback addresses only, unless the config allows other hosts
(``webhook_allow_hosts``; host names are not resolved, so a name that points at another machine
is refused too). They are sent from a thread of their own with its own event loop, so a slow
receiver never holds up the API. The signing here is written from the reference, not taken from
the SDK (the sandbox never imports it), so each checks the other.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from audiencelab.sandbox import _data
from audiencelab.sandbox._backend import iso_time, tenant_of
from audiencelab.sandbox._config import SandboxConfig, is_loopback_host
from audiencelab.sandbox._errors import ApiError, not_found, validation_error
from audiencelab.sandbox._http import json_response
from audiencelab.sandbox._pixels import indices_of, v3_event, v4_event
from audiencelab.sandbox._store import Pixel, Store

__all__ = [
    "FAULTS",
    "LAYOUTS",
    "MAX_TRIGGER_COUNT",
    "SHAPES",
    "WEBHOOK_BACKOFF_CAP",
    "Deliveries",
    "Trigger",
    "delivery_routes",
    "parse_trigger",
]

SECRET_HEADER = "x-audiencelab-secret"
SIGNATURE_HEADER = "x-audiencelab-signature"
#: The body shapes of the reference: one event per delivery, a bare array, or an envelope.
SHAPES = ("object", "array", "result", "events")
#: Where the person's fields are: under ``resolution``, or flat at the top level.
LAYOUTS = ("nested", "flat")
FAULTS = ("slow", "duplicate", "out_of_order", "wrong_signature")
MAX_TRIGGER_COUNT = 1000
#: Longest wait between two attempts, in seconds.
WEBHOOK_BACKOFF_CAP = 60.0
#: Deliveries kept in the log per tenant (the oldest are forgotten when the log is read).
LOG_LIMIT = 1000
USER_AGENT = "AudienceLab-Sandbox-Webhooks/1"


@dataclass(frozen=True)
class Trigger:
    """What ``POST /_sandbox/pixels/{id}/trigger`` asks for."""

    count: int = 1
    event_type: str | None = None
    shape: str = "array"
    layout: str = "nested"
    #: spell the keys ``event`` and ``ip`` (some payloads do) instead of ``event_type`` and
    #: ``ip_address``
    aliases: bool = False
    faults: tuple[str, ...] = ()
    #: seconds each attempt of a "slow" delivery waits before it is sent
    slow_seconds: float = 2.0


def _choice(body: dict[str, Any], name: str, options: tuple[str, ...], default: str) -> str:
    value = body.get(name, default)
    if value not in options:
        raise validation_error(f"{name} must be one of {', '.join(options)} (got {value!r})")
    return str(value)


def parse_trigger(body: Any) -> Trigger:
    """A trigger from its JSON body (``{}`` or no body: one event, the defaults)."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise validation_error('the trigger\'s body must be a JSON object, e.g. {"count": 3}')
    unknown = sorted(set(body) - set(Trigger.__dataclass_fields__))
    if unknown:
        raise validation_error(
            f"unknown field(s) {', '.join(unknown)} (use count, event_type, shape, layout, "
            "aliases, faults, slow_seconds)"
        )
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_TRIGGER_COUNT:
        raise validation_error(
            f"count must be an integer between 1 and {MAX_TRIGGER_COUNT} (got {count!r})"
        )
    event_type = body.get("event_type")
    if event_type is not None and event_type not in _data.PIXEL_EVENT_TYPES:
        raise validation_error(
            f"event_type must be one of {', '.join(_data.PIXEL_EVENT_TYPES)} (got {event_type!r})"
        )
    faults = body.get("faults", [])
    if not isinstance(faults, list) or any(f not in FAULTS for f in faults):
        raise validation_error(f"faults must be a list of {', '.join(FAULTS)} (got {faults!r})")
    aliases = body.get("aliases", False)
    if not isinstance(aliases, bool):
        raise validation_error(f"aliases must be true or false (got {aliases!r})")
    slow = body.get("slow_seconds", 2.0)
    if isinstance(slow, bool) or not isinstance(slow, (int, float)) or not 0 <= slow <= 60:
        raise validation_error(f"slow_seconds must be a number between 0 and 60 (got {slow!r})")
    return Trigger(
        count, event_type, _choice(body, "shape", SHAPES, "array"),
        _choice(body, "layout", LAYOUTS, "nested"), aliases, tuple(dict.fromkeys(faults)),
        float(slow),
    )  # fmt: skip


def _reshape(event: dict[str, Any], trigger: Trigger) -> dict[str, Any]:
    out = dict(event)
    if trigger.aliases:
        out = {("event" if k == "event_type" else "ip" if k == "ip_address" else k): v
               for k, v in out.items()}  # fmt: skip
    if trigger.layout == "flat":
        resolution = out.pop("resolution", None) or {}
        out.update(resolution)
    return out


def _body(events: list[dict[str, Any]], shape: str) -> bytes:
    if shape == "object":
        return orjson.dumps(events[0])
    if shape == "array":
        return orjson.dumps(events)
    return orjson.dumps({shape: events})


@dataclass
class _Job:
    """One delivery to send: its record (the log's entry) and exact bytes."""

    tenant: str
    record: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    slow: float


class Deliveries:
    """The deliveries of one sandbox: secrets, events, sending and the log."""

    def __init__(
        self, config: SandboxConfig, store: Store, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx2.AsyncClient | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._futures: set[concurrent.futures.Future[Any]] = set()
        if config.webhook_every is not None:
            self._submit(self._schedule(config.webhook_every))

    # secrets and rules ---------------------------------------------------------------------

    def secret(self, pixel_id: str) -> str:
        """The pixel's webhook secret: derived from the store's own secret, so it is stable for
        as long as the database is, and different in every sandbox."""
        digest = hmac.new(self.store.secret.encode(), f"webhook:{pixel_id}".encode(), "sha256")
        return "whsec_" + digest.hexdigest()[:40]

    def check_url(self, url: str | None, pixel_id: str) -> str:
        """The URL, if deliveries may go there; else a 400 naming the rule and the fix."""
        if not url:  # the pixel's state, not the request, is in the way: 409
            raise ApiError(
                409, "CONFLICT",
                f"pixel {pixel_id} has no webhook_url: create it with webhookUrl, or set one "
                f"with PUT /_sandbox/pixels/{pixel_id}/webhook",
            )  # fmt: skip
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise validation_error(f"webhook_url {url!r} is not a valid URL") from None
        if parts.scheme not in ("http", "https") or not host:
            raise validation_error(f"webhook_url {url!r} must be an http(s) URL")
        allowed = self.config.webhook_allow_hosts
        if not (is_loopback_host(host) or "*" in allowed or host in allowed):
            raise validation_error(
                f"webhook_url {url!r}: the sandbox delivers only to loopback addresses; start it "
                f"with --webhook-allow-host {host} to deliver there"
            )
        return url

    def info(self, pixel: Pixel) -> dict[str, Any]:
        return {
            "pixel_id": pixel.id,
            "webhook_url": pixel.webhook_url,
            "secret": self.secret(pixel.id),
            "scheme": self.config.webhook_scheme,
            "version": pixel.version,
        }

    # events and jobs ---------------------------------------------------------------------

    def _events(self, pixel: Pixel, trigger: Trigger) -> list[tuple[int, dict[str, Any]]]:
        pool = indices_of(pixel.id, pixel.version, trigger.event_type)
        if not pool:
            raise validation_error(f"pixel {pixel.id} has no {trigger.event_type} events")
        start = self.store.next_webhook_events(pixel.id, trigger.count)
        make = v4_event if pixel.version == "v4" else v3_event
        chosen = [pool[-1 - (start + k) % len(pool)] for k in range(trigger.count)]
        return [(i, make(pixel.id, pixel.website_url, pixel.created_at, i)) for i in chosen]

    def _sign(self, body: bytes, pixel_id: str, wrong: bool) -> dict[str, str]:
        secret = self.secret(pixel_id) + ("-wrong" if wrong else "")
        headers: dict[str, str] = {}
        if self.config.webhook_scheme in ("hmac-sha256", "both"):
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        if self.config.webhook_scheme in ("secret", "both"):
            headers[SECRET_HEADER] = secret
        return headers

    def _jobs(self, tenant: str, pixel: Pixel, url: str, trigger: Trigger) -> list[_Job]:
        events = self._events(pixel, trigger)
        if trigger.shape == "object" or "out_of_order" in trigger.faults:
            groups = [[e] for e in events]
        else:
            groups = [events]
        if "out_of_order" in trigger.faults:
            groups.reverse()
        jobs: list[_Job] = []
        for group in groups:
            shaped = [_reshape(event, trigger) for _, event in group]
            shape = trigger.shape
            body = _body(shaped, shape)
            copies = 2 if "duplicate" in trigger.faults else 1
            first: str | None = None
            for _ in range(copies):
                record = {
                    "id": f"dlv_{uuid.uuid4().hex[:24]}",
                    "pixel_id": pixel.id,
                    "url": url,
                    "state": "pending",
                    "event_indices": [i for i, _ in group],
                    "events": len(group),
                    "event_timestamps": [e["event_timestamp"] for _, e in group],
                    "shape": shape,
                    "layout": trigger.layout,
                    "aliases": trigger.aliases,
                    "faults": list(trigger.faults),
                    "signature": "wrong" if "wrong_signature" in trigger.faults else "valid",
                    "duplicate_of": first,
                    "attempts": [],
                    "created_at": iso_time(self.clock()),
                    "delivered_at": None,
                }
                first = first or str(record["id"])
                headers = {
                    "content-type": "application/json",
                    "user-agent": USER_AGENT,
                    "x-sandbox-delivery-id": str(record["id"]),
                    **self._sign(body, pixel.id, "wrong_signature" in trigger.faults),
                }
                slow = trigger.slow_seconds if "slow" in trigger.faults else 0.0
                jobs.append(_Job(tenant, record, body, headers, slow))
        return jobs

    def trigger(self, tenant: str, pixel: Pixel, trigger: Trigger) -> list[dict[str, Any]]:
        """Queue the deliveries of one trigger (sent in order, one after the other); their
        records as first logged."""
        try:
            url = self.check_url(pixel.webhook_url, pixel.id)
        except ApiError as exc:  # the pixel's own URL: the request is fine, the place is not
            if exc.status != 400:
                raise
            raise ApiError(403, "FORBIDDEN", exc.message) from None
        jobs = self._jobs(tenant, pixel, url, trigger)
        for job in jobs:
            self.store.save_delivery(tenant, job.record)
        self._submit(self._send_all(jobs))
        return [dict(job.record) for job in jobs]

    def log(self, tenant: str, pixel_id: str | None = None) -> list[dict[str, Any]]:
        return self.store.deliveries(tenant, pixel_id, LOG_LIMIT)

    # sending -----------------------------------------------------------------------------

    def _submit(self, coro: Coroutine[Any, Any, None]) -> None:
        with self._lock:
            if self._closed:
                coro.close()
                return
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="sandbox-webhooks", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            future = asyncio.run_coroutine_threadsafe(coro, self._loop)
            self._futures.add(future)
            future.add_done_callback(self._futures.discard)

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = httpx2.AsyncClient(
                timeout=self.config.webhook_timeout, follow_redirects=False, trust_env=False
            )
        return self._client

    async def _send_all(self, jobs: list[_Job]) -> None:
        for job in jobs:
            await self._send(job)

    async def _send(self, job: _Job) -> None:
        record = job.record
        for attempt in range(1, self.config.webhook_attempts + 1):
            if job.slow:
                await asyncio.sleep(job.slow)
            started = time.perf_counter()
            entry: dict[str, Any] = {"attempt": attempt, "at": iso_time(self.clock())}
            headers = {**job.headers, "x-sandbox-attempt": str(attempt)}
            try:
                answer = await self._http().post(record["url"], content=job.body, headers=headers)
                entry["status"] = answer.status_code
                ok = 200 <= answer.status_code < 300
            except httpx2.TimeoutException:
                entry["status"], entry["error"], ok = None, "timeout", False
            except httpx2.HTTPError as exc:
                entry["status"], entry["error"], ok = None, type(exc).__name__, False
            entry["ms"] = round((time.perf_counter() - started) * 1000, 1)
            record["attempts"].append(entry)
            last = attempt == self.config.webhook_attempts
            if ok or last:
                record["state"] = "delivered" if ok else "failed"
                record["delivered_at"] = iso_time(self.clock()) if ok else None
            self.store.save_delivery(job.tenant, record)
            if ok or last:
                return
            wait = self.config.webhook_backoff * 2 ** (attempt - 1)
            await asyncio.sleep(min(wait, WEBHOOK_BACKOFF_CAP))

    async def _schedule(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            for tenant, pixel in self.store.pixels_with_webhooks():
                try:
                    url = self.check_url(pixel.webhook_url, pixel.id)
                except ApiError:
                    continue  # not a loopback address: never delivered there
                for job in self._jobs(tenant, pixel, url, Trigger()):
                    self.store.save_delivery(tenant, job.record)
                    await self._send(job)

    def wait(self, timeout: float = 30.0) -> None:
        """Wait until the deliveries queued so far are done (for tests)."""
        pending = [f for f in list(self._futures) if not f.done()]
        concurrent.futures.wait(pending, timeout=timeout)

    def close(self) -> None:
        """Stop sending (deliveries still under way are abandoned) and end the thread."""
        with self._lock:
            self._closed = True
            loop, self._loop = self._loop, None
        if loop is None:
            return

        async def stop() -> None:
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            if self._client is not None:
                await self._client.aclose()

        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        loop.close()


# ---------------------------------------------------------------------------------------------
# Routes (under /_sandbox/, which the fault layer leaves alone: the key is checked here)


def delivery_routes(deliveries: Deliveries) -> list[Route]:
    """``POST /_sandbox/pixels/{id}/trigger``, ``GET|PUT /_sandbox/pixels/{id}/webhook`` and
    ``GET /_sandbox/deliveries``."""
    keys = frozenset(deliveries.config.api_keys)
    store = deliveries.store

    def tenant(request: Request) -> str:
        given = request.headers.getlist("x-api-key")
        if len(set(given)) != 1 or given[0] not in keys:
            raise ApiError(401, "UNAUTHORIZED", "Missing or invalid API key (X-Api-Key)")
        return tenant_of(given[0])

    def pixel_of(request: Request, who: str) -> Pixel:
        pixel_id = request.path_params["pixel_id"]
        pixel = store.get_pixel(who, pixel_id)
        if pixel is None:
            raise not_found(f"pixel {pixel_id} not found")
        return pixel

    async def body_of(request: Request) -> Any:
        raw = await request.body()
        if not raw.strip():
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise validation_error("the body is not JSON") from None

    async def trigger(request: Request) -> Response:
        who = tenant(request)
        pixel = pixel_of(request, who)
        wanted = parse_trigger(await body_of(request))
        records = deliveries.trigger(who, pixel, wanted)
        return json_response({**deliveries.info(pixel), "deliveries": records}, 202)

    async def webhook(request: Request) -> Response:
        who = tenant(request)
        pixel = pixel_of(request, who)
        if request.method == "PUT":
            body = await body_of(request)
            url = body.get("webhook_url") if isinstance(body, dict) else None
            if not isinstance(url, str):
                raise validation_error('the body must be {"webhook_url": "http://127.0.0.1:..."}')
            deliveries.check_url(url, pixel.id)
            store.set_webhook_url(who, pixel.id, url)
            pixel = pixel_of(request, who)
        return json_response(deliveries.info(pixel))

    async def log(request: Request) -> Response:
        who = tenant(request)
        pixel_id = request.query_params.get("pixel_id")
        return json_response({"deliveries": deliveries.log(who, pixel_id)})

    return [
        Route("/_sandbox/pixels/{pixel_id}/trigger", trigger, methods=["POST"]),
        Route("/_sandbox/pixels/{pixel_id}/webhook", webhook, methods=["GET", "PUT"]),
        Route("/_sandbox/deliveries", log, methods=["GET"]),
    ]
