"""The HTTP layer: Starlette endpoints that parse a request, call the backend, and answer JSON.

Nothing here decides anything about audiences, jobs or pixels: that is the backend's job. This
module knows URLs, query strings, bodies, status codes and headers.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from audiencelab.sandbox._backend import (
    Backend,
    FilterNotes,
    Page,
    WouldWait,
    iso_time,
    tenant_of,
)
from audiencelab.sandbox._errors import ApiError, error_body, not_found
from audiencelab.sandbox._faults import API_KEY_SCOPE
from audiencelab.sandbox._http import header_list, json_response
from audiencelab.sandbox._memory import LARGE_BODY_BYTES, release_memory
from audiencelab.sandbox._openapi import openapi_document
from audiencelab.sandbox._store import Pixel
from audiencelab.sandbox._validate import (
    parse_audience,
    parse_custom,
    parse_enrich,
    parse_event_type,
    parse_job,
    parse_json,
    parse_paging,
    parse_pixel,
    parse_preview,
)
from audiencelab.sandbox._work import BODY_WAIT_SECONDS, Workers

__all__ = [
    "IGNORED_HEADER",
    "MAX_BODY_BYTES",
    "UNDOCUMENTED_ROUTES",
    "WARNINGS_HEADER",
    "Routes",
    "error_handlers",
    "filter_headers",
]

MAX_BODY_BYTES = 32 * 1024 * 1024
#: Bodies this small may be handled on the event loop when that costs next to nothing.
QUICK_BODY_BYTES = 16 * 1024
#: How often, and how long apart, the event loop tries again when the database is in use.
QUICK_TRIES = 10
QUICK_RETRY_SECONDS = 0.002
IGNORED_HEADER = "X-Sandbox-Ignored-Filters"
WARNINGS_HEADER = "X-Sandbox-Filter-Warnings"

#: Helpful 404s for the paths the reference lists as wrong (§9).
WRONG_PATHS = {
    "/enrich/contact": "use POST /enrich",
    "/enrichment/jobs": "use POST /enrichments and GET /enrichments",
    "/enrich/jobs": "use GET /enrichments",
    "/enrich/v1/query": "use POST /enrich",
    "/usage/v1/stats": "the API has no usage endpoint",
    "/v1/status": "the API has no status endpoint and no /v1 prefix",
    "/user/credits": "the API has no credits endpoint",
    "/audiences/attributes": (
        "use GET /audiences/attributes/{name}, e.g. /audiences/attributes/industries"
    ),
}


def filter_headers(notes: FilterNotes) -> dict[str, str]:
    """The sandbox's own headers on a create or preview: unknown filter keys, useless values."""
    headers: dict[str, str] = {}
    if notes.ignored:
        headers[IGNORED_HEADER] = header_list(notes.ignored)
    if notes.warnings:
        headers[WARNINGS_HEADER] = header_list(notes.warnings, sep=";")
    return headers


def _pixel_json(pixel: Pixel, install_url: str) -> dict[str, Any]:
    return {
        "id": pixel.id,
        "website_name": pixel.website_name,
        "website_url": pixel.website_url,
        "install_url": install_url,
        "webhook_url": pixel.webhook_url,
        "version": pixel.version,
        "created_at": iso_time(pixel.created_at),
        "last_sync": iso_time(pixel.created_at),
    }


#: Routes that only answer a 404 with a hint: not operations, so /openapi.json leaves them out;
#: and the sandbox's tool whose body no schema can state (a loopback URL: ``_deliveries``).
UNDOCUMENTED_ROUTES = frozenset(
    {("GET", "/enrichments/{job_id}"), ("PUT", "/_sandbox/pixels/{pixel_id}/webhook")}
)

#: Words under /audiences/ that are paths of their own, never audience ids.
_NOT_IDS = frozenset({"attributes", "custom", "preview"})


