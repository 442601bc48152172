"""Synthetic pixel events for ``GET /pixels/{id}`` (v3) and ``GET /pixels/{id}/v4``.

Each pixel has a fixed backlog of events (40 to 299, newest first) spread over the week before it
was created, so paging is stable. Event *i* is a pure function of (pixel id, *i*).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from audiencelab.sandbox import _data
from audiencelab.sandbox._criteria import Criteria
from audiencelab.sandbox._generate import plan_for
from audiencelab.sandbox._sampling import BYTE_SLOTS, slots, stable_int

__all__ = ["event_indices", "indices_of", "v3_event", "v4_event"]

_WEEK = 7 * 24 * 3600.0
#: Each pixel has between MIN_EVENTS and MIN_EVENTS + EVENT_SPREAD - 1 events (chosen: one to a
#: few pages of the default page size).
MIN_EVENTS = 40
EVENT_SPREAD = 260
#: A visitor makes about this many events in a row (chosen).
EVENTS_PER_VISITOR = 3
_TYPES = slots(_data.PIXEL_EVENT_TYPES, _data.PIXEL_EVENT_WEIGHTS, BYTE_SLOTS)
_VISITORS = Criteria(not_nulls=("PERSONAL_EMAILS",))
_V3_RESOLUTION = (
    "FIRST_NAME", "LAST_NAME", "PERSONAL_EMAILS", "PERSONAL_ADDRESS", "PERSONAL_CITY",
    "PERSONAL_STATE", "PERSONAL_ZIP", "AGE_RANGE", "GENDER", "MOBILE_PHONE", "BUSINESS_EMAIL",
    "JOB_TITLE", "COMPANY_NAME", "COMPANY_DOMAIN", "COMPANY_INDUSTRY", "LINKEDIN_URL",
    "INCOME_RANGE", "NET_WORTH", "HOMEOWNER",
)  # fmt: skip


def event_count(pixel_id: str, version: str) -> int:
    return MIN_EVENTS + stable_int("pixel-events", pixel_id, version) % EVENT_SPREAD


def _event_type(pixel_id: str, i: int) -> str:
    return _TYPES[stable_int("pixel-type", pixel_id, i) % BYTE_SLOTS]


def event_indices(pixel_id: str, event_type: str | None) -> list[int]:
    """Indices (newest first) of a pixel's v3 events, optionally of one type."""
    n = event_count(pixel_id, "v3")
    if event_type is None:
        return list(range(n))
    return [i for i in range(n) if _event_type(pixel_id, i) == event_type]


def indices_of(pixel_id: str, version: str, event_type: str | None) -> list[int]:
    """Indices (newest first) of a pixel's events of one API version, optionally of one type
    (the events ``GET /pixels/{id}`` or ``/v4`` list, which webhooks deliver too)."""
    if version != "v4":
        return event_indices(pixel_id, event_type)
    n = event_count(pixel_id, "v4")
    return [i for i in range(n) if event_type is None or _event_type(pixel_id, i) == event_type]


