"""uvicorn's h11 protocol with deadlines for slow or incomplete requests.

uvicorn has a keep-alive timeout for idle connections *between* requests, but none for a request
that never finishes: a client that sends half its headers, or a ``Content-Length`` and too few
bytes, held its connection forever (500 such connections were all still open after 30 s). Here a
request's headers must arrive within ``header_timeout`` seconds of the connection opening (or of
its first byte, on a kept-alive connection), and its body within ``body_timeout`` seconds of the
headers; otherwise the connection is closed.

Imported only when a server starts (it imports uvicorn, which imports click).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DeadlineProtocol", "protocol_with_deadlines"]


class DeadlineProtocol(H11Protocol):
    header_timeout: float = 10.0
    body_timeout: float = 30.0

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None
        self._watch("headers")  # a connection that sends nothing is closed too

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._update()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._update()  # idle now (uvicorn's keep-alive timeout), or a pipelined request began

    def connection_lost(self, exc: Exception | None) -> None:
        self._watch(None)
        super().connection_lost(exc)

    def _update(self) -> None:
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._watch("body")
        elif state is h11.IDLE and self.conn.trailing_data[0]:
            self._watch("headers")
        else:  # the request is complete, or nothing has arrived since the last response
            self._watch(None)

    def _watch(self, phase: str | None) -> None:
        """Start the deadline of ``phase`` (keeping a running one), or stop watching (``None``)."""
        if phase == self._phase:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            seconds = self.header_timeout if phase == "headers" else self.body_timeout
            self._deadline = self.loop.call_later(seconds, self._expired)

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.logger.debug("closing a connection whose request did not arrive in time")
            self.transport.close()


def protocol_with_deadlines(header_timeout: float, body_timeout: float) -> type[DeadlineProtocol]:
    """The protocol class for one server's timeouts."""
    attributes = {"header_timeout": header_timeout, "body_timeout": body_timeout}
    return type("SandboxH11Protocol", (DeadlineProtocol,), attributes)
