"""How one answer of the API compares with what this SDK assumes: pure functions over a status,
headers and a parsed body, for ``doctor`` (:mod:`audiencelab._doctor`).

Each check returns :class:`Finding` s: a difference from the reference, whether this SDK already
copes with it (``tolerated``) and how, or else what would. The answer's *shape* (keys, field
names, counts) is kept for the report; its values never are: record cells, names, URLs and
tokens stay out of it, so that a report can be attached to a bug report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from audiencelab._answers import REQUEST_ID_HEADERS
from audiencelab._columns import RECORD_COLUMNS
from audiencelab._models import APIModel, Audience, EnrichmentJob, Page, Pixel, SegmentOption
from audiencelab._version import __version__

__all__ = [
    "KNOWN_COLUMNS",
    "REPORT_IT",
    "Finding",
    "ItemSpec",
    "Shape",
    "check_attribute_list",
    "check_error_body",
    "check_headers",
    "check_list",
    "check_preview",
    "check_records",
    "error_style",
    "permission_of",
]

#: What a difference no setting copes with asks of the user.
REPORT_IT = (
    f"no setting of audiencelab {__version__} copes with this: attach this report to a bug "
    "report (see docs/doctor.md)"
)

ErrorStyle = Literal["object", "string", "message", "detail", "text", "empty", "other"]
#: error bodies ``_answers.error_details`` reads a message from (the first is the baseline: the
#: sandbox's default; reference §1 lists the first three, no official schema was seen)
READABLE_ERROR_STYLES: tuple[ErrorStyle, ...] = ("object", "string", "message", "detail", "text")
_STYLE_SHAPES = {
    "object": '{"error": {"code", "message"}}',
    "string": '{"error": "..."}',
    "message": '{"message": "..."}',
    "detail": '{"detail": "..."}',
    "text": "plain text",
    "empty": "an empty body",
    "other": "JSON without error, message or detail",
}

#: Record columns the reference knows (§8): the 74 of the CSV header and those seen in live
#: payloads besides.
KNOWN_COLUMNS: frozenset[str] = frozenset(RECORD_COLUMNS) | {
    "AGE", "STATE", "ZIP", "PERSONAL_EMAIL",
    "PERSONAL_EMAIL_VALIDATION_STATUS", "BUSINESS_EMAIL_VALIDATION_STATUS",
    "PERSONAL_EMAIL_LAST_SEEN_BY_ESP_DATE", "BUSINESS_EMAIL_LAST_SEEN_BY_ESP_DATE",
    "ALL_MOBILES", "ALL_LANDLINES", "MOBILE_DNC", "LANDLINE_DNC",
    "INDIVIDUAL_LINKEDIN_URL", "INDIVIDUAL_TWITTER_URL", "INDIVIDUAL_FACEBOOK_URL",
    "SKIPTRACE_MATCH_BY", "SKIPTRACE_B2B_WIRELESS", "SKIPTRACE_B2B_LANDLINE",
}  # fmt: skip

#: Keys of a list envelope the SDK reads (``Page``), and the total's other spelling (§10).
ENVELOPE_KEYS: frozenset[str] = frozenset(Page.model_fields) | {"total"}
ENVELOPE_EXPECTED = ("total_records", "page_size", "page", "total_pages")
JOB_STATUSES = ("IN_QUEUE", "PROCESSING", "COMPLETED", "FAILED", "NO_DATA")
PREVIEW_KEYS = ("job_id", "count", "result", "field_coverage")
_RATE_LIMIT = re.compile(r"^(x-)?rate-?limit|^retry-after$", re.IGNORECASE)
_REQUEST_ID_LIKE = re.compile(r"request-?id|trace|correlation", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """A difference from the reference: ``what`` it is, whether the SDK copes, and ``how``."""

    what: str
    tolerated: bool
    how: str
    #: for a machine: "list_total_key", "error_style", "new_fields", "unavailable"...
    kind: str


@dataclass
class Shape:
    """An answer with its values left out: keys, field names and counts."""

    keys: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    items: int | None = None
    total_key: str | None = None
    error_style: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v not in (None, [])}


@dataclass(frozen=True)
class ItemSpec:
    """The items of a list as the SDK's model reads them: fields it needs, and fields it knows."""

    what: str
    required: tuple[str, ...]
    known: frozenset[str]

    @classmethod
    def of(cls, what: str, model: type[APIModel], *also_known: str) -> ItemSpec:
        fields = model.model_fields
        required = tuple(n for n, f in fields.items() if f.is_required())
        return cls(what, required, frozenset(fields) | set(also_known))


