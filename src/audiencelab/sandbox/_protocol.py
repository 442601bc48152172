"""uvicorn's h11 protocol with deadlines for slow or incomplete requests.

uvicorn has a keep-alive timeout for idle connections *between* requests, but none for a request
that never finishes: a client that sends half its headers, or a ``Content-Length`` and too few
bytes, held its connection forever (500 such connections were all still open after 30 s). Here a
request's headers must arrive within ``header_timeout`` seconds of the connection opening (or of
its first byte, on a kept-alive connection), and its body within ``body_timeout`` seconds of the
headers; otherwise the connection is closed.

A request whose headers or framing cannot be read is answered with a JSON 400 of the configured
error style, and only that: the app that may already be running for it stays silent.

Imported only when a server starts (it imports uvicorn, which imports click).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from audiencelab.sandbox._errors import error_body
from audiencelab.sandbox._http import REQUEST_ID_HEADER, new_request_id

__all__ = ["MALFORMED_REQUEST", "DeadlineProtocol", "protocol_with_deadlines"]


#: The message of the 400 for a request whose framing or headers cannot be read.
MALFORMED_REQUEST = (
    "malformed HTTP request: its headers or its framing (Content-Length, Transfer-Encoding) "
    "cannot be read; nothing was done"
)


class DeadlineProtocol(H11Protocol):
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    error_style: str = "object"

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

    def send_400_response(self, msg: str) -> None:
        """Answer a request whose framing or headers cannot be read (``Content-Length`` together
        with ``Transfer-Encoding: chunked`` and a body that is not chunked, say) with a JSON 400,
        and close.

        The request's app may be running already (its headers were read): it must not answer
        too. h11 refused that with a ``LocalProtocolError`` and uvicorn logged it as an ASGI
        traceback; now its cycle is marked disconnected, which turns its sends into no-ops and
        wakes a ``receive()`` waiting for the body with ``http.disconnect``. uvicorn's one
        warning line ("Invalid HTTP request received.") is the whole log."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()
            if cycle.response_started:  # half an answer is out already: only closing is left
                self.transport.close()
                return
        body = error_body("BAD_REQUEST", MALFORMED_REQUEST, self.error_style)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (REQUEST_ID_HEADER.encode(), new_request_id().encode()),
        ]
        try:
            output = self.conn.send(
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
            )
            output = (output or b"") + (self.conn.send(h11.Data(data=body)) or b"")
            output += self.conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:  # h11 cannot answer in its state: closing says enough
            output = b""
        if output:
            self.transport.write(output)
        self.transport.close()

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


def protocol_with_deadlines(
    header_timeout: float, body_timeout: float, error_style: str = "object"
) -> type[DeadlineProtocol]:
    """The protocol class for one server's timeouts and error style."""
    attributes = {
        "header_timeout": header_timeout,
        "body_timeout": body_timeout,
        "error_style": error_style,
    }
    return type("SandboxH11Protocol", (DeadlineProtocol,), attributes)
