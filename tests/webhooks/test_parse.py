"""parse_events and event_key: every documented shape and layout gives the same events; hostile
bodies give typed errors, never a crash."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiencelab import PixelEvent, WebhookError, WebhookPayloadError
from audiencelab.webhooks import MAX_DEPTH, MAX_EVENTS, event_key, parse_events

EVENT: dict[str, Any] = {
    "pixel_id": "px_1",
    "event_type": "page_view",
    "event_timestamp": "2026-12-01T10:00:00.000Z",
    "ip_address": "192.0.2.7",
    "user_agent": "Mozilla/5.0",
    "page_url": "https://shop.example/pricing",
    "hem_sha256": "ab" * 32,
    "event_data": {"scroll_depth": 80},
    "resolution": {"FIRST_NAME": "Ada", "PERSONAL_EMAILS": "ada@example.com"},
    "brand_new_field": {"kept": True},
}
OTHER = {**EVENT, "event_type": "copy", "event_timestamp": "2026-12-01T10:01:00.000Z"}


def _flat(event: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in event.items() if k != "resolution"}
    out.update(event["resolution"])
    return out


def _aliased(event: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in event.items() if k not in ("event_type", "ip_address")}
    return {**out, "event": event["event_type"], "ip": event["ip_address"]}


LAYOUTS = {"nested": lambda e: e, "flat": _flat, "aliased": _aliased,
           "flat+aliased": lambda e: _aliased(_flat(e))}  # fmt: skip
SHAPES = {
    "array": lambda events: events,
    "result": lambda events: {"result": events},
    "events": lambda events: {"events": events},
}


def _dumps(events: list[PixelEvent]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in events]


EXPECTED = _dumps([PixelEvent.model_validate(EVENT), PixelEvent.model_validate(OTHER)])


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_and_layout_parses_to_the_same_events(shape: str, layout: str) -> None:
    events = [LAYOUTS[layout](EVENT), LAYOUTS[layout](OTHER)]
    parsed = parse_events(json.dumps(SHAPES[shape](events)).encode())
    assert _dumps(parsed) == EXPECTED
    assert [event_key(e) for e in parsed] == [event_key(EVENT), event_key(OTHER)]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_single_event_object_is_one_event(layout: str) -> None:
    parsed = parse_events(json.dumps(LAYOUTS[layout](EVENT)))
    assert _dumps(parsed) == EXPECTED[:1]


def test_typed_fields_unknown_fields_kept_and_the_v3_v4_readers() -> None:
    (event,) = parse_events(json.dumps(_aliased(_flat(EVENT))).encode())
    assert event.event_type == "page_view"
    assert event.ip_address == "192.0.2.7"
    assert event.user_agent == "Mozilla/5.0"
    assert event.page_url == "https://shop.example/pricing"
    assert event.resolution == {"FIRST_NAME": "Ada", "PERSONAL_EMAILS": "ada@example.com"}
    assert event.model_extra is not None
    assert event.model_extra["brand_new_field"] == {"kept": True}
    assert event.api_version == "v3"
    v4 = {"pixel_id": "p", "edid": "e1", "full_url": "https://s.example/a", "resolution": {}}
    (parsed,) = parse_events(json.dumps(v4))
    assert parsed.api_version == "v4"
    assert parsed.page_url == "https://s.example/a"


def test_a_nested_value_wins_over_the_same_flat_field() -> None:
    body = {**EVENT, "FIRST_NAME": "Flat", "LAST_NAME": "Lovelace"}
    (event,) = parse_events(json.dumps(body))
    assert event.resolution == {**EVENT["resolution"], "LAST_NAME": "Lovelace"}


def test_gzip_and_deflate_bodies_are_read() -> None:
    raw = json.dumps([EVENT]).encode()
    assert _dumps(parse_events(gzip.compress(raw), {"Content-Encoding": "gzip"})) == EXPECTED[:1]
    assert _dumps(parse_events(zlib.compress(raw), {"content-encoding": "deflate"})) == EXPECTED[:1]


def test_event_key_is_stable_and_tells_events_apart() -> None:
    assert event_key(EVENT) == event_key(PixelEvent.model_validate(EVENT))
    assert event_key(EVENT) == event_key(_aliased(_flat(EVENT)))
    assert event_key(EVENT) != event_key(OTHER)
    changed = {**EVENT, "resolution": {**EVENT["resolution"], "FIRST_NAME": "Bob"}}
    assert event_key(EVENT) != event_key(changed)
    v4 = {**EVENT, "edid": "x"}
    assert event_key(v4) != event_key({**EVENT, "edid_": "x"})
    # an event that carries an ID is keyed by it, whatever else changes
    assert event_key({**EVENT, "event_id": "ev_1"}) == event_key({**OTHER, "event_id": "ev_1"})
    assert event_key({**EVENT, "event_id": "ev_1"}) != event_key({**EVENT, "event_id": "ev_2"})


def test_event_key_matches_the_dlt_source_s_key() -> None:
    pytest.importorskip("dlt")
    from audiencelab.dlt._rows import event_key as dlt_key

    for event in (EVENT, OTHER, {**EVENT, "event_id": "ev_9"}):
        dumped = PixelEvent.model_validate(event).model_dump(mode="json")
        assert event_key(event) == dlt_key("v3", dumped)


@pytest.mark.parametrize(
    ("body", "reason", "location", "words"),
    [
        (b"\xff\xfe{}", "not_utf8", "body", "UTF-8"),
        (b"{not json", "not_json", "body", "not JSON"),
        (b"42", "shape", "body", "got a number"),
        (b'"text"', "shape", "body", "got a string"),
        (b"null", "shape", "body", "got null"),
        (b'{"hello": 1}', "shape", "body", "neither an event"),
        (
            b'{"result": {"a": 1}}',
            "shape",
            "result",
            "result must be a list of events (got an object)",
        ),
        (b'{"events": "x"}', "shape", "events", "events must be a list"),
        (b"[1]", "shape", "[0]", "[0] must be an event object (got a number)"),
        (b'{"result": [{"pixel_id": "p"}, []]}', "shape", "result[1]", "result[1] must be"),
        (
            b'[{"pixel_id": 5}]',
            "field",
            "[0].pixel_id",
            "[0].pixel_id must be a string (got a number)",
        ),
        (b'[{"event": true}]', "field", "[0].event_type", "event_type must be a string"),
        (
            b'{"pixel_id": "p", "resolution": [1]}',
            "field",
            "body.resolution",
            "fields (got a list)",
        ),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "too_deep", "body", "deeper"),
        (b"[" * 100_000, "too_deep", "body", "deeper"),
    ],
)
def test_bad_bodies_give_one_clear_typed_error(
    body: bytes, reason: str, location: str, words: str
) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        parse_events(body)
    assert info.value.reason == reason
    assert info.value.location == location
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_limits_on_size_and_count() -> None:
    with pytest.raises(WebhookPayloadError, match="larger than 100 bytes") as info:
        parse_events(b"[" + b" " * 200 + b"]", max_bytes=100)
    assert info.value.reason == "too_large"
    bomb = gzip.compress(b"[" + b" " * 5000 + b"]")
    with pytest.raises(WebhookPayloadError, match="once decompressed"):
        parse_events(bomb, {"content-encoding": "gzip"}, max_bytes=1000)
    many = json.dumps([{"pixel_id": "p"}] * (MAX_EVENTS + 1))
    with pytest.raises(WebhookPayloadError, match="more than 10,000") as info:
        parse_events(many)
    assert info.value.reason == "too_large"
    assert len(parse_events(json.dumps([{"pixel_id": "p"}] * MAX_EVENTS))) == MAX_EVENTS
    depth_ok = {
        "pixel_id": "p",
        "event_data": json.loads("[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)),
    }
    assert parse_events(json.dumps(depth_ok))


def test_unsupported_encodings_and_broken_gzip() -> None:
    with pytest.raises(WebhookPayloadError, match="br") as info:
        parse_events(b"[]", {"Content-Encoding": "br"})
    assert info.value.location == "headers.content-encoding"
    assert info.value.reason == "encoding"
    with pytest.raises(WebhookPayloadError, match="not valid gzip"):
        parse_events(b"not gzip at all", {"Content-Encoding": "gzip"})
    with pytest.raises(WebhookPayloadError, match="bytes"):
        parse_events(123)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Fuzz: random and hostile bodies give typed errors or events, never anything else

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "pixel_id",
                    "event",
                    "event_type",
                    "ip",
                    "resolution",
                    "result",
                    "events",
                    "FIRST_NAME",
                    "event_data",
                    "x",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


REASONS = ("too_large", "too_deep", "not_utf8", "not_json", "shape", "field", "encoding")


def _try(body: bytes, headers: dict[str, str] | None = None) -> None:
    """Events, or a WebhookPayloadError with a known reason: never anything else."""
    failure: WebhookError | None = None
    try:
        events = parse_events(body, headers, max_bytes=64 * 1024)
    except WebhookError as exc:
        failure, events = exc, []
    if failure is not None:
        assert isinstance(failure, WebhookPayloadError)
        assert failure.reason in REASONS
        assert str(failure)
    for event in events:
        assert isinstance(event, PixelEvent)
        assert len(event_key(event)) == 64


FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))  # fmt: skip


@FUZZ
@given(JSON)
@pytest.mark.slow
def test_fuzz_any_json_value(value: Any) -> None:
    _try(json.dumps(value).encode())


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_any_bytes(body: bytes) -> None:
    _try(body)
    _try(body, {"content-encoding": "gzip"})


@FUZZ
@given(st.integers(1, 5000), st.sampled_from(["[", '{"a":', '{"result":[']))
def test_fuzz_deep_nesting(depth: int, opener: str) -> None:
    _try((opener * depth).encode())


@FUZZ
@given(st.lists(st.sampled_from(list(EVENT)), max_size=8), JSON)
@pytest.mark.slow
def test_fuzz_wrong_types_in_real_fields(names: list[str], value: Any) -> None:
    event = dict(EVENT)
    for name in names:
        event[name] = value
    _try(json.dumps({"result": [event]}).encode())


def test_a_huge_body_is_refused_before_it_is_parsed() -> None:
    body = b'[{"pixel_id": "' + b"x" * (17 * 1024 * 1024) + b'"}]'
    with pytest.raises(WebhookPayloadError) as info:
        parse_events(body)
    assert info.value.reason == "too_large"


def test_both_spellings_given_the_api_s_wins_and_the_other_is_kept() -> None:
    (event,) = parse_events(json.dumps({**EVENT, "event": "copy", "ip": "203.0.113.1"}))
    assert event.event_type == "page_view"
    assert event.ip_address == "192.0.2.7"
    assert event.model_extra is not None
    assert event.model_extra["event"] == "copy"
    assert event.model_extra["ip"] == "203.0.113.1"


def test_the_depth_limit_is_exact_and_checks_every_branch() -> None:
    def nested(n: int) -> Any:
        value: Any = []
        for _ in range(n - 1):
            value = [value]
        return value

    # the event is level 1, event_data levels 2..MAX_DEPTH
    assert parse_events(json.dumps({"pixel_id": "p", "event_data": nested(MAX_DEPTH - 1)}))
    too_deep = {"pixel_id": "p", "event_data": nested(MAX_DEPTH), "z": 1, "y": [1]}
    with pytest.raises(WebhookPayloadError) as info:
        parse_events(json.dumps(too_deep))
    assert info.value.reason == "too_deep"


def test_size_limits_are_exact() -> None:
    body = json.dumps([EVENT]).encode()
    assert parse_events(body, max_bytes=len(body))
    with pytest.raises(WebhookPayloadError):
        parse_events(body, max_bytes=len(body) - 1)
    packed = gzip.compress(body)
    assert parse_events(packed, {"content-encoding": "gzip"}, max_bytes=len(body))
    with pytest.raises(WebhookPayloadError, match="once decompressed"):
        parse_events(packed, {"content-encoding": "gzip"}, max_bytes=len(body) - 1)


def test_identity_and_x_gzip_encodings_and_text_bodies() -> None:
    raw = json.dumps([EVENT]).encode()
    assert _dumps(parse_events(raw, {"Content-Encoding": "identity"})) == EXPECTED[:1]
    assert _dumps(parse_events(gzip.compress(raw), {"Content-Encoding": "x-gzip"})) == EXPECTED[:1]
    with pytest.raises(WebhookPayloadError) as info:
        parse_events("[\ud800]")
    assert info.value.reason == "not_utf8"
    with pytest.raises(WebhookPayloadError) as info:
        parse_events(None)  # type: ignore[arg-type]
    assert info.value.reason == "shape"
    assert "got NoneType" in str(info.value)


def test_an_event_id_that_is_not_a_string_does_not_key_the_event() -> None:
    assert event_key({**EVENT, "event_id": 5}) != event_key({**OTHER, "event_id": 5})
    assert event_key({**EVENT, "event_id": ""}) != event_key({**OTHER, "event_id": ""})