AUDIENCE = ItemSpec.of("audience", Audience)
#: §6.2: two generations of sync fields; §6.1: ``version`` and ``created_at`` on a pixel
PIXEL = ItemSpec.of(
    "pixel", Pixel, "last_sync", "last_sync_status", "last_sync_count", "last_sync_start",
    "last_sync_end", "last_sync_duration", "last_error_message", "version", "created_at",
)  # fmt: skip
JOB = ItemSpec.of("enrichment job", EnrichmentJob)
SEGMENT = ItemSpec.of("segment", SegmentOption)


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _new_fields(where: str, names: Sequence[str]) -> Finding:
    return Finding(
        f"new field{'s' if len(names) > 1 else ''} in {where}: {_names(names)}",
        True,
        "kept as extra fields of the response models (model_extra)",
        "new_fields",
    )


def check_envelope(body: dict[str, Any], items_key: str, shape: Shape) -> list[Finding]:
    """A list envelope (§1): ``{total_records, page_size, page, total_pages, data}``."""
    findings: list[Finding] = []
    shape.keys = list(body)
    if "total_records" in body:
        shape.total_key = "total_records"
    elif "total" in body:
        shape.total_key = "total"
        findings.append(
            Finding(
                "`total` instead of `total_records`",
                True,
                "Page reads either (page.total_records)",
                "list_total_key",
            )
        )
    missing = [k for k in ENVELOPE_EXPECTED if k not in body and k != "total_records"]
    if shape.total_key is None:
        missing.insert(0, "total_records")
    if missing:
        findings.append(
            Finding(
                f"no {_names(missing)} in the envelope",
                True,
                "paging stops at an empty page or at has_more: false; unknown totals are None",
                "missing_fields",
            )
        )
    new = [k for k in body if k not in ENVELOPE_KEYS and k != items_key]
    if new:
        findings.append(_new_fields("the envelope", new))
    return findings


def check_items(items: list[Any], spec: ItemSpec, shape: Shape) -> list[Finding]:
    """The first item of a page against the SDK's model of it (the others are like it)."""
    shape.items = len(items)
    if not items:
        return []
    first = items[0]
    if not isinstance(first, dict):
        return [
            Finding(
                f"{spec.what} items are {type(first).__name__}, not objects",
                False,
                REPORT_IT,
                "shape",
            )
        ]
    shape.fields = list(first)
    findings: list[Finding] = []
    lacking = [n for n in spec.required if n not in first]
    if lacking:
        findings.append(
            Finding(f"{spec.what} items lack {_names(lacking)}", False, REPORT_IT, "missing_fields")
        )
    new = [n for n in first if n not in spec.known]
    if new:
        findings.append(_new_fields(f"each {spec.what}", new))
    return findings


def check_list(
    body: Any, spec: ItemSpec, shape: Shape, items_key: str = "data"
) -> tuple[list[Finding], list[Any]]:
    """A page of a list endpoint; also returns its items (for the next probe's ID)."""
    if not isinstance(body, dict):
        what = f"the answer is {type(body).__name__}, not a JSON object"
        return [Finding(what, False, REPORT_IT, "shape")], []
    findings = check_envelope(body, items_key, shape)
    items = body.get(items_key)
    if not isinstance(items, list):
        what = f"no `{items_key}` list in the envelope"
        return [*findings, Finding(what, False, REPORT_IT, "shape")], []
    findings += check_items(items, spec, shape)
    if spec is JOB and items and isinstance(items[0], dict):
        status = items[0].get("status")
        if isinstance(status, str) and status.upper() not in JOB_STATUSES:
            findings.append(
                Finding(
                    f"an enrichment job status the reference does not list: {status[:40]!r}",
                    False,
                    "enrichment.wait() waits for COMPLETED, FAILED or NO_DATA and would not "
                    f"stop on it; {REPORT_IT}",
                    "job_status",
                )
            )
    return findings, items


