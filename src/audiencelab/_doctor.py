"""``doctor``: what a key can do, and where the API differs from what this SDK assumes. Pure.

Safe, read-only probes (GETs; a preview, which may cost credits, only when asked), each an
:class:`~audiencelab._sansio.Operation` whose ``parse`` returns the raw response
(:mod:`audiencelab._doctor_probes`). :class:`DoctorSession` says which probe comes next (the
records of an audience need an ID from the list) and judges each answer with
:mod:`audiencelab._doctor_checks`; the I/O shell
(``_async/doctor.py``, generated ``_sync/doctor.py``) only sends and times. The result is a
:class:`DoctorReport`: a table for people, JSON for scripts, an exit code for CI, and a profile
that makes the sandbox answer as this API did. It holds no key and no record values.
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from audiencelab._config import Secret
from audiencelab._doctor_checks import (
    REPORT_IT,
    Shape,
    check_error_body,
    check_headers,
    interesting_headers,
    permission_of,
)
from audiencelab._doctor_probes import Observed, Probe, first_probes, records_probe
from audiencelab._exceptions import InputProblem, InputValidationError
from audiencelab._validate import check_bool
from audiencelab._version import __version__

__all__ = [
    "EXIT_DIFFERS",
    "EXIT_OK",
    "EXIT_REFUSED",
    "REPORT_FORMAT",
    "Difference",
    "DoctorReport",
    "DoctorSession",
    "ProbeResult",
    "mask_key",
]

EXIT_OK, EXIT_DIFFERS, EXIT_REFUSED = 0, 1, 3
REPORT_FORMAT = 1

Verdict = Literal[
    "as assumed", "differs", "unavailable", "skipped", "refused", "unreachable", "failed"
]
_FINE: frozenset[str] = frozenset({"as assumed", "skipped"})


@dataclass(frozen=True)
class Difference:
    """A difference found by one probe; ``how``: how the SDK copes, or what would."""

    probe: str
    what: str
    tolerated: bool
    how: str
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ProbeResult:
    """One probe's request, the shape of its answer, and the verdict."""

    name: str
    purpose: str
    method: str
    target: str
    verdict: Verdict
    status: int | None = None
    elapsed_ms: float | None = None
    shape: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    differences: tuple[Difference, ...] = ()
    notes: tuple[str, ...] = ()
    endpoint: str = ""

    def as_dict(self) -> dict[str, Any]:
        answer = {"status": self.status, "elapsed_ms": self.elapsed_ms, **self.shape}
        if self.headers:
            answer["headers"] = self.headers
        if self.error:
            answer["error"] = self.error
        return {
            "name": self.name,
            "purpose": self.purpose,
            "request": {"method": self.method, "target": self.target},
            "answer": {k: v for k, v in answer.items() if v is not None},
            "verdict": self.verdict,
            "differences": [
                {k: v for k, v in d.as_dict().items() if k != "probe"} for d in self.differences
            ],
            "notes": list(self.notes),
        }


#: Key prefixes that say what kind of key it is, not part of its secret (reference §1).
_KEY_KINDS = ("sk_live_", "sk_test_", "sk_")


def mask_key(key: Secret) -> str:
    """``sk_live_… (40 characters)``: the kind of key, and none of its secret part."""
    value = key.reveal()
    kind = next((k for k in _KEY_KINDS if value.startswith(k)), "")
    return f"{kind}… ({len(value)} characters)"


