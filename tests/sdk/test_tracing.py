"""OpenTelemetry: one span per SDK operation, a child span per HTTP attempt, nothing secret.

The answers come from a raw loopback server (503 then 200...). Spans go to OpenTelemetry's
in-memory exporter, through a tracer provider set once for the process whose sampler records
only while a test holds the ``spans`` fixture (other tests then make no recorded spans).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanKind, StatusCode

from audiencelab import AsyncAudienceLab, AudienceLab, InternalServerError
from audiencelab._logging import EVENT_ATTRIBUTE, SPAN_ID_ATTRIBUTE, TRACE_ID_ATTRIBUTE
from tests.sdk.leaks import RawServer, http_answer

KEY = "sk_test_traced_5e81c0aa"
NAME, CITY = "Secret campaign 7", "Tallahassee"  # personal-ish data: never in a span


class _WhileTesting(Sampler):
    active = False

    def should_sample(
        self,
        parent: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> SamplingResult:
        decision = Decision.RECORD_AND_SAMPLE if self.active else Decision.DROP
        return SamplingResult(decision, attributes)  # the span's attributes come from here

    def get_description(self) -> str:
        return "records while a test holds the spans fixture"


_SAMPLER = _WhileTesting()
_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(sampler=_SAMPLER)
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    assert getattr(provider, "sampler", None) is _SAMPLER, "another provider was set first"
    _EXPORTER.clear()
    _SAMPLER.active = True
    try:
        yield _EXPORTER
    finally:
        _SAMPLER.active = False
        _EXPORTER.clear()


def scripted(*answers: bytes) -> Iterator[RawServer]:
    """Answers in turn (the last one repeats)."""
    count = [0]

    def answer(method: str, path: str) -> bytes:
        count[0] += 1
        return answers[min(count[0], len(answers)) - 1]

    yield from RawServer(answer).serve()


BUSY = http_answer(503, b"", {"Retry-After": "0", "x-request-id": "req-1"})
CREATED = http_answer(200, b'{"audienceId": "a-1"}', {"x-request-id": "req-2"})


@pytest.fixture
def busy_then_created() -> Iterator[RawServer]:
    yield from scripted(BUSY, CREATED)


def _values(span: ReadableSpan) -> list[str]:
    """Every attribute value of a span and of its events, as text."""
    found = [str(v) for v in (span.attributes or {}).values()]
    for event in span.events:
        found += [str(v) for v in (event.attributes or {}).values()]
    return [*found, span.name]


def _check_nothing_secret(all_spans: tuple[ReadableSpan, ...]) -> None:
    for span in all_spans:
        for value in _values(span):
            assert KEY not in value
            assert NAME not in value
            assert CITY not in value


def _one_operation(all_spans: tuple[ReadableSpan, ...]) -> tuple[ReadableSpan, list[ReadableSpan]]:
    (operation,) = [s for s in all_spans if s.name.startswith("audiencelab ")]
    attempts = [s for s in all_spans if s is not operation]
    assert all(s.parent is not None for s in attempts)
    assert all(s.parent.span_id == operation.context.span_id for s in attempts)  # type: ignore[union-attr]
    return operation, sorted(attempts, key=lambda s: s.start_time or 0)


def test_a_create_retried_once_is_one_operation_with_two_attempts(
    spans: InMemorySpanExporter, busy_then_created: RawServer
) -> None:
    with AudienceLab(api_key=KEY, base_url=busy_then_created.url) as client:
        client.audiences.create(name=NAME, filters={"city": CITY})
    finished = spans.get_finished_spans()
    operation, attempts = _one_operation(finished)
    assert operation.name == "audiencelab audiences.create"
    assert operation.attributes is not None
    assert operation.attributes["audiencelab.operation"] == "audiences.create"
    assert operation.attributes["audiencelab.retries"] == 1
    assert operation.attributes["audiencelab.request_id"] == "req-2"
    assert operation.status.status_code is StatusCode.UNSET
    (retry,) = operation.events
    assert retry.name == "audiencelab.retry"
    assert retry.attributes is not None
    assert retry.attributes["audiencelab.retry.reason"] == "HTTP 503"
    assert retry.attributes["http.response.status_code"] == 503

    assert [a.name for a in attempts] == ["POST /audiences", "POST /audiences"]
    first, second = (a.attributes or {} for a in attempts)
    assert all(a.kind is SpanKind.CLIENT for a in attempts)
    assert (first["http.response.status_code"], second["http.response.status_code"]) == (503, 200)
    assert (first["audiencelab.request_id"], second["audiencelab.request_id"]) == ("req-1", "req-2")
    assert first["error.type"] == "503"
    assert attempts[0].status.status_code is StatusCode.ERROR
    assert "error.type" not in second
    assert "http.request.resend_count" not in first
    assert second["http.request.resend_count"] == 1
    assert first["http.request.method"] == "POST"
    assert first["server.address"] == "127.0.0.1"
    assert first["server.port"] == int(busy_then_created.url.rsplit(":", 1)[1])
    assert first["url.full"] == busy_then_created.url + "/audiences"
    assert first["network.protocol.version"] == "1.1"
    _check_nothing_secret(finished)


@pytest.mark.anyio
async def test_the_async_client_traces_the_same(
    spans: InMemorySpanExporter, busy_then_created: RawServer
) -> None:
    async with AsyncAudienceLab(api_key=KEY, base_url=busy_then_created.url) as client:
        await client.audiences.create(name=NAME, filters={"city": CITY})
    operation, attempts = _one_operation(spans.get_finished_spans())
    assert operation.name == "audiencelab audiences.create"
    assert len(attempts) == 2
    _check_nothing_secret(spans.get_finished_spans())


@pytest.fixture
def failing() -> Iterator[RawServer]:
    yield from scripted(http_answer(500, b'{"error": {"message": "Tallahassee is on fire"}}'))


def test_an_unknown_outcome_is_on_the_operation_span_without_the_message(
    spans: InMemorySpanExporter, failing: RawServer
) -> None:
    with (
        AudienceLab(api_key=KEY, base_url=failing.url) as client,
        pytest.raises(InternalServerError),
    ):
        client.audiences.create(name=NAME, filters={"city": CITY})
    operation, (_attempt,) = _one_operation(spans.get_finished_spans())
    assert operation.attributes is not None
    assert operation.attributes["audiencelab.outcome_unknown"] is True
    assert operation.attributes["error.type"] == "InternalServerError"
    assert operation.status.status_code is StatusCode.ERROR
    assert operation.status.description == "InternalServerError"  # not the server's message
    assert operation.events == ()  # no exception event: its message could quote a value
    _check_nothing_secret(spans.get_finished_spans())


@pytest.fixture
def limited() -> Iterator[RawServer]:
    yield from scripted(http_answer(429, b"", {"Retry-After": "0"}), CREATED)


def test_a_rate_limit_wait_is_an_event(spans: InMemorySpanExporter, limited: RawServer) -> None:
    with AudienceLab(api_key=KEY, base_url=limited.url) as client:
        client.audiences.create(name=NAME, filters={"city": CITY})
    operation, _ = _one_operation(spans.get_finished_spans())
    assert [e.name for e in operation.events] == ["audiencelab.rate_limit_wait"]


@pytest.fixture
def pages() -> Iterator[RawServer]:
    def answer(method: str, path: str) -> bytes:
        page = int(path.split("page=")[1].split("&")[0])
        body = f'{{"data": [{{"ID": "{page}"}}], "page": {page}, "total_pages": 2}}'
        return http_answer(200, body.encode())

    yield from RawServer(answer).serve()


def test_pages_read_outside_an_operation_are_named_by_their_route(
    spans: InMemorySpanExporter, pages: RawServer
) -> None:
    with AudienceLab(api_key=KEY, base_url=pages.url) as client:
        rows = list(client.audiences.records("3f2a9c1e-0000-4000-8000-00000000abcd"))
    assert rows == [{"ID": "1"}, {"ID": "2"}]
    names = sorted(s.name for s in spans.get_finished_spans())
    assert names == ["GET /audiences/{id}"] * 2 + ["audiencelab GET /audiences/{id}"] * 2
    urls = sorted(
        str((s.attributes or {})["url.full"])
        for s in spans.get_finished_spans()
        if s.name == "GET /audiences/{id}"
    )
    path = pages.url + "/audiences/3f2a9c1e-0000-4000-8000-00000000abcd"
    assert urls == [f"{path}?page=1&page_size=1000", f"{path}?page=2&page_size=1000"]


def test_extra_query_values_are_redacted_in_spans(
    spans: InMemorySpanExporter, busy_then_created: RawServer
) -> None:
    with AudienceLab(api_key=KEY, base_url=busy_then_created.url) as client:
        client.audiences.create(name=NAME, filters={"city": CITY}, extra_query={"campaign": CITY})
    _, attempts = _one_operation(spans.get_finished_spans())
    assert (attempts[0].attributes or {})["url.full"] == (
        busy_then_created.url + "/audiences?campaign=REDACTED"
    )
    _check_nothing_secret(spans.get_finished_spans())


def test_log_records_carry_the_trace_and_span_ids(
    spans: InMemorySpanExporter, busy_then_created: RawServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="audiencelab")
    with AudienceLab(api_key=KEY, base_url=busy_then_created.url) as client:
        client.audiences.create(name=NAME, filters={"city": CITY})
    operation, _ = _one_operation(spans.get_finished_spans())
    retry = next(r for r in caplog.records if getattr(r, EVENT_ATTRIBUTE, None) == "retry")
    assert getattr(retry, TRACE_ID_ATTRIBUTE) == f"{operation.context.trace_id:032x}"
    assert getattr(retry, SPAN_ID_ATTRIBUTE) == f"{operation.context.span_id:016x}"


@pytest.mark.slow
def test_opentelemetry_is_never_imported_by_the_sdk_nor_ids_logged_without_it() -> None:
    code = (
        "import logging, sys\n"
        "from audiencelab import AudienceLab, APIError\n"
        "records = []\n"
        "logging.getLogger('audiencelab').addHandler(logging.Handler())\n"
        "logging.getLogger('audiencelab').handlers[-1].emit = records.append\n"
        "logging.getLogger('audiencelab').setLevel(logging.DEBUG)\n"
        "client = AudienceLab(api_key='sk_test_x', base_url='http://127.0.0.1:9', max_retries=0)\n"
        "try:\n"
        "    client.audiences.create(name='n', filters={'city': 'Austin'})\n"
        "except APIError:\n"
        "    pass\n"
        "assert 'opentelemetry' not in sys.modules, 'imported'\n"
        "assert records and all(r.audiencelab_event for r in records)\n"
        "assert not any(hasattr(r, 'audiencelab_trace_id') for r in records)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