def _timestamp(pixel_id: str, version: str, i: int, created_at: float) -> str:
    n = event_count(pixel_id, version)
    gap = _WEEK / n
    jitter = (stable_int("pixel-ts", pixel_id, version, i) % 1000) / 1000.0
    ts = created_at - (i + jitter) * gap
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _visitor(pixel_id: str, i: int) -> dict[str, str]:
    index = stable_int("pixel-visitor", pixel_id, i // EVENTS_PER_VISITOR) >> 24
    return plan_for(_VISITORS).rows(index, index + 1)[0]


def _site(website_url: str) -> str:
    try:
        parts = urlsplit(website_url)
    except ValueError:  # e.g. "[" in the host ("Invalid IPv6 URL"): any accepted URL has events
        return "https://example.com"
    return f"{parts.scheme or 'https'}://{parts.netloc or 'example.com'}"


def _hem(person: dict[str, str]) -> str:
    return person["SHA256_PERSONAL_EMAIL"]


def v3_event(pixel_id: str, website_url: str, created_at: float, i: int) -> dict[str, Any]:
    kind = _event_type(pixel_id, i)
    person = _visitor(pixel_id, i)
    h = stable_int("pixel-v3", pixel_id, i)
    path, title = _data.PAGE_PATHS[h % len(_data.PAGE_PATHS)]
    email = person["PERSONAL_EMAILS"].split(",")[0]
    data: dict[str, Any] = {}
    if kind == "deep_scroll":
        data = {"scroll_depth": 50 + (h >> 8) % 51}
    elif kind == "video_engagement":
        data = {"video_id": f"vid_{(h >> 8) % 100:02d}", "seconds_watched": (h >> 16) % 300}
    elif kind == "all_clicks":
        data = {
            "element": ("button#signup", "a.pricing", "button.demo", "a.nav-link")[(h >> 8) % 4]
        }
    elif kind == "file_downloads":
        data = {"file_url": f"{_site(website_url)}/files/whitepaper-{(h >> 8) % 9 + 1}.pdf"}
    elif kind == "all_form_submissions":
        data = {"form_id": ("contact", "newsletter", "demo-request")[(h >> 8) % 3]}
    elif kind == "idle_user":
        data = {"idle_seconds": 30 + (h >> 8) % 600}
    elif kind == "copy":
        data = {"text_length": 5 + (h >> 8) % 200}
    event: dict[str, Any] = {
        "pixel_id": pixel_id,
        "event_type": kind,
        "event_timestamp": _timestamp(pixel_id, "v3", i, created_at),
        "ip_address": f"{('192.0.2', '198.51.100', '203.0.113')[h % 3]}.{(h >> 4) % 254 + 1}",
        "user_agent": _data.USER_AGENTS[(h >> 12) % len(_data.USER_AGENTS)],
        "page_url": _site(website_url) + path,
        "page_title": title,
        "referrer": _data.REFERRERS[(h >> 20) % len(_data.REFERRERS)],
        "uid": f"{stable_int('pixel-uid', pixel_id, i // EVENTS_PER_VISITOR):016x}",
        "hem_sha256": _hem(person),
        "event_data": data,
        "resolution": {col: person[col] for col in _V3_RESOLUTION},
    }
    if kind == "authentication":
        event["email_raw"] = email
        event["hem"] = hashlib.md5(email.encode(), usedforsecurity=False).hexdigest()
    return event


def v4_event(pixel_id: str, website_url: str, created_at: float, i: int) -> dict[str, Any]:
    person = _visitor(pixel_id, i)
    h = stable_int("pixel-v4", pixel_id, i)
    path, _title = _data.PAGE_PATHS[h % len(_data.PAGE_PATHS)]
    mobiles = person["MOBILE_PHONE"]
    landlines = person["SKIPTRACE_LANDLINE_NUMBERS"]
    resolution = dict(person)
    resolution.update(
        {
            "ALL_MOBILES": mobiles,
            "ALL_LANDLINES": landlines,
            "MOBILE_DNC": "true" if person["MOBILE_PHONE_DNC"] == "Y" else "false",
            "LANDLINE_DNC": "true" if landlines and (h >> 8) % 5 == 0 else "false",
            "INDIVIDUAL_LINKEDIN_URL": person["LINKEDIN_URL"],
            "INDIVIDUAL_TWITTER_URL": person["TWITTER_URL"],
            "INDIVIDUAL_FACEBOOK_URL": person["FACEBOOK_URL"],
            "PERSONAL_EMAIL_VALIDATION_STATUS": ("Valid (esp)", "Valid", "Catch-all", "Unknown")[
                (h >> 12) % 4
            ],
            "BUSINESS_EMAIL_VALIDATION_STATUS": (
                ("Valid", "Catch-all", "Unknown")[(h >> 14) % 3] if person["BUSINESS_EMAIL"] else ""
            ),
        }
    )
    return {
        "pixel_id": pixel_id,
        "hem_sha256": _hem(person),
        "event_timestamp": _timestamp(pixel_id, "v4", i, created_at),
        "event_type": _event_type(pixel_id, i),
        "referrer_url": _data.REFERRERS[(h >> 20) % len(_data.REFERRERS)],
        "full_url": _site(website_url) + path,
        "edid": f"{stable_int('pixel-edid', pixel_id, i // EVENTS_PER_VISITOR, bits=128):032x}",
        "resolution": resolution,
    }