def _public_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class DoctorReport:
    """What ``doctor`` found: one :class:`ProbeResult` per check, in order.

    ``exit_code`` is 0 when everything is as assumed, 1 when something differs (or is
    unavailable, or failed), 3 when the key was refused. ``to_json()`` is the report to attach to
    a bug report: it holds no key (``key`` is masked) and no record values, only field names and
    counts. ``sandbox_profile`` is what ``audiencelab sandbox serve --profile FILE`` reads.
    """

    base_url: str
    key: str
    created_at: str
    with_preview: bool
    probes: tuple[ProbeResult, ...]
    sandbox_profile: dict[str, Any]
    sdk_version: str = __version__

    @property
    def differences(self) -> list[Difference]:
        return [d for p in self.probes for d in p.differences]

    @property
    def refused(self) -> bool:
        sent = [p for p in self.probes if p.status is not None]
        return any(p.verdict == "refused" for p in self.probes) or (
            bool(sent) and all(p.status == 403 for p in sent)
        )

    @property
    def exit_code(self) -> int:
        if self.refused:
            return EXIT_REFUSED
        return EXIT_OK if all(p.verdict in _FINE for p in self.probes) else EXIT_DIFFERS

    @property
    def summary(self) -> str:
        counts: dict[str, int] = {}
        for probe in self.probes:
            counts[probe.verdict] = counts.get(probe.verdict, 0) + 1
        parts = ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
        if self.refused:
            return f"The key was refused ({parts})."
        if any(p.name == "reach" and p.verdict == "unreachable" for p in self.probes):
            return f"The API could not be reached ({parts})."
        if self.exit_code == EXIT_OK:
            return f"Everything as assumed ({parts})."
        tolerated = sum(d.tolerated for d in self.differences)
        return (
            f"{len(self.differences)} difference(s), {tolerated} tolerated by this SDK ({parts})."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": "audiencelab doctor",
            "format": REPORT_FORMAT,
            "sdk_version": self.sdk_version,
            "created_at": self.created_at,
            "base_url": self.base_url,
            "key": self.key,
            "with_preview": self.with_preview,
            "exit_code": self.exit_code,
            "summary": self.summary,
            "probes": [p.as_dict() for p in self.probes],
            "differences": [d.as_dict() for d in self.differences],
            "sandbox_profile": self.sandbox_profile,
            "about": "No key and no record values: safe to attach to a bug report "
            "(docs/doctor.md).",
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"


class DoctorSession:
    """The probes of one ``doctor`` run as a small state machine: ask :meth:`next_probe`, send
    it, hand back what came back with :meth:`record`; then :meth:`report`."""

    def __init__(self, *, base_url: str, key: Secret, with_preview: bool, now: datetime) -> None:
        problems: list[InputProblem] = []
        check_bool(with_preview, problems, "with_preview")
        if problems:
            raise InputValidationError(problems)
        self.base_url = base_url
        self.with_preview = with_preview
        self.created_at = now.isoformat(timespec="seconds")
        self._key = key
        self._masked = mask_key(key)
        self._queue: deque[Probe] = deque(first_probes(with_preview))
        self._results: list[ProbeResult] = []
        self._headers: list[Mapping[str, str]] = []
        self._stopped: str | None = None
        self._first: Observed | None = None

    def next_probe(self) -> Probe | None:
        if self._stopped is not None or not self._queue:
            return None
        return self._queue.popleft()

    def record(self, probe: Probe, observed: Observed) -> None:
        """Judge ``observed``, the answer to ``probe``; queue what it makes possible."""
        if self._first is None:
            self._first = observed
        if observed.failure is None:
            self._headers.append({k.lower(): v for k, v in observed.headers.items()})
        result = self._judge(probe, observed)
        self._results.append(result)
        if result.verdict == "refused":
            self._stopped = "the key was refused"
        elif result.verdict == "unreachable" and len(self._results) == 1:
            self._stopped = "the API could not be reached"
        if probe.name == "audiences.list":
            audience_id = _first_id(observed)
            if audience_id is not None:
                self._queue.appendleft(records_probe(audience_id))
            elif self._stopped is not None:
                self._results.append(_skipped_records(self._stopped))
            elif observed.status == 200:
                self._results.append(_skipped_records("this key has no audience to read"))
            else:
                self._results.append(_skipped_records("the audiences could not be listed"))

    def _scrub(self, text: str) -> str:
        return text.replace(self._key.reveal(), self._masked)[:300]

    def _judge(self, probe: Probe, observed: Observed) -> ProbeResult:
        shape = Shape()
        base = ProbeResult(
            probe.name, probe.purpose, probe.operation.method, probe.target, "as assumed",
            observed.status, round(observed.elapsed_ms, 1), {},
            interesting_headers(observed.headers), endpoint=probe.endpoint,
        )  # fmt: skip
        if observed.failure is not None:
            return dataclasses.replace(
                base, verdict="unreachable", error=self._scrub(observed.failure)
            )
        status = observed.status or 0
        transient = status == 429 or status >= 500
        if probe.expects_error and status not in (401, 403) and not transient:
            pass  # the unknown audience: its 404 (or whatever else) is what is judged
        elif not 200 <= status < 300:
            return self._error_answer(base, probe, observed)
        findings, notes = probe.judge(observed, shape)
        differences = tuple(
            Difference(probe.name, f.what, f.tolerated, f.how, f.kind) for f in findings
        )
        return dataclasses.replace(
            base,
            verdict="differs" if differences else "as assumed",
            shape=shape.as_dict(),
            differences=differences,
            notes=tuple(notes),
        )

    def _error_answer(self, base: ProbeResult, probe: Probe, observed: Observed) -> ProbeResult:
        shape = Shape()
        check_error_body(observed.body, shape)
        message = self._scrub(_message_of(observed.body))
        base = dataclasses.replace(base, shape=shape.as_dict(), error=message)
        status = observed.status
        if status == 401:
            return dataclasses.replace(base, verdict="refused")
        if status in (403, 404):
            if status == 403:
                scope = permission_of(message)
                what = f"403 for {probe.endpoint}" + (f": the key lacks {scope}" if scope else "")
                how = f"a key with the {scope or 'needed'} permission can (dashboard: Settings > API Keys)"
            else:
                path = probe.target.partition("?")[0]
                what = f"404 for {probe.operation.method} {path}: no such endpoint for this key"
                how = f"calls of {probe.endpoint} raise NotFoundError; " + _UNAVAILABLE
            tolerated = probe.name.startswith("attributes.")
            if tolerated:
                how = (
                    "creates and previews skip the live check of these values (the bundled "
                    "vocabularies still apply); client.audiences.attributes() raises"
                )
            diff = Difference(probe.name, what, tolerated, how, "unavailable")
            return dataclasses.replace(base, verdict="unavailable", differences=(diff,))
        what = f"answered {status}" + (f": {message}" if message else "")
        if status == 429 or (status or 0) >= 500:
            diff = Difference(probe.name, what, False, _FAILED, "failed")
            return dataclasses.replace(base, verdict="failed", differences=(diff,))
        diff = Difference(probe.name, what, False, REPORT_IT, "refused_request")
        return dataclasses.replace(base, verdict="differs", differences=(diff,))

    def report(self) -> DoctorReport:
        results = [*self._connection(), *self._results]
        for probe in self._queue:
            results.append(
                ProbeResult(
                    probe.name, probe.purpose, probe.operation.method, probe.target, "skipped",
                    notes=(f"not sent: {self._stopped}",), endpoint=probe.endpoint,
                )
            )  # fmt: skip
        if not self.with_preview:
            results.append(
                ProbeResult(
                    "audiences.preview", "count a preview (may cost credits)", "POST",
                    "/audiences/preview", "skipped",
                    notes=("not sent: a preview may cost credits (ask: with_preview=True, --with-preview)",),
                    endpoint="POST /audiences/preview",
                )
            )  # fmt: skip
        if self._headers:
            results.append(self._header_result())
        return DoctorReport(
            _public_url(self.base_url),
            self._masked,
            self.created_at,
            self.with_preview,
            tuple(results),
            sandbox_profile(results),
        )

    def _connection(self) -> list[ProbeResult]:
        first = self._first
        if first is None:
            return []
        url = _public_url(self.base_url)
        tls = urlsplit(url).scheme == "https"
        reach = ProbeResult(
            "reach", f"reach {url}", "GET", "/audiences (the first request)", "as assumed",
            first.status, round(first.elapsed_ms, 1),
            notes=(("TLS (https): the certificate was verified" if tls else "plain http: no TLS"),),
        )  # fmt: skip
        if first.failure is not None:
            reach = dataclasses.replace(
                reach, verdict="unreachable", error=self._scrub(first.failure)
            )
            return [reach]
        refused = first.status == 401
        auth = ProbeResult(
            "authenticate", "the X-Api-Key is accepted", "GET", "/audiences (the first request)",
            "refused" if refused else "as assumed", first.status,
            notes=(("the key was refused (401)" if refused else "the key was accepted"),),
        )  # fmt: skip
        return [reach, auth]

    def _header_result(self) -> ProbeResult:
        findings, notes = check_headers(self._headers)
        differences = tuple(
            Difference("headers", f.what, f.tolerated, f.how, f.kind) for f in findings
        )
        return ProbeResult(
            "headers", "request IDs and rate limits", "", "(every answer above)",
            "differs" if differences else "as assumed",
            differences=differences, notes=tuple(notes),
        )  # fmt: skip


_UNAVAILABLE = "attach this report to a bug report if your key should reach it (docs/doctor.md)"
_FAILED = "the SDK retried what was safe to retry; run doctor again, or attach this report"


def _skipped_records(reason: str) -> ProbeResult:
    return ProbeResult(
        "audiences.records", "read one page of an audience", "GET",
        "/audiences/{audience_id}?page=1&page_size=1", "skipped",
        notes=(f"not sent: {reason}",), endpoint="GET /audiences/{audience_id}",
    )  # fmt: skip


def _first_id(observed: Observed) -> str | None:
    body = observed.body
    if observed.status != 200 or not isinstance(body, dict):
        return None
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict):
        value = data[0].get("id")
        return value if isinstance(value, str) and value else None
    return None