def _columns(rows: list[Any], shape: Shape, where: str) -> list[Finding]:
    shape.items = len(rows)
    if not rows or not isinstance(rows[0], dict):
        return []
    columns = list(rows[0])
    shape.fields = columns
    new = [c for c in columns if c not in KNOWN_COLUMNS]
    findings: list[Finding] = []
    if new:
        findings.append(
            Finding(
                f"column{'s' if len(new) > 1 else ''} the reference does not list in {where}: "
                f"{_names(new)}",
                True,
                "rows are kept whole; exports add them to their header",
                "new_fields",
            )
        )
    lacking = [c for c in RECORD_COLUMNS if c not in rows[0]]
    if lacking:
        shown = _names(lacking[:8]) + (f" and {len(lacking) - 8} more" if len(lacking) > 8 else "")
        findings.append(
            Finding(
                f"{len(lacking)} of the reference's {len(RECORD_COLUMNS)} columns missing in "
                f"{where}: {shown}",
                True,
                "exports write the columns the rows have",
                "missing_fields",
            )
        )
    return findings


def check_records(body: Any, shape: Shape) -> tuple[list[Finding], list[str]]:
    """A page of ``GET /audiences/{id}``: an envelope of rows, or ``{"status": "no data"}``."""
    notes: list[str] = []
    if isinstance(body, dict) and "data" not in body and "status" in body:
        shape.keys = list(body)
        status = body["status"]
        shown = repr(status[:40]) if isinstance(status, str) else type(status).__name__
        notes.append(
            f"status {shown}: the audience is still building, or empty, so there are no columns "
            "to compare (records() raises AudienceNotReadyError; wait_until_ready() waits)"
        )
        return [], notes
    if not isinstance(body, dict):
        what = f"the answer is {type(body).__name__}, not a JSON object"
        return [Finding(what, False, REPORT_IT, "shape")], notes
    findings = check_envelope(body, "data", shape)
    rows = body.get("data")
    if not isinstance(rows, list):
        return [*findings, Finding("no `data` list of rows", False, REPORT_IT, "shape")], notes
    findings += _columns(rows, shape, "a record")
    if not rows:
        notes.append("the page has no rows, so there are no columns to compare")
    return findings, notes


def check_attribute_list(name: str, body: Any, shape: Shape) -> list[Finding]:
    """``{"attributes": {name: {"count": N, "data": [...]}}}`` (§3.7)."""
    block = body.get("attributes") if isinstance(body, dict) else None
    inner = block.get(name) if isinstance(block, dict) else None
    shape.keys = list(body) if isinstance(body, dict) else []
    unreadable = (
        "client.audiences.attributes() cannot read it; creates and previews skip the live check "
        "of these values (value_checks='off' skips fetching them)"
    )
    if not isinstance(inner, dict) or not isinstance(inner.get("data"), list):
        what = f'not {{"attributes": {{"{name}": {{"count", "data"}}}}}}'
        return [Finding(what, False, unreadable, "shape")]
    values: list[Any] = inner["data"]
    shape.items = len(values)
    findings: list[Finding] = []
    if not isinstance(inner.get("count"), int):
        findings.append(
            Finding("no `count`", True, "the count is taken as len(data)", "missing_fields")
        )
    if name == "segments":
        findings += check_items(values, SEGMENT, shape)
        shape.items = len(values)
    elif values and not all(isinstance(v, (str, int, float)) for v in values):
        kinds = sorted({type(v).__name__ for v in values})
        what = f"values are {', '.join(kinds)}, not strings"
        findings.append(Finding(what, False, unreadable, "shape"))
    return findings


