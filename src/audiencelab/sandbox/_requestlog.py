"""``GET /_sandbox/requests``: the method, path and status of the last requests of the calling key.

Enough to show what a program sent, and only that (``audiencelab doctor`` only reads: a test
checks it here). The outermost raw-ASGI layer, so it sees every request with an accepted key,
faults included; the key itself is never kept in a log entry.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audiencelab.sandbox._config import SandboxConfig
from audiencelab.sandbox._faults import send_json

__all__ = ["REQUEST_LOG_PATH", "REQUEST_LOG_SIZE", "RequestLog"]

REQUEST_LOG_PATH = "/_sandbox/requests"
#: requests kept per key (the oldest are forgotten first)
REQUEST_LOG_SIZE = 1000


class _StatusNoted:
    """The server's ``send``, noting the status it sends. Its ``__self__`` is the server's own, so
    that the fault layer can still close the connection to drop a request (``_faults.py``)."""

    def __init__(self, send: Send, entry: dict[str, Any]) -> None:
        self._send = send
        self._entry = entry
        self.__self__ = getattr(send, "__self__", None)

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._entry["status"] = message["status"]
        await self._send(message)


class RequestLog:
    """Logs each request with an accepted key; answers ``GET /_sandbox/requests``."""

    def __init__(self, app: ASGIApp, config: SandboxConfig) -> None:
        self.app = app
        self.style = config.error_style
        self.keys = frozenset(config.api_keys)
        self._entries: dict[str, deque[dict[str, Any]]] = {}

    def _key(self, scope: Scope) -> str | None:
        keys = {
            v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == b"x-api-key"
        }
        key = next(iter(keys)) if len(keys) == 1 else None
        return key if key in self.keys else None

    def entries(self, key: str) -> list[dict[str, Any]]:
        """The requests made with ``key``, oldest first."""
        return list(self._entries.get(key, ()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        if scope["path"] == REQUEST_LOG_PATH:
            await self._answer(scope, send, key)
            return
        if key is None:  # refused by the auth layer; nothing to attribute it to
            await self.app(scope, receive, send)
            return
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": None,  # None: no answer (a dropped connection)
        }
        self._entries.setdefault(key, deque(maxlen=REQUEST_LOG_SIZE)).append(entry)
        await self.app(scope, receive, _StatusNoted(send, entry))

    async def _answer(self, scope: Scope, send: Send, key: str | None) -> None:
        if key is None:
            message = "Missing or invalid API key: the request log is per key (X-Api-Key)"
            await send_json(send, 401, "UNAUTHORIZED", message, style=self.style)
            return
        if scope["method"] not in ("GET", "HEAD"):
            message = f"{scope['method']} is not allowed on {REQUEST_LOG_PATH} (use GET)"
            await send_json(send, 405, "METHOD_NOT_ALLOWED", message, {"Allow": "GET"}, self.style)
            return
        body = json.dumps({"requests": self.entries(key)}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