def _message_of(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        for value in (error.get("message") if isinstance(error, dict) else error,
                      body.get("message"), body.get("detail")):  # fmt: skip
            if isinstance(value, str) and value:
                return value
        return ""
    return body.strip() if isinstance(body, str) else ""


_MIMICKED_STYLES = ("object", "string", "message")


def sandbox_profile(results: list[ProbeResult]) -> dict[str, Any]:
    """What ``audiencelab sandbox serve --profile`` reads: the differences it can mimic."""
    profile: dict[str, Any] = {"version": 1}
    notes: list[str] = []
    totals = [r.shape["total_key"] for r in results if "total_key" in r.shape]
    if totals:
        profile["list_total_key"] = "total" if "total" in totals else "total_records"
    styles = [
        r.shape["error_style"] for r in results if r.name == "errors" and "error_style" in r.shape
    ]
    styles += [r.shape["error_style"] for r in results if "error_style" in r.shape]
    if styles:
        if styles[0] in _MIMICKED_STYLES:
            profile["error_style"] = styles[0]
        else:
            notes.append(f"error style {styles[0]!r}: the sandbox answers in the object style")
    attributes = [r for r in results if r.name.startswith("attributes.")]
    if attributes and all(r.verdict != "skipped" for r in attributes):
        profile["attribute_lists"] = [
            r.name.partition(".")[2] for r in attributes if r.verdict != "unavailable"
        ]
    for status, key in ((404, "missing_endpoints"), (403, "forbidden_endpoints")):
        endpoints = [
            r.endpoint
            for r in results
            if r.verdict == "unavailable" and r.status == status
            and not r.name.startswith("attributes.") and (r.name != "errors" or status == 403)
        ]  # fmt: skip
        if endpoints:
            profile[key] = list(dict.fromkeys(endpoints))
    notes += [
        f"{r.name} answered 403: the sandbox answers 404 for it"
        for r in attributes
        if r.status == 403
    ]
    notes += [
        f"{d.probe}: {d.what}"
        for r in results
        for d in r.differences
        if d.kind not in ("list_total_key", "error_style", "unavailable")
    ]
    if notes:
        profile["notes"] = notes
    return profile