def check_preview(body: Any, shape: Shape) -> list[Finding]:
    """``{job_id, count, result, field_coverage}`` (§3.6)."""
    if not isinstance(body, dict):
        what = f"the answer is {type(body).__name__}, not a JSON object"
        return [Finding(what, False, REPORT_IT, "shape")]
    shape.keys = list(body)
    findings: list[Finding] = []
    if not isinstance(body.get("count"), int):
        findings.append(
            Finding(
                "no `count`",
                False,
                "audiences.create(min_count=...) refuses to create without a count: create "
                "without min_count",
                "missing_fields",
            )
        )
    if "result" not in body:
        also = " (`sample` is there)" if "sample" in body else ""
        findings.append(
            Finding(
                f"no `result`{also}", False, f"preview rows read as empty; {REPORT_IT}", "shape"
            )
        )
    elif isinstance(body["result"], list):
        findings += _columns(body["result"], shape, "a preview row")
    new = [k for k in body if k not in PREVIEW_KEYS]
    if new:
        findings.append(_new_fields("the preview", new))
    return findings


def error_style(body: Any) -> ErrorStyle:
    """Which shape an error body has (``_answers.error_details`` reads the first five)."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return "object"
        if isinstance(error, str):
            return "string"
        if "message" in body:
            return "message"
        if "detail" in body:
            return "detail"
        return "other"
    if isinstance(body, str) and body.strip():
        return "text"
    return "empty"


def check_error_body(body: Any, shape: Shape) -> list[Finding]:
    """An error body against the baseline ``{"error": {"code", "message"}}``."""
    style = error_style(body)
    shape.error_style = style
    shape.keys = list(body) if isinstance(body, dict) else []
    if style == "object":
        return []
    what = f"error bodies are {_STYLE_SHAPES[style]} ({style} style), not {_STYLE_SHAPES['object']}"
    if style in READABLE_ERROR_STYLES:
        return [Finding(what, True, "error messages are read from every style seen", "error_style")]
    return [
        Finding(
            what,
            False,
            "errors say only the HTTP reason (the body is kept as error.body); " + REPORT_IT,
            "error_style",
        )
    ]


_PERMISSION = (
    re.compile(r"\b([A-Z][A-Z_]+) needed\b"),  # "Missing required permissions (WRITE needed ...)"
    re.compile(r"\bscopes?\W+([\w:.-]+)", re.IGNORECASE),
    re.compile(r"\bpermissions?\W+([\w:.-]+)", re.IGNORECASE),
)


def permission_of(message: str) -> str | None:
    """The scope or permission a 403 names, if it names one."""
    for pattern in _PERMISSION:
        match = pattern.search(message)
        if match and match.group(1).lower() not in ("required", "needed", "denied", "to"):
            return match.group(1)
    return None


def interesting_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers a report keeps: request IDs and rate limits (no cookies, no others)."""
    return {
        name.lower(): value[:100]
        for name, value in headers.items()
        if _RATE_LIMIT.search(name) or _REQUEST_ID_LIKE.search(name)
    }


def check_headers(seen: Sequence[Mapping[str, str]]) -> tuple[list[Finding], list[str]]:
    """Request IDs and rate-limit headers across every answer."""
    names = {n for headers in seen for n in headers}
    known = [n for n in REQUEST_ID_HEADERS if n in names]
    other_ids = sorted(n for n in names if _REQUEST_ID_LIKE.search(n) and n not in known)
    limits = sorted(n for n in names if _RATE_LIMIT.search(n))
    findings: list[Finding] = []
    notes: list[str] = []
    if known:
        notes.append(f"request IDs in {_names(known)}: errors carry them (error.request_id)")
    elif other_ids:
        findings.append(
            Finding(
                f"a request ID in {_names(other_ids)}, which the SDK does not read (it reads "
                f"{_names(REQUEST_ID_HEADERS)})",
                False,
                "errors carry no request ID; " + REPORT_IT,
                "request_id_header",
            )
        )
    else:
        notes.append(
            "no request ID header (x-request-id is assumed but unverified): errors carry none"
        )
    if limits:
        notes.append(
            f"rate-limit headers {_names(limits)}: the SDK backs off on 429 and honours "
            "Retry-After; it does not read the others"
        )
    else:
        notes.append("no rate-limit headers (none are documented)")
    return findings, notes
