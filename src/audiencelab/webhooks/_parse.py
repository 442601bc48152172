"""Pixel events out of a webhook body (reference §6.6), and the key that deduplicates them.

Pure: bytes and headers in, typed events out. Every shape the reference documents is accepted: one
event object, an array of events, ``{"result": [...]}`` and ``{"events": [...]}``; ``event`` or
``event_type``, ``ip_address`` or ``ip``; the person under ``resolution`` or flat at the top level
(UPPER_SNAKE keys). Each event is normalised to the keys ``GET /pixels/{id}`` uses, so the same
visitor event pushed or polled is the same :class:`~audiencelab.PixelEvent`, with the same key.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from audiencelab._exceptions import WebhookPayloadError
from audiencelab._models import PixelEvent

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_EVENTS",
    "content_key",
    "event_key",
    "normalise",
    "parse_events",
]

#: Largest body read, after decompression (chosen: a page of 1,000 v4 events is about 3 MB).
MAX_BODY_BYTES = 16 * 1024 * 1024
#: Deepest nesting accepted (an event is 3 levels deep: event, resolution or event_data, value).
MAX_DEPTH = 32
#: Most events in one body.
MAX_EVENTS = 10_000
#: The envelope keys that hold a list of events.
ENVELOPES = ("result", "events")
#: Keys that show a mapping is an event (one of them at least), when it is the whole body.
_EVENT_KEYS = frozenset(
    (
        "pixel_id", "event", "event_type", "event_timestamp", "ip_address", "ip", "user_agent",
        "hem_sha256", "hem", "uid", "profile_id", "cookie_id", "maid_id", "edid", "full_url",
        "page_url", "landing_url", "resolution", "event_data", "event_id",
    )
)  # fmt: skip
_RESOLUTION_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
_STRING_FIELDS = ("pixel_id", "event_type", "event_timestamp", "hem_sha256")


def _header(headers: Mapping[str, str] | None, name: str) -> str:
    if not headers:
        return ""
    for key, value in headers.items():
        if key.lower() == name:
            return str(value).strip().lower()
    return ""


def _decompress(body: bytes, encoding: str, limit: int) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise WebhookPayloadError(
            f"the body's Content-Encoding {encoding!r} is not supported (send gzip, deflate or "
            "none)",
            reason="encoding",
            location="headers.content-encoding",
        )
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise WebhookPayloadError(
            f"the body is not valid {encoding} data ({exc})", reason="encoding"
        ) from None
    if len(out) > limit:
        raise _too_large(limit, "once decompressed")
    return out


def _too_large(limit: int, when: str = "") -> WebhookPayloadError:
    return WebhookPayloadError(
        f"the body is larger than {limit:,} bytes{' ' + when if when else ''}: send fewer events "
        "per delivery (or raise max_bytes)",
        reason="too_large",
    )


def _depth_ok(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def _decode(body: bytes | bytearray | memoryview | str, headers: Mapping[str, str] | None,
            max_bytes: int) -> Any:  # fmt: skip
    if isinstance(body, str):
        raw = body.encode("utf-8", "surrogatepass")
    elif isinstance(body, (bytes, bytearray, memoryview)):
        raw = bytes(body)
    else:
        raise WebhookPayloadError(
            f"the body must be the request's bytes (got {type(body).__name__})", reason="shape"
        )
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    raw = _decompress(raw, _header(headers, "content-encoding"), max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookPayloadError(
            f"the body is not UTF-8 text (byte {exc.start}): a webhook body is JSON in UTF-8",
            reason="not_utf8",
        ) from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        raise WebhookPayloadError(f"the body is not JSON ({exc})", reason="not_json") from None
    if not _depth_ok(data, MAX_DEPTH):
        raise _too_deep()
    return data


def _too_deep() -> WebhookPayloadError:
    return WebhookPayloadError(
        f"the body nests deeper than {MAX_DEPTH} levels: pixel events are at most a few levels deep",
        reason="too_deep",
    )


def _items(data: Any) -> list[tuple[str, Any]]:
    """(location, item) of each event of the body, whatever its documented shape."""
    if isinstance(data, list):
        return [(f"[{i}]", item) for i, item in enumerate(data)]
    if isinstance(data, dict):
        for key in ENVELOPES:
            if key in data and not (_EVENT_KEYS & data.keys()):
                items = data[key]
                if not isinstance(items, list):
                    raise WebhookPayloadError(
                        f"{key} must be a list of events (got {_kind(items)})",
                        reason="shape",
                        location=key,
                    )
                return [(f"{key}[{i}]", item) for i, item in enumerate(items)]
        if _EVENT_KEYS & data.keys():
            return [("body", data)]
        raise WebhookPayloadError(
            "the body is an object that is neither an event (no pixel_id, event_type, "
            "event_timestamp... key) nor an envelope of events (result or events)",
            reason="shape",
        )
    raise WebhookPayloadError(
        f'the body must be an event, a list of events, or {{"result": [...]}} (got {_kind(data)})',
        reason="shape",
    )


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number"}  # fmt: skip
    if value is None:
        return "null"
    return names.get(type(value), f"a {type(value).__name__}")


def normalise(event: Mapping[str, Any], location: str = "body") -> dict[str, Any]:
    """One event with the keys ``GET /pixels/{id}`` uses: ``event`` -> ``event_type``, ``ip`` ->
    ``ip_address``, UPPER_SNAKE keys at the top level moved under ``resolution`` (a value already
    under ``resolution`` wins)."""
    if not isinstance(event, Mapping):
        raise WebhookPayloadError(
            f"{location} must be an event object (got {_kind(event)})",
            reason="shape",
            location=location,
        )
    out: dict[str, Any] = {}
    flat: dict[str, Any] = {}
    for key, value in event.items():
        if _RESOLUTION_KEY.match(key):
            flat[key] = value
        else:
            out[key] = value
    if "event" in out and "event_type" not in out:
        out["event_type"] = out.pop("event")
    if "ip" in out and "ip_address" not in out:
        out["ip_address"] = out.pop("ip")
    nested = out.get("resolution")
    if nested is not None and not isinstance(nested, dict):
        raise WebhookPayloadError(
            f"{location}.resolution must be an object of UPPER_SNAKE fields (got {_kind(nested)})",
            reason="field",
            location=f"{location}.resolution",
        )
    if flat:
        out["resolution"] = {**flat, **(nested or {})}
    for name in _STRING_FIELDS:
        value = out.get(name)
        if value is not None and not isinstance(value, str):
            raise WebhookPayloadError(
                f"{location}.{name} must be a string (got {_kind(value)})",
                reason="field",
                location=f"{location}.{name}",
            )
    return out


def _event(fields: dict[str, Any], location: str) -> PixelEvent:
    try:
        return PixelEvent.model_validate(fields)
    except ValidationError as exc:  # pragma: no cover - normalise checks every declared field
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise WebhookPayloadError(
            f"{location}.{where}: {first['msg']}", reason="field", location=f"{location}.{where}"
        ) from None


def parse_events(
    body: bytes | bytearray | memoryview | str,
    headers: Mapping[str, str] | None = None,
    *,
    max_bytes: int = MAX_BODY_BYTES,
) -> list[PixelEvent]:
    """The pixel events of one webhook delivery, in the order of the body.

    ``body`` is the request's bytes; ``headers`` its headers (a gzip or deflate
    ``Content-Encoding`` is undone). Raises :class:`~audiencelab.WebhookPayloadError` naming what
    was wrong and where: never anything else, whatever the body.
    """
    data = _decode(body, headers, max_bytes)
    items = _items(data)
    if len(items) > MAX_EVENTS:
        raise WebhookPayloadError(
            f"the body holds {len(items):,} events, more than {MAX_EVENTS:,}: send fewer per "
            "delivery",
            reason="too_large",
        )
    return [_event(normalise(item, where), where) for where, item in items]


def event_key(event: PixelEvent | Mapping[str, Any]) -> str:
    """A stable key of one event, to deduplicate deliveries (the API gives events no ID).

    An event that carries an ``event_id`` is keyed by it; any other by a hash of its version
    (:attr:`PixelEvent.api_version`) and its content as ``GET /pixels/{id}`` returns it, so the
    same event pushed by a webhook or polled by the dlt source has the same key.
    """
    if not isinstance(event, PixelEvent):
        event = _event(normalise(event), "event")
    fields = event.model_dump(mode="json")
    ident = fields.get("event_id")
    if isinstance(ident, str) and ident:
        return hashlib.sha256(f"{event.api_version}\nevent_id:{ident}".encode()).hexdigest()
    return content_key(event.api_version, fields)


def content_key(version: str, fields: Mapping[str, Any]) -> str:
    """The hash of one event's version and content (its dump as JSON, keys sorted)."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{version}\n{text}".encode()).hexdigest()
