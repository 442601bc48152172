"""Finding the API key anywhere an error reaches, and a raw loopback server for bad answers."""

from __future__ import annotations

import gc
import socket
import threading
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx2
import pytest

_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType)


def strings_reachable_from(exc: BaseException, limit: int = 300_000) -> Iterator[str]:
    """Every str (and decoded bytes) reachable from ``exc``: its attributes, causes, contexts,
    and the local variables of every frame of every traceback among them (not the globals)."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo and len(seen) < limit:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, _OPAQUE):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            yield obj
        elif isinstance(obj, (bytes, bytearray)):
            yield bytes(obj).decode("latin-1")
        elif isinstance(obj, types.FrameType):
            todo.extend(obj.f_locals.values())
        elif isinstance(obj, types.TracebackType):
            todo.extend((obj.tb_frame, obj.tb_next))
        else:
            if isinstance(obj, BaseException):
                todo.extend((obj.__cause__, obj.__context__, obj.__traceback__))
            todo.extend(gc.get_referents(obj))


def assert_no_key_anywhere(exc: BaseException, key: str) -> None:
    """No object reachable from ``exc`` and no local of any frame of its tracebacks holds ``key``,
    nor does what an error reporter prints with locals."""
    assert not [s[:80] for s in strings_reachable_from(exc) if key in s]
    text = "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    assert key not in text  # what Sentry-like reporters print (locals included)
    cause = exc.__cause__
    if isinstance(cause, httpx2.TransportError):
        with pytest.raises(RuntimeError):
            cause.request  # noqa: B018 - the request (and its headers) is not kept


@dataclass
class RawServer:
    """A loopback server that answers each request with the bytes ``answer(method, path)``
    returns (b"": close without an answer). It keeps only the request lines it saw, never the
    headers: a test's locals are walked for the key, and the key is in every request."""

    answer: Callable[[str, str], bytes]
    seen: list[str] = field(default_factory=list)
    url: str = ""

    def serve(self) -> Iterator[RawServer]:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        stop = threading.Event()

        def loop() -> None:
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    continue
                with conn:
                    line = _read_request(conn)
                    if line is None:
                        continue
                    self.seen.append(line)
                    method, path = [*line.split(" "), "", ""][:2]
                    conn.sendall(self.answer(method, path))

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.getsockname()[1]}"
        try:
            yield self
        finally:
            stop.set()
            thread.join()
            server.close()


def _read_request(conn: socket.socket) -> str | None:
    """The request line; the head and a Content-Length body are read and dropped."""
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head.split(b"\r\n", 1)[0].decode("latin-1").rsplit(" ", 1)[0]


def http_answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of one HTTP/1.1 answer that closes the connection."""
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
