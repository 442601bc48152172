"""The probes of ``doctor``: what each asks (an ``Operation`` answered with the raw response) and
how its answer is judged (:mod:`audiencelab._doctor_checks`). Pure: the shell sends them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audiencelab import _operations as ops
from audiencelab._doctor_checks import (
    AUDIENCE,
    JOB,
    PIXEL,
    Finding,
    ItemSpec,
    Shape,
    check_attribute_list,
    check_error_body,
    check_list,
    check_preview,
    check_records,
)
from audiencelab._sansio import Operation, Response

__all__ = [
    "PROBE_PAGE_SIZE",
    "UNKNOWN_AUDIENCE_ID",
    "Observed",
    "Probe",
    "first_probes",
    "records_probe",
]

#: One item per page is enough to see the envelope and the fields.
PROBE_PAGE_SIZE = 1
#: An ID no audience has: its answer shows the API's error style, and nothing is touched.
UNKNOWN_AUDIENCE_ID = "00000000-0000-4000-8000-000000000000"
#: A preview that counts (``limit`` 0: no sample rows, so no people are sent at all).
PREVIEW_FILTERS = {"state": ["NY"]}


@dataclass(frozen=True)
class Observed:
    """What came back to one probe: a status, headers and the parsed body, or a failure."""

    status: int | None
    headers: Mapping[str, str]
    body: Any
    elapsed_ms: float
    failure: str | None = None

    @classmethod
    def of_response(cls, response: Response, elapsed_ms: float) -> Observed:
        return cls(response.status_code, response.headers, _parsed(response.content), elapsed_ms)


def _parsed(content: bytes) -> Any:
    text = content.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return text


Judge = Callable[[Observed, Shape], tuple[list[Finding], list[str]]]


@dataclass(frozen=True)
class Probe:
    """One read of the API: what it asks, which endpoint it is, and how its answer is judged."""

    name: str
    purpose: str
    endpoint: str  # "GET /audiences/{audience_id}": what the sandbox's profile names
    operation: Operation[Response] = field(repr=False)
    judge: Judge = field(repr=False)
    #: the answer that is expected to be an error (the unknown audience)
    expects_error: bool = False
    #: the target as the report shows it (an audience's ID is not shown)
    shown_target: str | None = None

    @property
    def target(self) -> str:
        return self.shown_target or self.operation.target


def _raw(op: Operation[Any]) -> Operation[Response]:
    """The same request, answered with the response itself."""
    return dataclasses.replace(op, parse=lambda response: response)


def _list_judge(spec: ItemSpec) -> Judge:
    def judge(observed: Observed, shape: Shape) -> tuple[list[Finding], list[str]]:
        return check_list(observed.body, spec, shape)[0], []

    return judge


def _attribute_judge(name: str) -> Judge:
    return lambda observed, shape: (check_attribute_list(name, observed.body, shape), [])


def _records_judge(observed: Observed, shape: Shape) -> tuple[list[Finding], list[str]]:
    return check_records(observed.body, shape)


def _preview_judge(observed: Observed, shape: Shape) -> tuple[list[Finding], list[str]]:
    return check_preview(observed.body, shape), []


def _error_judge(observed: Observed, shape: Shape) -> tuple[list[Finding], list[str]]:
    if observed.status == 404:
        return check_error_body(observed.body, shape), []
    if observed.status is not None and 200 <= observed.status < 300:
        findings, notes = check_records(observed.body, shape)
        what = f"an audience that does not exist answers {observed.status}, not 404"
        how = "records() cannot tell a wrong ID from an audience still building: check IDs "
        how += "with audiences.list()"
        return [Finding(what, False, how, "unknown_id"), *findings], notes
    what = f"an audience that does not exist answers {observed.status}, not 404"
    how = "it raises another APIStatusError than NotFoundError (catch APIStatusError)"
    return [Finding(what, False, how, "unknown_id"), *check_error_body(observed.body, shape)], []


def _probe(name: str, purpose: str, endpoint: str, op: Operation[Any], judge: Judge) -> Probe:
    return Probe(name, purpose, endpoint, _raw(op), judge)


def first_probes(with_preview: bool) -> list[Probe]:
    """Every probe but the records of an audience (which needs an ID from the first)."""
    page = (1, PROBE_PAGE_SIZE)
    probes = [
        _probe(
            "audiences.list", "list audiences", "GET /audiences", ops.list_audiences(*page),
            _list_judge(AUDIENCE),
        ),
        Probe(
            "errors", "read an audience that does not exist (the error style)",
            "GET /audiences/{audience_id}",
            _raw(ops.audience_records(UNKNOWN_AUDIENCE_ID, *page)), _error_judge,
            expects_error=True,
        ),
        *(
            _probe(
                f"attributes.{name}", f"the {name} attribute list",
                "GET /audiences/attributes/{attribute}", ops.audience_attributes(name),
                _attribute_judge(name),
            )
            for name in ops.ATTRIBUTE_NAMES
        ),
        _probe("pixels.list", "list pixels", "GET /pixels", ops.list_pixels(*page), _list_judge(PIXEL)),
        _probe(
            "enrichment.jobs", "list enrichment jobs", "GET /enrichments",
            ops.list_enrichment_jobs(*page), _list_judge(JOB),
        ),
    ]  # fmt: skip
    if with_preview:
        preview = ops.preview_audience(PREVIEW_FILTERS, limit=0, value_checks="off")
        probes.append(
            _probe(
                "audiences.preview", "count a preview (may cost credits)",
                "POST /audiences/preview", preview, _preview_judge,
            )
        )  # fmt: skip
    return probes


def records_probe(audience_id: str) -> Probe:
    op = ops.audience_records(audience_id, 1, PROBE_PAGE_SIZE)
    return Probe(
        "audiences.records",
        "read one page of an audience",
        "GET /audiences/{audience_id}",
        _raw(op),
        _records_judge,
        shown_target=op.target.replace(op.path, "/audiences/{audience_id}", 1),
    )
