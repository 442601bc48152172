"""Pixel operations: create, list, read events (v3 and v4), delete."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from audiencelab._exceptions import CallMethod, InputProblem, NotFoundError
from audiencelab._models import EventsPage, Page, Pixel, PixelCreated
from audiencelab._operations._common import model, not_found_among, paging_params, raise_if
from audiencelab._sansio import Operation, path_param
from audiencelab._validate import check_choice, check_name, describe

PIXEL_VERSIONS = ("v3", "v4")
#: The kinds of visitor events a v3 pixel records (reference §6.6).
PIXEL_EVENT_TYPES = (
    "authentication", "page_view", "copy", "exit_intent", "deep_scroll", "idle_user",
    "video_engagement", "all_clicks", "file_downloads", "all_form_submissions",
)  # fmt: skip


def _check_url(value: object, field: str, problems: list[InputProblem]) -> None:
    if not isinstance(value, str):
        problems.append(InputProblem(field, f"expected a URL string, got {describe(value)}"))
        return
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value.strip():
        problems.append(
            InputProblem(
                field,
                f"{value!r} is not a web address; use a full URL such as 'https://example.com'",
            )
        )


def create_pixel(
    website_name: str,
    website_url: str,
    webhook_url: str | None = None,
    version: Literal["v3", "v4"] | None = None,
) -> Operation[PixelCreated]:
    """``POST /pixels`` (camelCase on the wire)."""
    problems: list[InputProblem] = []
    check_name(website_name, problems, "website_name")
    _check_url(website_url, "website_url", problems)
    body: dict[str, Any] = {"websiteName": website_name, "websiteUrl": website_url}
    if webhook_url is not None:
        _check_url(webhook_url, "webhook_url", problems)
        body["webhookUrl"] = webhook_url
    if version is not None:
        check_choice(version, PIXEL_VERSIONS, problems, "version", kind="a pixel version")
        body["version"] = version
    raise_if(problems)
    return Operation(
        "POST",
        "/pixels",
        parse=model(PixelCreated),
        body=body,
        safe_to_retry=False,
        check_outcome=CallMethod(
            "pixels.list",
            purpose=f"to see whether a pixel on {website_url!r} exists before creating it again",
        ),
    )


def list_pixels(page: int, page_size: int) -> Operation[Page[Pixel]]:
    return Operation(
        "GET", "/pixels", params=paging_params(page, page_size), parse=model(Page[Pixel])
    )


def pixel_events(
    pixel_id: str, page: int, page_size: int, event_type: str | None = None, *, v4: bool = False
) -> Operation[EventsPage]:
    path = f"/pixels/{path_param(pixel_id, 'pixel_id')}" + ("/v4" if v4 else "")
    params = paging_params(page, page_size)
    if event_type is not None:
        problems: list[InputProblem] = []
        check_choice(event_type, PIXEL_EVENT_TYPES, problems, "event_type", kind="an event type")
        raise_if(problems)
        params.append(("event_type", event_type))
    return Operation("GET", path, params=params, parse=model(EventsPage))


def delete_pixel(pixel_id: str) -> Operation[None]:
    path = f"/pixels/{path_param(pixel_id, 'pixel_id')}"
    return Operation("DELETE", path, parse=lambda r: None, gone_ok_on_retry=True)


def pixel_not_found(pixel_id: str) -> NotFoundError:
    """``get`` looked through every pixel of the key (``GET /pixels``) without finding it."""
    return not_found_among("pixel", pixel_id, "/pixels", "pixels.list")