class Routes:
    """One endpoint per operation of the reference, over one :class:`Backend`."""

    def __init__(self, backend: Backend, workers: Workers | None = None) -> None:
        self.backend = backend
        self.config = backend.config
        self.workers = workers or Workers()

    def envelope(
        self, page: Page[Any], items: list[Any] | None = None, key: str = "data"
    ) -> dict[str, Any]:
        """A list page: the total (under ``total_records`` or ``total``), paging, the items."""
        return {
            self.config.list_total_key: page.total,
            "page_size": page.size,
            "page": page.page,
            "total_pages": math.ceil(page.total / page.size),
            key: page.items if items is None else items,
        }

    # request helpers -------------------------------------------------------------------------

    @staticmethod
    def tenant(request: Request) -> str:
        return tenant_of(request.scope[API_KEY_SCOPE])

    @staticmethod
    def declared_length(request: Request) -> int | None:
        """The body's ``Content-Length`` (413 beyond MAX_BODY_BYTES), or ``None``."""
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            return None
        if int(length) > MAX_BODY_BYTES:
            raise ApiError(413, "PAYLOAD_TOO_LARGE", f"body: larger than {MAX_BODY_BYTES} bytes")
        return int(length)

    @staticmethod
    async def read_body(request: Request) -> bytes:
        """The raw body, at most MAX_BODY_BYTES (413 beyond: counted as it arrives)."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise ApiError(
                    413, "PAYLOAD_TOO_LARGE", f"body: larger than {MAX_BODY_BYTES} bytes"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def with_body(
        self,
        request: Request,
        work: Callable[[dict[str, Any]], Response],
        quick: Callable[[dict[str, Any]], Response] | None = None,
    ) -> Response:
        """Wait for the body's share of the body budget (its ``Content-Length``, or the maximum
        when it has none), read it, then parse, validate, prepare, answer and commit in a worker
        thread: a large body must not stall the other clients, nor many of them take the
        machine's memory."""
        length = self.declared_length(request)
        budget = self.workers.bodies
        wait = min(BODY_WAIT_SECONDS, self.config.body_timeout / 2)
        share = await budget.acquire(MAX_BODY_BYTES if length is None else length, wait)
        if share is None:
            raise ApiError(
                503,
                "SERVICE_UNAVAILABLE",
                f"the sandbox is parsing {budget.capacity // (1024 * 1024)} MiB of request "
                "bodies already; nothing was done, retry later",
                {"Retry-After": "1"},
            )
        try:
            raw = await self.read_body(request)

            def run() -> Response:
                try:
                    return work(parse_json(raw))
                finally:
                    if len(raw) >= LARGE_BODY_BYTES:
                        release_memory()

            if quick is not None and len(raw) <= QUICK_BODY_BYTES:
                # a small create of known filters: done at once, on the event loop
                return await self.quickly(lambda: quick(parse_json(raw)), run)
            return await self.workers.run(run)
        finally:
            budget.release(share)

    async def offload(self, work: Callable[[], Response]) -> Response:
        """Build a response that costs real work (pages of people) in a worker thread."""
        return await self.workers.run(work)

    async def quickly(
        self, quick: Callable[[], Response], work: Callable[[], Response]
    ) -> Response:
        """``quick()`` on the event loop, where it costs next to nothing; ``work()`` in a worker
        thread when it would have to work. A worker thread costs more than small work (the
        interpreter lock passes between threads every few milliseconds at most), so a database
        in use (by a worker's write) is waited for a few times, a millisecond each, first."""
        for _attempt in range(QUICK_TRIES):
            try:
                return quick()
            except WouldWait as exc:
                if not exc.busy:
                    break
            await anyio.sleep(QUICK_RETRY_SECONDS)
        return await self.offload(work)

    # audiences -------------------------------------------------------------------------------

    async def create_audience(self, request: Request) -> Response:
        tenant = self.tenant(request)

        def work(body: dict[str, Any], quick: bool = False) -> Response:
            req = parse_audience(body)
            pending = self.backend.prepare_audience(tenant, req, quick=quick)
            audience, notes = pending.result
            response = json_response({"audienceId": audience.id}, headers=filter_headers(notes))
            pending.commit()
            return response

        return await self.with_body(request, work, quick=lambda body: work(body, quick=True))

    async def list_audiences(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        listing = self.backend.list_audiences(self.tenant(request), page, size)
        data = [
            {
                "id": a.id,
                "name": a.name,
                "next_scheduled_refresh": None,
                "scheduled_refresh": False,
                "refresh_interval": None,
                "webhook_url": None,
            }
            for a in listing.items
        ]
        return json_response(self.envelope(listing, data))

    async def get_audience(self, request: Request) -> Response:
        audience_id = request.path_params["audience_id"]
        if audience_id in _NOT_IDS:
            raise wrong_path(request)
        page, size = parse_paging(request.query_params)
        tenant = self.tenant(request)

        def work(quick: bool = False) -> Response:
            records = self.backend.audience_records(tenant, audience_id, page, size, quick=quick)
            if records is None:
                return json_response({"status": "no data"})
            return json_response(self.envelope(records))

        # kept rows and a free database: answered at once, without a worker thread
        return await self.quickly(lambda: work(quick=True), work)

    async def delete_audience(self, request: Request) -> Response:
        audience_id = request.path_params["audience_id"]
        if audience_id in _NOT_IDS:
            raise wrong_path(request)
        self.backend.delete_audience(self.tenant(request), audience_id)
        return json_response({"success": True, "id": audience_id})

    async def create_custom_audience(self, request: Request) -> Response:
        tenant = self.tenant(request)

        def work(body: dict[str, Any]) -> Response:
            topic, description = parse_custom(body)
            pending = self.backend.prepare_custom_audience(tenant, topic, description)
            response = json_response({"status": "processing"})
            pending.commit()
            return response

        return await self.with_body(request, work)

    async def preview_audience(self, request: Request) -> Response:
        def work(body: dict[str, Any]) -> Response:
            preview = self.backend.preview(parse_preview(body))
            answer = {
                "job_id": str(uuid.uuid4()),
                "count": preview.count,
                "result": preview.rows,
                "field_coverage": preview.coverage,
            }
            return json_response(answer, headers=filter_headers(preview.notes))

        return await self.with_body(request, work)

    async def attributes(self, request: Request) -> Response:
        attribute = request.path_params["attribute"]
        data = self.backend.attribute_values(attribute)
        return json_response({"attributes": {attribute: {"count": len(data), "data": data}}})

    # segments --------------------------------------------------------------------------------

    async def segment(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        segment_id = request.path_params["segment_id"]

        def work() -> Response:
            segment = self.backend.segment(segment_id, page, size)
            body = self.envelope(segment.page)
            body.update(
                {
                    "segment_id": segment.segment_id,
                    "segment_name": segment.name,
                    "has_more": page * size < segment.page.total,
                }
            )
            return json_response(body)

        return await self.offload(work)

    # enrichment ------------------------------------------------------------------------------

    async def enrich(self, request: Request) -> Response:
        def work(body: dict[str, Any]) -> Response:
            req = parse_enrich(body)
            result = self.backend.enrich(req)
            return json_response(
                {
                    "request_id": req.request_id or str(uuid.uuid4()),
                    "timestamp": int(self.backend.clock() * 1000),
                    "found": len(result),
                    "result": result,
                }
            )

        return await self.with_body(request, work)

    async def create_job(self, request: Request) -> Response:
        tenant = self.tenant(request)

        def work(body: dict[str, Any]) -> Response:
            pending = self.backend.prepare_job(tenant, parse_job(body))
            answer = {"jobId": pending.result.id, "status": "IN_QUEUE"}
            response = json_response(answer, status=202)
            pending.commit()
            return response

        return await self.with_body(request, work)

    async def list_jobs(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        listing = self.backend.list_jobs(self.tenant(request), page, size)
        data = [
            {
                "id": view.job.id,
                "name": view.job.name,
                "status": view.status,
                "csv_url": view.csv_url,
                "total": view.job.total,
                "created_at": iso_time(view.job.created_at),
            }
            for view in listing.items
        ]
        return json_response(self.envelope(listing, data))

    async def get_job(self, request: Request) -> Response:
        raise not_found(
            "GET /enrichments/{id} is not part of the documented API; poll GET /enrichments "
            "and find the job by its id"
        )

    async def job_csv(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        chunks = self.backend.job_file(job_id, request.query_params.get("token", ""))
        # a sync iterator: Starlette produces each chunk in a worker thread
        return StreamingResponse(
            chunks,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{job_id}.csv"'},
        )

    # pixels ----------------------------------------------------------------------------------

    async def create_pixel(self, request: Request) -> Response:
        tenant = self.tenant(request)

        def work(body: dict[str, Any]) -> Response:
            pending = self.backend.prepare_pixel(tenant, parse_pixel(body))
            pixel = pending.result
            info = _pixel_json(pixel, self.backend.install_url(pixel))
            response = json_response(
                {
                    "pixel_id": pixel.id,
                    "install_url": info["install_url"],
                    "script": f'<script src="{info["install_url"]}" async></script>',
                    "website_name": pixel.website_name,
                    "website_url": pixel.website_url,
                    "webhook_url": pixel.webhook_url,
                    "version": pixel.version,
                    "created_at": info["created_at"],
                }
            )
            pending.commit()
            return response

        return await self.with_body(request, work)

    async def list_pixels(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        listing = self.backend.list_pixels(self.tenant(request), page, size)
        pixels = [_pixel_json(p, self.backend.install_url(p)) for p in listing.items]
        return json_response(self.envelope(listing, pixels))

    async def pixel_events(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        event_type = parse_event_type(request.query_params)
        events = self.backend.pixel_events(
            self.tenant(request), request.path_params["pixel_id"], page, size, event_type
        )
        return json_response(self.envelope(events, key="events"))

    async def pixel_events_v4(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        events = self.backend.pixel_events_v4(
            self.tenant(request), request.path_params["pixel_id"], page, size
        )
        return json_response(self.envelope(events, key="events"))

    async def delete_pixel(self, request: Request) -> Response:
        self.backend.delete_pixel(self.tenant(request), request.path_params["pixel_id"])
        return Response(status_code=204)

    async def pixel_script(self, request: Request) -> Response:
        pixel = self.backend.installed_pixel(request.path_params["pixel_id"])
        script = (
            "/* AudienceLab sandbox pixel: it records nothing. */\n"
            f"window.audiencelabPixel = {json.dumps({'pixel_id': pixel.id, 'version': pixel.version})};\n"
        )
        return Response(script, media_type="application/javascript")

    # service ---------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    async def openapi(self, request: Request) -> Response:
        return json_response(openapi_document(self.config))

    def table(self) -> list[Route]:
        """Every path once, with all its methods (so that a 405 lists them all in ``Allow``)."""
        return [
            _route("/healthz", GET=self.health),
            _route("/openapi.json", GET=self.openapi),
            _route("/audiences", GET=self.list_audiences, POST=self.create_audience),
            _route("/audiences/custom", POST=self.create_custom_audience),
            _route("/audiences/preview", POST=self.preview_audience),
            _route("/audiences/attributes/{attribute}", GET=self.attributes),
            _route("/audiences/{audience_id}", GET=self.get_audience, DELETE=self.delete_audience),
            _route("/segments/{segment_id}", GET=self.segment),
            _route("/enrich", POST=self.enrich),
            _route("/enrichments", GET=self.list_jobs, POST=self.create_job),
            _route("/enrichments/{job_id}", GET=self.get_job),
            _route("/pixels", GET=self.list_pixels, POST=self.create_pixel),
            _route("/pixels/{pixel_id}", GET=self.pixel_events, DELETE=self.delete_pixel),
            _route("/pixels/{pixel_id}/v4", GET=self.pixel_events_v4),
            _route("/_sandbox/files/enrichments/{job_id}.csv", GET=self.job_csv),
            _route("/_sandbox/pixels/{pixel_id}/p.js", GET=self.pixel_script),
        ]


Endpoint = Callable[[Request], Awaitable[Response]]


def _route(path: str, **handlers: Endpoint) -> Route:
    """One route for ``path`` that dispatches on the method (HEAD is answered as GET)."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, dispatch, methods=list(handlers))


def wrong_path(request: Request) -> Exception:
    """A JSON 404 for an unknown path, with a hint when it is a known mistake (reference §9)."""
    if request.url.path.rstrip("/") in ("/audiences/custom", "/audiences/preview"):
        return HTTPException(405, headers={"Allow": "POST"})  # a POST-only path, not an id
    return not_found(_no_such_endpoint(request))


def _no_such_endpoint(request: Request) -> str:
    path = request.url.path
    hint = WRONG_PATHS.get(path.rstrip("/"))
    return f"No such endpoint: {request.method} {path}" + (f" ({hint})" if hint else "")


# ---------------------------------------------------------------------------------------------
# Errors as JSON


def error_handlers(style: str = "object") -> dict[Any, Any]:
    """Starlette exception handlers: every error is a JSON body, in the configured style."""

    def body(
        status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            error_body(code, message, style), status, headers, media_type="application/json"
        )

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return body(exc.status, exc.code, exc.message, exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if exc.status_code == 404:
            return body(404, "NOT_FOUND", _no_such_endpoint(request))
        if exc.status_code == 405:
            allowed = sorted((exc.headers or {}).get("Allow", "").replace(" ", "").split(","))
            message = f"{request.method} is not allowed on {path} (use {', '.join(allowed)})"
            return body(405, "METHOD_NOT_ALLOWED", message, {"Allow": ", ".join(allowed)})
        return body(exc.status_code, "HTTP_ERROR", str(exc.detail))

    async def server_error(request: Request, exc: Exception) -> Response:
        message = f"Internal server error ({type(exc).__name__})"
        return body(500, "INTERNAL_ERROR", message)

    return {ApiError: api_error, HTTPException: http_error, Exception: server_error}
