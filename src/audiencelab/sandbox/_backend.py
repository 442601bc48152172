"""The rules of the API: what a create stores, lifecycles over time, tenancy, result-file tokens.

The backend holds the state (through the store) and knows nothing about HTTP: the routes parse a
request, call one method here and turn the answer into a response. Every method is synchronous and
safe to call from several threads at once (the routes run the heavy ones off the event loop).

Writes are two-step: ``prepare_*`` checks and builds the change and returns a :class:`Pending`;
the route builds its response from ``pending.result`` and only then calls ``pending.commit()``, so
nothing is saved unless the answer can be sent.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import orjson

from audiencelab.sandbox import _data
from audiencelab.sandbox._config import SandboxConfig
from audiencelab.sandbox._criteria import Criteria, build_criteria
from audiencelab.sandbox._enrich import any_record_matches, csv_chunks, enrich_contact
from audiencelab.sandbox._errors import ApiError, not_found
from audiencelab.sandbox._filters import parse_filters
from audiencelab.sandbox._generate import (
    Plan,
    built_plan,
    field_coverage,
    plan_for,
    stable_int,
)
from audiencelab.sandbox._pages import NotKept, page_json
from audiencelab.sandbox._pixels import event_count, event_indices, v3_event, v4_event
from audiencelab.sandbox._store import Audience, Busy, Job, Pixel, Store
from audiencelab.sandbox._validate import (
    AudienceRequest,
    EnrichRequest,
    JobRequest,
    PixelRequest,
    PreviewRequest,
    criteria_from_stored,
)

__all__ = [
    "ATTRIBUTE_NAMES",
    "RESULT_URL_SECONDS",
    "Backend",
    "Page",
    "Pending",
    "WouldWait",
    "iso_time",
    "tenant_of",
]

T = TypeVar("T")

#: ``GET /audiences/attributes/{attribute}``: the names seen in the wild (reference §3.7).
ATTRIBUTE_NAMES = ("segments", "industries", "departments", "seniority", "sic", "gender")
#: How many audiences' plans are kept by audience (the plans themselves are shared by filters).
PLAN_CACHE_SIZE = 32
#: A stored request this small is read again on the event loop when its plan is built.
QUICK_REQUEST_BYTES = 4096
#: Rows of a preview used for ``field_coverage`` (chosen: enough for two-digit shares, cheap).
PREVIEW_COVERAGE_ROWS = 100
#: Studio segments: a deterministic size between 50 and 20,049 people (reference §5.1 shows
#: segments of every size; chosen so that paging a segment takes at most a few pages of 10,000).
SEGMENT_MIN_SIZE = 50
SEGMENT_SIZE_SPREAD = 20_000
#: Enrichment jobs wait in the queue for this share of their duration, then are "PROCESSING".
JOB_QUEUED_SHARE = 0.25
#: How long a result file's ``csv_url`` works after ``GET /enrichments`` hands it out (chosen: one
#: hour, a common lifetime for signed download URLs); every listing hands out a fresh one.
RESULT_URL_SECONDS = 3600


def iso_time(ts: float) -> str:
    """A timestamp as the API writes them (``created_at``): ISO 8601, UTC, microseconds."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def tenant_of(api_key: str) -> str:
    """Each API key is a tenant; rows are keyed by a hash of the key, never the key itself."""
    return hashlib.sha256(b"audiencelab-sandbox\x00" + api_key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``items`` and the total number of items in the whole list (pages of
    people come as their JSON already: an ``orjson.Fragment`` of the array)."""

    items: Sequence[T] | orjson.Fragment
    total: int
    page: int
    size: int


class WouldWait(Exception):
    """A ``quick`` call would have to wait for the database (``busy``: in use, try again in a
    moment) or work (generate people, build a plan): do it in a worker thread instead."""

    def __init__(self, *, busy: bool = False) -> None:
        super().__init__("busy" if busy else "work")
        self.busy = busy


def _records(plan: Plan, start: int, stop: int, *, quick: bool = False) -> orjson.Fragment:
    try:
        return orjson.Fragment(b"[" + page_json(plan, start, stop, kept_only=quick) + b"]")
    except NotKept:
        raise WouldWait from None


class Pending(Generic[T]):
    """A change that is ready but not saved: answer with ``result``, then :meth:`commit`."""

    def __init__(self, result: T, save: Callable[[], None]) -> None:
        self.result = result
        self._save = save

    def commit(self) -> None:
        self._save()


@dataclass(frozen=True)
class FilterNotes:
    """What the filters of a create or preview did not do: unknown keys, values matching no one."""

    ignored: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Preview:
    count: int
    rows: list[dict[str, str]]
    coverage: dict[str, float]
    notes: FilterNotes


@dataclass(frozen=True)
class SegmentPage:
    segment_id: str
    name: str
    page: Page[Any]


@dataclass(frozen=True)
class JobView:
    """An enrichment job as ``GET /enrichments`` shows it at this moment."""

    job: Job
    status: str
    csv_url: str | None


def _notes(ignored: tuple[str, ...], criteria: Criteria, plan: Plan) -> FilterNotes:
    warnings = list(criteria.warnings) + [
        r for r in (*plan.reasons, *plan.warnings) if r not in criteria.warnings
    ]
    return FilterNotes(ignored, tuple(warnings))


class Backend:
    """State and rules of one sandbox: audiences, custom topics, jobs and pixels, per tenant."""

    def __init__(self, config: SandboxConfig, store: Store, clock: Callable[[], float]) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self._plans: OrderedDict[str, Plan] = OrderedDict()
        self._plans_lock = threading.Lock()
        self._job_draws = random.Random(config.seed)
        self._jobs_lock = threading.Lock()

    # audiences -------------------------------------------------------------------------------

    def prepare_audience(
        self, tenant: str, req: AudienceRequest, *, quick: bool = False
    ) -> Pending[tuple[Audience, FilterNotes]]:
        """``POST /audiences``: the audience is "building" for ``build_seconds``. With
        ``quick``, :class:`WouldWait` (before anything is saved) unless its plans are built and
        the database is free."""
        plan = built_plan(req.criteria) if quick else plan_for(req.criteria)
        stored = criteria_from_stored(req.stored)
        # the plan its pages will be read with (rebuilt from what is stored, as a read would)
        stored_plan = built_plan(stored) if quick else plan_for(stored)
        if plan is None or stored_plan is None:
            raise WouldWait
        now = self.clock()
        audience = Audience(
            id=str(uuid.uuid4()),
            name=req.name,
            request=req.stored,
            size=min(plan.population, self.config.max_audience_size),
            created_at=now,
            ready_at=now + self.config.build_seconds,
        )

        def save() -> None:
            try:
                self.store.add_audience(tenant, audience, wait=not quick)
            except Busy:
                raise WouldWait(busy=True) from None
            self._keep_plan(audience.id, stored_plan)

        return Pending((audience, _notes(req.ignored, req.criteria, plan)), save)

    def list_audiences(self, tenant: str, page: int, size: int) -> Page[Audience]:
        total, audiences = self.store.list_audiences(tenant, size, (page - 1) * size)
        return Page(audiences, total, page, size)

    def audience_records(
        self, tenant: str, audience_id: str, page: int, size: int, *, quick: bool = False
    ) -> Page[Any] | None:
        """A page of an audience's people, or ``None`` while it is still building. With
        ``quick``, :class:`WouldWait` unless it costs next to nothing (kept rows, a free
        database): the event loop tries that first."""
        try:
            audience = self.store.get_audience(tenant, audience_id, wait=not quick)
        except Busy:
            raise WouldWait(busy=True) from None
        if audience is None:
            raise not_found(f"audience {audience_id} not found")
        if self.clock() < audience.ready_at:
            return None
        start = (page - 1) * size
        stop = min(start + size, audience.size)
        plan = self._plan(audience, quick=quick)
        return Page(_records(plan, start, stop, quick=quick), audience.size, page, size)

    def _plan(self, audience: Audience, *, quick: bool = False) -> Plan:
        """The built plan of a stored audience, cached: a page costs the same whatever the size
        of its filter lists."""
        with self._plans_lock:
            plan = self._plans.get(audience.id)
            if plan is not None:
                self._plans.move_to_end(audience.id)
                return plan
        if quick and len(orjson.dumps(audience.request)) > QUICK_REQUEST_BYTES:
            raise WouldWait  # reading long filter lists again is work
        # plan_for also shares one plan between audiences with the same filters
        criteria = criteria_from_stored(audience.request)
        plan = built_plan(criteria) if quick else plan_for(criteria)
        if plan is None:
            raise WouldWait
        self._keep_plan(audience.id, plan)
        return plan

    def _keep_plan(self, audience_id: str, plan: Plan) -> None:
        with self._plans_lock:
            self._plans[audience_id] = plan
            self._plans.move_to_end(audience_id)
            while len(self._plans) > PLAN_CACHE_SIZE:
                self._plans.popitem(last=False)

    def delete_audience(self, tenant: str, audience_id: str) -> None:
        if not self.store.delete_audience(tenant, audience_id, self.clock()):
            raise not_found(f"audience {audience_id} not found")
        with self._plans_lock:
            self._plans.pop(audience_id, None)

    def prepare_custom_audience(self, tenant: str, topic: str, description: str) -> Pending[None]:
        """``POST /audiences/custom``: recorded, never listed, never built."""
        custom_id, now = str(uuid.uuid4()), self.clock()
        return Pending(
            None,
            lambda: self.store.add_custom_audience(tenant, custom_id, topic, description, now),
        )

    def preview(self, req: PreviewRequest) -> Preview:
        """``POST /audiences/preview``: the count, and the first rows of the same audience."""
        plan = plan_for(req.criteria)
        sample = plan.rows(0, min(max(req.limit, PREVIEW_COVERAGE_ROWS), plan.population))
        return Preview(
            plan.population,
            sample[: req.limit],
            field_coverage(sample),
            _notes(req.ignored, req.criteria, plan),
        )

    @staticmethod
    def attribute_values(attribute: str) -> list[Any]:
        if attribute == "segments":
            return [{"id": i, "name": n, "b2b": b} for i, n, b in _data.SEGMENTS]
        if attribute == "industries":
            return [name for name, _sic, _naics in _data.INDUSTRIES]
        if attribute == "departments":
            return list(_data.DEPARTMENTS)
        if attribute == "seniority":
            return list(_data.SENIORITY_LEVELS)
        if attribute == "sic":
            return sorted({sic for _name, sic, _naics in _data.INDUSTRIES})
        if attribute == "gender":
            return ["M", "F", "U"]
        raise not_found(
            f"unknown attribute {attribute!r} (use {', '.join(ATTRIBUTE_NAMES[:-1])} or "
            f"{ATTRIBUTE_NAMES[-1]})"
        )

    # segments --------------------------------------------------------------------------------

    def segment(self, segment_id: str, page: int, size: int) -> SegmentPage:
        """``GET /segments/{id}``: any id is a deterministic Studio segment (shared by all keys)."""
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
        total = min(
            plan.population,
            SEGMENT_MIN_SIZE + (h >> 24) % SEGMENT_SIZE_SPREAD,
            self.config.max_audience_size,
        )
        start = (page - 1) * size
        records = _records(plan, start, min(start + size, total))
        return SegmentPage(segment_id, name, Page(records, total, page, size))

    # enrichment ------------------------------------------------------------------------------

    def enrich(self, req: EnrichRequest) -> list[dict[str, str]]:
        """``POST /enrich``: zero or one profile, deterministic."""
        return enrich_contact(req.match, req.fields, is_or=req.is_or_match)

    def prepare_job(self, tenant: str, req: JobRequest) -> Pending[Job]:
        """``POST /enrichments``: queued, then processing, then its outcome (from timestamps).

        The outcome is decided now and stored: ``NO_DATA`` when none of the records can match
        anyone, else ``FAILED`` for a share ``job_fail_rate`` of jobs (drawn in creation order
        from the seed), else ``COMPLETED``.
        """
        now = self.clock()
        seconds = self.config.job_seconds
        with self._jobs_lock:
            fails = self._job_draws.random() < self.config.job_fail_rate
        if not any_record_matches(req.records, req.columns, req.operator):
            outcome = "NO_DATA"
        else:
            outcome = "FAILED" if fails else "COMPLETED"
        job = Job(
            id=str(uuid.uuid4()),
            tenant=tenant,
            name=req.name,
            operator=req.operator,
            columns=req.columns,
            total=len(req.records),
            created_at=now,
            started_at=now + seconds * JOB_QUEUED_SHARE,
            ready_at=now + seconds,
            outcome=outcome,
        )
        return Pending(job, lambda: self.store.add_job(job, req.records))

    def job_status(self, job: Job) -> str:
        now = self.clock()
        if now < job.started_at:
            return "IN_QUEUE"
        if now < job.ready_at:
            return "PROCESSING"
        return job.outcome

    def list_jobs(self, tenant: str, page: int, size: int) -> Page[JobView]:
        total, jobs = self.store.list_jobs(tenant, size, (page - 1) * size)
        views = []
        for job in jobs:
            status = self.job_status(job)
            url = self.result_url(job) if status == "COMPLETED" else None
            views.append(JobView(job, status, url))
        return Page(views, total, page, size)

    def result_url(self, job: Job) -> str:
        """A fresh ``csv_url`` for a job's result file: signed for the job's tenant, and valid
        for :data:`RESULT_URL_SECONDS` from now."""
        expires = int(self.clock()) + RESULT_URL_SECONDS
        token = f"{expires}.{self._signature(job.tenant, job.id, expires)}"
        return f"{self.config.base_url}/_sandbox/files/enrichments/{job.id}.csv?token={token}"

    def _signature(self, tenant: str, job_id: str, expires: int) -> str:
        message = f"{tenant}\x00{job_id}\x00{expires}".encode()
        return hmac.new(self.store.secret.encode(), message, hashlib.sha256).hexdigest()[:32]

    def job_file(self, job_id: str, token: str) -> Iterator[str]:
        """The result CSV of a completed job, for the holder of its ``csv_url`` (no API key)."""
        job = self.store.get_job(job_id)
        expires_text, _, signature = token.partition(".")
        if (
            job is None
            or not re.fullmatch(r"[0-9]{1,12}", expires_text)
            or not hmac.compare_digest(
                signature.encode(), self._signature(job.tenant, job.id, int(expires_text)).encode()
            )
        ):
            raise not_found("no such file")
        if self.clock() > int(expires_text):
            raise ApiError(
                403,
                "URL_EXPIRED",
                f"this csv_url expired at {iso_time(int(expires_text))} (result URLs work for "
                f"{RESULT_URL_SECONDS // 60} minutes); GET /enrichments hands out a fresh one",
            )
        status = self.job_status(job)
        if status != "COMPLETED":
            done = status in ("NO_DATA", "FAILED")
            raise not_found(
                f"the job ended {status}: it has no result file"
                if done
                else "the job has not completed yet"
            )
        records = self.store.job_records(job_id)
        return csv_chunks(records, job.columns, job.operator)

    # pixels ----------------------------------------------------------------------------------

    def prepare_pixel(self, tenant: str, req: PixelRequest) -> Pending[Pixel]:
        """``POST /pixels``."""
        pixel = Pixel(
            str(uuid.uuid4()), req.website_name, req.website_url, req.webhook_url, req.version,
            self.clock(),
        )  # fmt: skip
        return Pending(pixel, lambda: self.store.add_pixel(tenant, pixel))

    def list_pixels(self, tenant: str, page: int, size: int) -> Page[Pixel]:
        total, pixels = self.store.list_pixels(tenant, size, (page - 1) * size)
        return Page(pixels, total, page, size)

    def _pixel(self, tenant: str, pixel_id: str) -> Pixel:
        pixel = self.store.get_pixel(tenant, pixel_id)
        if pixel is None:
            raise not_found(f"pixel {pixel_id} not found")
        return pixel

    def pixel_events(
        self, tenant: str, pixel_id: str, page: int, size: int, event_type: str | None
    ) -> Page[dict[str, Any]]:
        """``GET /pixels/{id}``: the v3 backlog, optionally of one event type."""
        pixel = self._pixel(tenant, pixel_id)
        indices = event_indices(pixel.id, event_type)
        chosen = indices[(page - 1) * size : page * size]
        events = [v3_event(pixel.id, pixel.website_url, pixel.created_at, i) for i in chosen]
        return Page(events, len(indices), page, size)

    def pixel_events_v4(
        self, tenant: str, pixel_id: str, page: int, size: int
    ) -> Page[dict[str, Any]]:
        """``GET /pixels/{id}/v4``."""
        pixel = self._pixel(tenant, pixel_id)
        total = event_count(pixel.id, "v4")
        chosen = range((page - 1) * size, min(page * size, total))
        events = [v4_event(pixel.id, pixel.website_url, pixel.created_at, i) for i in chosen]
        return Page(events, total, page, size)

    def delete_pixel(self, tenant: str, pixel_id: str) -> None:
        if not self.store.delete_pixel(tenant, pixel_id, self.clock()):
            raise not_found(f"pixel {pixel_id} not found")

    def install_url(self, pixel: Pixel) -> str:
        """Where a pixel's (inert) script is served: the sandbox's own public address."""
        return f"{self.config.base_url}/_sandbox/pixels/{pixel.id}/p.js"

    def installed_pixel(self, pixel_id: str) -> Pixel:
        """The pixel behind an ``install_url`` (a public script: any tenant's pixel)."""
        pixel = self.store.get_pixel_any_tenant(pixel_id)
        if pixel is None:
            raise not_found("no such pixel")
        return pixel
