"""Endpoints this API lacks (404) or this key may not use (403), and attribute lists it does not
serve: the API as one key sees it (``--missing-endpoint``, ``--forbidden-endpoint``,
``--attribute-list``, ``--profile``).

A raw-ASGI layer between authentication (``_faults.py``) and the routes, so that a refused key is
still told so first, and the answers are errors in the configured style.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from audiencelab.sandbox._config import SandboxConfig
from audiencelab.sandbox._endpoints import ATTRIBUTE_LISTS, endpoint_of
from audiencelab.sandbox._faults import send_json

__all__ = ["AvailabilityMiddleware", "permission_message"]

_ATTRIBUTES = "GET /audiences/attributes/{attribute}"


def permission_message(endpoint: str) -> str:
    """The 403 of a key without the scope, in the words a third party saw (reference §11)."""
    scope = "READ" if endpoint.startswith("GET ") else "WRITE"
    return f"Missing required permissions ({scope} needed for {endpoint})"


class AvailabilityMiddleware:
    """Answers 404 or 403 for the endpoints and attribute lists the config takes away."""

    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.style = config.error_style
        self.missing = frozenset(config.missing_endpoints)
        self.forbidden = frozenset(config.forbidden_endpoints)
        self.served_lists = config.attribute_lists
        self.absent_lists = frozenset(ATTRIBUTE_LISTS) - set(config.attribute_lists)
        self.active = bool(self.missing or self.forbidden or self.absent_lists)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.active and scope["type"] == "http":
            method, path = scope["method"], scope["path"]
            endpoint = endpoint_of(method, path)
            if endpoint in self.forbidden:
                await send_json(
                    send, 403, "FORBIDDEN", permission_message(endpoint), style=self.style
                )
                return
            if endpoint in self.missing:
                message = f"No such endpoint: {method} {path}"
                await send_json(send, 404, "NOT_FOUND", message, style=self.style)
                return
            name = path.rsplit("/", 1)[-1]
            if endpoint == _ATTRIBUTES and name in self.absent_lists:
                served = ", ".join(self.served_lists) or "none"
                message = f"unknown attribute {name!r} (served here: {served})"
                await send_json(send, 404, "NOT_FOUND", message, style=self.style)
                return
        await self.app(scope, receive, send)
