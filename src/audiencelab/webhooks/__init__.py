"""Pixel webhooks: parse, verify and deduplicate what AudienceLab pushes (reference §6.6).

>>> from audiencelab import webhooks
>>> events = webhooks.parse_events(body, headers)  # doctest: +SKIP
>>> webhooks.verify(body, headers, secret)  # doctest: +SKIP

Parsing and verifying need no extra; :class:`WebhookReceiver`, an ASGI app to mount, needs the
``webhooks`` extra (Starlette) and is loaded on first use. The signing schemes are described by
third parties only: see :func:`verify`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audiencelab._exceptions import WebhookError, WebhookPayloadError, WebhookSignatureError
from audiencelab._models import PixelEvent
from audiencelab.webhooks._parse import (
    MAX_BODY_BYTES,
    MAX_DEPTH,
    MAX_EVENTS,
    event_key,
    parse_events,
)
from audiencelab.webhooks._recent import RecentKeys
from audiencelab.webhooks._verify import (
    SCHEMES,
    SECRET_HEADER,
    SIGNATURE_HEADER,
    Scheme,
    signature_headers,
    verify,
)

if TYPE_CHECKING:
    from audiencelab.webhooks._receiver import Delivery, WebhookReceiver

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_EVENTS",
    "SCHEMES",
    "SECRET_HEADER",
    "SIGNATURE_HEADER",
    "Delivery",
    "PixelEvent",
    "RecentKeys",
    "Scheme",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookReceiver",
    "WebhookSignatureError",
    "event_key",
    "parse_events",
    "signature_headers",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name in ("Delivery", "WebhookReceiver"):
        try:
            from audiencelab.webhooks import _receiver
        except ModuleNotFoundError as exc:  # pragma: no cover - depends on the installed extras
            raise ImportError(
                f"audiencelab.webhooks.{name} needs the 'webhooks' extra (no module named "
                f'{exc.name!r}): pip install "audiencelab[webhooks]"'
            ) from None
        value = getattr(_receiver, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'audiencelab.webhooks' has no attribute {name!r}")
