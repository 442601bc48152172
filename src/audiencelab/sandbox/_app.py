"""The HTTP layer: Starlette routes for every endpoint of the reference, wrapped by the fault layer."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import pydantic_core
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from audiencelab.sandbox import _data
from audiencelab.sandbox._config import SandboxConfig
from audiencelab.sandbox._enrich import csv_chunks, enrich_contact
from audiencelab.sandbox._errors import ApiError, error_body, not_found, validation_error
from audiencelab.sandbox._faults import API_KEY_SCOPE, FaultMiddleware
from audiencelab.sandbox._filters import Criteria, build_criteria, parse_filters
from audiencelab.sandbox._generate import Plan, field_coverage, plan_for, stable_int
from audiencelab.sandbox._openapi import openapi_document
from audiencelab.sandbox._pixels import event_count, event_indices, v3_event, v4_event
from audiencelab.sandbox._store import Audience, Job, Pixel, Store, tenant_of
from audiencelab.sandbox._validate import (
    criteria_from_stored,
    parse_audience,
    parse_custom,
    parse_enrich,
    parse_job,
    parse_json,
    parse_paging,
    parse_pixel,
    parse_preview,
)

__all__ = ["SandboxApp", "create_app"]

MAX_BODY_BYTES = 32 * 1024 * 1024
IGNORED_HEADER = "X-Sandbox-Ignored-Filters"
WARNINGS_HEADER = "X-Sandbox-Filter-Warnings"

#: Helpful 404s for the paths the reference lists as wrong (§9).
_WRONG_PATHS = {
    "/enrich/contact": "use POST /enrich",
    "/enrichment/jobs": "use POST /enrichments and GET /enrichments",
    "/enrich/jobs": "use GET /enrichments",
    "/enrich/v1/query": "use POST /enrich",
    "/usage/v1/stats": "the API has no usage endpoint",
    "/v1/status": "the API has no status endpoint and no /v1 prefix",
    "/user/credits": "the API has no credits endpoint",
}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # pydantic-core's encoder writes the same compact UTF-8 bytes as json.dumps, about 3x faster:
    # a 1,000-row page is ~2.4 MB, and encoding it was the largest cost of serving it.
    body = pydantic_core.to_json(data)
    return Response(body, status, headers, media_type="application/json")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="microseconds")


def _header_list(items: Sequence[str], sep: str = ",", limit: int = 50) -> str:
    """A header-safe list joined by ``sep`` (non-ASCII, controls and ``sep`` percent-encoded)."""

    def clean(text: str) -> str:
        return "".join(
            c if 0x20 <= ord(c) < 0x7F and c not in (sep, "%") else quote(c) for c in text
        )

    shown = [clean(x) for x in items[:limit]]
    if len(items) > limit:
        shown.append(f"... ({len(items) - limit} more)")
    return f"{sep} ".join(shown)


def _envelope(
    items: list[Any], total: int, page: int, size: int, key: str = "data"
) -> dict[str, Any]:
    return {
        "total_records": total,
        "page_size": size,
        "page": page,
        "total_pages": math.ceil(total / size),
        key: items,
    }


class _Context:
    def __init__(self, config: SandboxConfig, store: Store, clock: Callable[[], float]) -> None:
        self.config = config
        self.store = store
        self.clock = clock

    # helpers ---------------------------------------------------------------------------------

    @staticmethod
    def tenant(request: Request) -> str:
        return tenant_of(request.scope[API_KEY_SCOPE])

    @staticmethod
    async def body(request: Request) -> dict[str, Any]:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise ApiError(413, "PAYLOAD_TOO_LARGE", f"body: larger than {MAX_BODY_BYTES} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise ApiError(
                    413, "PAYLOAD_TOO_LARGE", f"body: larger than {MAX_BODY_BYTES} bytes"
                )
            chunks.append(chunk)
        return parse_json(b"".join(chunks))

    @staticmethod
    def filter_headers(ignored: Sequence[str], criteria: Criteria, plan: Plan) -> dict[str, str]:
        headers: dict[str, str] = {}
        if ignored:
            headers[IGNORED_HEADER] = _header_list(ignored)
        notes = list(criteria.warnings) + [r for r in plan.reasons if r not in criteria.warnings]
        if notes:
            headers[WARNINGS_HEADER] = _header_list(notes, sep=";")
        return headers

    def base_url(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def csv_token(self, job_id: str) -> str:
        secret = self.store.secret.encode()
        return hmac.new(secret, job_id.encode(), hashlib.sha256).hexdigest()[:32]

    # audiences -------------------------------------------------------------------------------

    async def create_audience(self, request: Request) -> Response:
        req = parse_audience(await self.body(request))
        plan = plan_for(req.criteria)
        now = self.clock()
        audience = Audience(
            id=str(uuid.uuid4()),
            name=req.name,
            request=req.stored,
            size=min(plan.population, self.config.max_audience_size),
            created_at=now,
            ready_at=now + self.config.build_seconds,
        )
        self.store.add_audience(self.tenant(request), audience)
        return _json(
            {"audienceId": audience.id},
            headers=self.filter_headers(req.ignored, req.criteria, plan),
        )

    async def list_audiences(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        total, audiences = self.store.list_audiences(self.tenant(request), size, (page - 1) * size)
        data = [
            {
                "id": a.id,
                "name": a.name,
                "next_scheduled_refresh": None,
                "scheduled_refresh": False,
                "refresh_interval": None,
                "webhook_url": None,
            }
            for a in audiences
        ]
        return _json(_envelope(data, total, page, size))

    async def get_audience(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        audience_id = request.path_params["audience_id"]
        audience = self.store.get_audience(self.tenant(request), audience_id)
        if audience is None:
            raise not_found(f"audience {audience_id} not found")
        if self.clock() < audience.ready_at:
            return _json({"status": "no data"})
        plan = plan_for(criteria_from_stored(audience.request))
        start = (page - 1) * size
        rows = plan.rows(start, min(start + size, audience.size)) if start < audience.size else []
        return _json(_envelope(rows, audience.size, page, size))

    async def delete_audience(self, request: Request) -> Response:
        audience_id = request.path_params["audience_id"]
        if not self.store.delete_audience(self.tenant(request), audience_id, self.clock()):
            raise not_found(f"audience {audience_id} not found")
        return _json({"success": True, "id": audience_id})

    async def create_custom_audience(self, request: Request) -> Response:
        topic, description = parse_custom(await self.body(request))
        self.store.add_custom_audience(
            self.tenant(request), str(uuid.uuid4()), topic, description, self.clock()
        )
        return _json({"status": "processing"})

    async def preview_audience(self, request: Request) -> Response:
        req = parse_preview(await self.body(request))
        plan = plan_for(req.criteria)
        sample = plan.rows(0, min(max(req.limit, 100), plan.population))
        body = {
            "job_id": str(uuid.uuid4()),
            "count": plan.population,
            "result": sample[: req.limit],
            "field_coverage": field_coverage(sample),
        }
        return _json(body, headers=self.filter_headers(req.ignored, req.criteria, plan))

    async def attributes(self, request: Request) -> Response:
        attribute = request.path_params["attribute"]
        data: list[Any]
        if attribute == "segments":
            data = [{"id": i, "name": n, "b2b": b} for i, n, b in _data.SEGMENTS]
        elif attribute == "industries":
            data = [name for name, _sic, _naics in _data.INDUSTRIES]
        elif attribute == "departments":
            data = list(_data.DEPARTMENTS)
        elif attribute == "seniority":
            data = list(_data.SENIORITY_LEVELS)
        elif attribute == "sic":
            data = sorted({sic for _name, sic, _naics in _data.INDUSTRIES})
        elif attribute == "gender":
            data = ["M", "F", "U"]
        else:
            raise not_found(
                f"unknown attribute {attribute!r} (use segments, industries, departments, "
                "seniority, sic or gender)"
            )
        return _json({"attributes": {attribute: {"count": len(data), "data": data}}})

    # segments --------------------------------------------------------------------------------

    async def segment(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        segment_id = request.path_params["segment_id"]
        if len(segment_id) > 200:
            raise not_found(f"segment {segment_id[:40]}... not found")
        known = {i: n for i, n, _b in _data.SEGMENTS}
        name = known.get(segment_id) or f"Studio segment {segment_id[:8]}"
        h = stable_int("segment", segment_id)
        state = _data.STATES[h % len(_data.STATES)][0]
        low = 18 + (h >> 8) % 40
        criteria = build_criteria(
            parse_filters(
                {"state": [state], "age": {"minAge": low, "maxAge": low + 10 + (h >> 16) % 30}}
            )
        )
        plan = plan_for(criteria)
        total = min(plan.population, 50 + (h >> 24) % 20_000, self.config.max_audience_size)
        start = (page - 1) * size
        rows = plan.rows(start, min(start + size, total)) if start < total else []
        body = _envelope(rows, total, page, size)
        body.update(
            {"segment_id": segment_id, "segment_name": name, "has_more": page * size < total}
        )
        return _json(body)

    # enrichment ------------------------------------------------------------------------------

    async def enrich(self, request: Request) -> Response:
        req = parse_enrich(await self.body(request))
        result = enrich_contact(req.match, req.fields, is_or=req.is_or_match)
        return _json(
            {
                "request_id": req.request_id or str(uuid.uuid4()),
                "timestamp": int(self.clock() * 1000),
                "found": len(result),
                "result": result,
            }
        )

    async def create_job(self, request: Request) -> Response:
        req = parse_job(await self.body(request))
        now = self.clock()
        seconds = self.config.job_seconds
        job = Job(
            id=str(uuid.uuid4()),
            tenant=self.tenant(request),
            name=req.name,
            operator=req.operator,
            columns=req.columns,
            total=len(req.records),
            created_at=now,
            started_at=now + seconds * 0.25,
            ready_at=now + seconds,
        )
        self.store.add_job(job, req.records)
        return _json({"jobId": job.id, "status": "IN_QUEUE"}, status=202)

    def job_status(self, job: Job) -> str:
        now = self.clock()
        if now < job.started_at:
            return "IN_QUEUE"
        if now < job.ready_at:
            return "PROCESSING"
        return "COMPLETED"

    async def list_jobs(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        total, jobs = self.store.list_jobs(self.tenant(request), size, (page - 1) * size)
        base = self.base_url(request)
        data = []
        for job in jobs:
            status = self.job_status(job)
            url = None
            if status == "COMPLETED":
                url = (
                    f"{base}/_sandbox/files/enrichments/{job.id}.csv?token={self.csv_token(job.id)}"
                )
            data.append(
                {
                    "id": job.id,
                    "name": job.name,
                    "status": status,
                    "csv_url": url,
                    "total": job.total,
                    "created_at": _iso(job.created_at),
                }
            )
        return _json(_envelope(data, total, page, size))

    async def get_job(self, request: Request) -> Response:
        raise not_found(
            "GET /enrichments/{id} is not part of the documented API; poll GET /enrichments "
            "and find the job by its id"
        )

    async def job_csv(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        job = self.store.get_job(job_id)
        token = request.query_params.get("token", "")
        if job is None or not hmac.compare_digest(token, self.csv_token(job_id)):
            raise not_found("no such file")
        if self.job_status(job) != "COMPLETED":
            raise not_found("the job has not completed yet")
        records = self.store.job_records(job_id)
        return StreamingResponse(
            csv_chunks(records, job.columns, job.operator),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{job_id}.csv"'},
        )

    # pixels ----------------------------------------------------------------------------------

    def pixel_json(self, pixel: Pixel, base: str) -> dict[str, Any]:
        return {
            "id": pixel.id,
            "website_name": pixel.website_name,
            "website_url": pixel.website_url,
            "install_url": f"{base}/_sandbox/pixels/{pixel.id}/p.js",
            "webhook_url": pixel.webhook_url,
            "version": pixel.version,
            "created_at": _iso(pixel.created_at),
            "last_sync": _iso(pixel.created_at),
        }

    async def create_pixel(self, request: Request) -> Response:
        req = parse_pixel(await self.body(request))
        pixel = Pixel(
            str(uuid.uuid4()), req.website_name, req.website_url, req.webhook_url, req.version,
            self.clock(),
        )  # fmt: skip
        self.store.add_pixel(self.tenant(request), pixel)
        info = self.pixel_json(pixel, self.base_url(request))
        return _json(
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

    async def list_pixels(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        total, pixels = self.store.list_pixels(self.tenant(request), size, (page - 1) * size)
        base = self.base_url(request)
        return _json(_envelope([self.pixel_json(p, base) for p in pixels], total, page, size))

    def _pixel(self, request: Request) -> Pixel:
        pixel_id = request.path_params["pixel_id"]
        pixel = self.store.get_pixel(self.tenant(request), pixel_id)
        if pixel is None:
            raise not_found(f"pixel {pixel_id} not found")
        return pixel

    async def pixel_events(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        event_type = request.query_params.get("event_type")
        if event_type is not None and event_type not in _data.PIXEL_EVENT_TYPES:
            raise validation_error(
                f"event_type: unknown event type {event_type[:40]!r} "
                f"(use {', '.join(_data.PIXEL_EVENT_TYPES)})"
            )
        pixel = self._pixel(request)
        indices = event_indices(pixel.id, event_type)
        chosen = indices[(page - 1) * size : page * size]
        events = [v3_event(pixel.id, pixel.website_url, pixel.created_at, i) for i in chosen]
        return _json(_envelope(events, len(indices), page, size, key="events"))

    async def pixel_events_v4(self, request: Request) -> Response:
        page, size = parse_paging(request.query_params)
        pixel = self._pixel(request)
        total = event_count(pixel.id, "v4")
        chosen = range((page - 1) * size, min(page * size, total))
        events = [v4_event(pixel.id, pixel.website_url, pixel.created_at, i) for i in chosen]
        return _json(_envelope(events, total, page, size, key="events"))

    async def delete_pixel(self, request: Request) -> Response:
        pixel_id = request.path_params["pixel_id"]
        if not self.store.delete_pixel(self.tenant(request), pixel_id, self.clock()):
            raise not_found(f"pixel {pixel_id} not found")
        return Response(status_code=204)

    async def pixel_script(self, request: Request) -> Response:
        pixel = self.store.get_pixel_any_tenant(request.path_params["pixel_id"])
        if pixel is None:
            raise not_found("no such pixel")
        script = (
            "/* AudienceLab sandbox pixel: it records nothing. */\n"
            f"window.audiencelabPixel = {json.dumps({'pixel_id': pixel.id, 'version': pixel.version})};\n"
        )
        return Response(script, media_type="application/javascript")

    # service ---------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def openapi(self, request: Request) -> Response:
        return _json(openapi_document())


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return Response(
        error_body(exc.code, exc.message), exc.status, exc.headers, media_type="application/json"
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if exc.status_code == 404:
        hint = _WRONG_PATHS.get(path.rstrip("/"))
        message = f"No such endpoint: {request.method} {path}" + (f" ({hint})" if hint else "")
        return Response(error_body("NOT_FOUND", message), 404, media_type="application/json")
    if exc.status_code == 405:
        return Response(
            error_body("METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {path}"),
            405,
            dict(exc.headers or {}),
            media_type="application/json",
        )
    return Response(
        error_body("HTTP_ERROR", str(exc.detail)), exc.status_code, media_type="application/json"
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    return Response(
        error_body("INTERNAL_ERROR", f"Internal server error ({type(exc).__name__})"),
        500,
        media_type="application/json",
    )


class SandboxApp(FaultMiddleware):
    """The sandbox as one ASGI application: the fault layer around the Starlette routes."""

    def __init__(self, config: SandboxConfig, clock: Callable[[], float] | None = None) -> None:
        self.store = Store(config.db)
        ctx = _Context(config, self.store, clock or time.time)
        self.context = ctx
        routes = [
            Route("/healthz", ctx.health, methods=["GET"]),
            Route("/openapi.json", ctx.openapi, methods=["GET"]),
            Route("/audiences", ctx.create_audience, methods=["POST"]),
            Route("/audiences", ctx.list_audiences, methods=["GET"]),
            Route("/audiences/custom", ctx.create_custom_audience, methods=["POST"]),
            Route("/audiences/preview", ctx.preview_audience, methods=["POST"]),
            Route("/audiences/attributes/{attribute}", ctx.attributes, methods=["GET"]),
            Route("/audiences/{audience_id}", ctx.get_audience, methods=["GET"]),
            Route("/audiences/{audience_id}", ctx.delete_audience, methods=["DELETE"]),
            Route("/segments/{segment_id}", ctx.segment, methods=["GET"]),
            Route("/enrich", ctx.enrich, methods=["POST"]),
            Route("/enrichments", ctx.create_job, methods=["POST"]),
            Route("/enrichments", ctx.list_jobs, methods=["GET"]),
            Route("/enrichments/{job_id}", ctx.get_job, methods=["GET"]),
            Route("/pixels", ctx.create_pixel, methods=["POST"]),
            Route("/pixels", ctx.list_pixels, methods=["GET"]),
            Route("/pixels/{pixel_id}", ctx.pixel_events, methods=["GET"]),
            Route("/pixels/{pixel_id}", ctx.delete_pixel, methods=["DELETE"]),
            Route("/pixels/{pixel_id}/v4", ctx.pixel_events_v4, methods=["GET"]),
            Route("/_sandbox/files/enrichments/{job_id}.csv", ctx.job_csv, methods=["GET"]),
            Route("/_sandbox/pixels/{pixel_id}/p.js", ctx.pixel_script, methods=["GET"]),
        ]
        self.starlette = Starlette(
            routes=routes,
            exception_handlers={
                ApiError: _api_error,
                HTTPException: _http_error,
                Exception: _server_error,
            },
        )
        self.starlette.router.redirect_slashes = False
        super().__init__(self.starlette, config)

    def close(self) -> None:
        """Close the database connection."""
        self.store.close()


def create_app(
    config: SandboxConfig | None = None, *, clock: Callable[[], float] | None = None
) -> SandboxApp:
    """The sandbox as an ASGI app (use it with uvicorn, or in-process with ``httpx.ASGITransport``).

    ``clock`` replaces ``time.time`` for the audience and job lifecycles (tests use it to move time
    forward without sleeping).
    """
    return SandboxApp(config or SandboxConfig(), clock)
