"""Running the sandbox: a blocking :func:`serve` and the :class:`Sandbox` background-thread helper."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from audiencelab.sandbox._app import SandboxApp, create_app
from audiencelab.sandbox._config import DEFAULT_API_KEY, SandboxConfig, listening_url
from audiencelab.sandbox._endpoints import ATTRIBUTE_LISTS

if TYPE_CHECKING:
    import httpx2
    import uvicorn

__all__ = ["Sandbox", "SandboxStartError", "serve"]


class SandboxStartError(RuntimeError):
    """The sandbox server could not start (e.g. the port is taken)."""


@functools.cache
def _server_class() -> type[uvicorn.Server]:
    """uvicorn's server, but a signal only asks it to stop: it is not re-raised afterwards, so
    Ctrl-C (or SIGTERM) ends :func:`serve` normally instead of with a KeyboardInterrupt.
    (uvicorn is imported here, not at module level: it pulls in click.)"""
    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return _Server


class _HideShutdownCancellation(logging.Filter):
    """Requests still running when the sandbox stops are cancelled; that is not an app error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


_SHUTDOWN_FILTER = _HideShutdownCancellation()


def _make_server(app: SandboxApp, config: SandboxConfig) -> uvicorn.Server:
    import uvicorn

    logging.getLogger("uvicorn.error").addFilter(_SHUTDOWN_FILTER)  # idempotent

    from audiencelab.sandbox._protocol import protocol_with_deadlines

    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        http=protocol_with_deadlines(
            config.header_timeout, config.body_timeout, config.error_style
        ),
        loop="asyncio",
        lifespan="off",
        access_log=False,
        log_level=config.log_level,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=1,
        server_header=False,
    )
    return _server_class()(uv_config)


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so port 0 gives a known ephemeral port.

    The socket is created with ``proto=IPPROTO_TCP``: accepted connections inherit it, and asyncio
    only sets ``TCP_NODELAY`` on sockets whose proto says TCP. With ``proto=0`` every response on
    a kept-alive connection waited for the client's delayed ACK (Nagle): ~40 ms per request.
    """
    infos = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )
    family, _type, _proto, _name, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        # listen now: clients that read the printed URL may connect before uvicorn is up
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return listening_url(host, port)


def _with_address(config: SandboxConfig, sock: socket.socket) -> SandboxConfig:
    """The config with the port actually bound (port 0 picks one), so that the links the sandbox
    hands out use it; an explicit ``public_url`` is kept."""
    return dataclasses.replace(config, port=int(sock.getsockname()[1]))


def _open_app(config: SandboxConfig, clock: Callable[[], float] | None = None) -> SandboxApp:
    try:
        return create_app(config, clock=clock)
    except (sqlite3.Error, RuntimeError, OSError) as exc:
        raise SandboxStartError(f"cannot open the database {config.db}: {exc}") from None


def describe(config: SandboxConfig, base_url: str) -> str:
    """The banner ``serve`` prints: where it listens and the keys it accepts."""
    keys = ", ".join(config.api_keys)
    default = (
        " (the default test key; choose your own with --api-key)"
        if config.api_keys == (DEFAULT_API_KEY,)
        else ""
    )
    if config.db == ":memory:":
        db = ":memory: (state is lost when the sandbox stops; use --db PATH to keep it)"
    else:
        db = config.db
    faults = []
    if config.latency_ms:
        faults.append(f"latency {config.latency_ms:g} ms")
    if config.fail_rate:
        faults.append(f"fail-rate {config.fail_rate:g}")
    if config.drop_rate:
        faults.append(f"drop-rate {config.drop_rate:g}")
    if config.rate_limit:
        faults.append(f"rate-limit {config.rate_limit:g}/s per key")
    if config.fail_after_commit_rate:
        faults.append(f"fail-after-commit-rate {config.fail_after_commit_rate:g}")
    if config.job_fail_rate:
        faults.append(f"job-fail-rate {config.job_fail_rate:g}")
    if config.error_style != "object":
        faults.append(f"error-style {config.error_style}")
    if config.list_total_key != "total_records":
        faults.append(f"list-total-key {config.list_total_key}")
    if config.attribute_lists != ATTRIBUTE_LISTS:
        faults.append(f"attribute lists {', '.join(config.attribute_lists) or 'none'}")
    faults.extend(f"404 for {endpoint}" for endpoint in config.missing_endpoints)
    faults.extend(f"403 for {endpoint}" for endpoint in config.forbidden_endpoints)
    if config.seed is not None:
        faults.append(f"seed {config.seed}")
    lines = [
        f"AudienceLab sandbox listening on {base_url}",
        f"  API key{'s' if len(config.api_keys) > 1 else ''}: {keys}{default}",
        f"  database: {db}",
        f"  audiences build in {config.build_seconds:g} s; at most {config.max_audience_size:,} records each",
        f"  faults: {', '.join(faults) if faults else 'none'}",
        f"  API description: {base_url}/openapi.json",
    ]
    if config.public_url is not None:
        lines.append(f"  links it hands out start with {config.public_url}")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def serve(
    config: SandboxConfig | None = None,
    *,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Run the sandbox in the foreground until Ctrl-C or SIGTERM (then return normally).

    ``announce`` receives the startup banner (default: print it to stdout). Raises
    :class:`SandboxStartError` when the address cannot be bound.
    """
    config = config or SandboxConfig()
    try:
        sock = _bind(config.bind_host, config.port)
    except OSError as exc:
        raise SandboxStartError(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}"
        ) from None
    config = _with_address(config, sock)
    try:
        app = _open_app(config)
    except SandboxStartError:
        sock.close()
        raise
    try:
        banner = describe(config, _url(sock))
        if announce is None:
            print(banner, flush=True)
        else:
            announce(banner)
        _make_server(app, config).run(sockets=[sock])
    finally:
        sock.close()
        app.close()


class Sandbox:
    """A real sandbox server on loopback, in a background thread; a context manager.

    ``with Sandbox(SandboxConfig(build_seconds=0)) as sb: ...`` then use ``sb.base_url`` and
    ``sb.api_key`` with any HTTP client. Without a config it listens on an ephemeral port.
    ``clock`` replaces ``time.time`` as in :func:`create_app` (audience builds, jobs, the rate
    limit), so tests can move time forward without sleeping.
    Start and stop take a fraction of a second; it can be started many times per process.
    """

    def __init__(
        self, config: SandboxConfig | None = None, *, clock: Callable[[], float] | None = None
    ) -> None:
        self.config = config or SandboxConfig(port=0)
        self.clock = clock
        self.app: SandboxApp | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._error: BaseException | None = None
        self.base_url = ""

    @property
    def api_key(self) -> str:
        """The first accepted API key."""
        return self.config.api_keys[0]

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("the sandbox is not running")
        return int(self._sock.getsockname()[1])

    def start(self) -> Sandbox:
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")
        try:
            self._sock = _bind(self.config.bind_host, self.config.port)
        except OSError as exc:
            raise SandboxStartError(
                f"cannot listen on {self.config.host}:{self.config.port}: {exc.strerror or exc}"
            ) from None
        self.base_url = _url(self._sock)
        try:
            self.app = _open_app(_with_address(self.config, self._sock), self.clock)
        except SandboxStartError:
            self.stop()
            raise
        self._server = _make_server(self.app, self.config)
        self._error = None
        self._thread = threading.Thread(target=self._run, name="audiencelab-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise SandboxStartError(f"the sandbox did not start: {self._error!r}")
            time.sleep(0.002)
        return self

    def _run(self) -> None:
        assert self._server is not None
        assert self._sock is not None
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by start()
            self._error = exc

    def stop(self) -> None:
        """Stop the server and close the database; returns within about a second."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
        if self.app is not None:
            self.app.close()
        self._server = self._thread = self._sock = None
        self.app = None

    def client(self, **kwargs: Any) -> httpx2.Client:
        """An ``httpx2.Client`` for this sandbox, with the API key header set."""
        import httpx2

        headers = {"X-Api-Key": self.api_key, **kwargs.pop("headers", {})}
        return httpx2.Client(base_url=self.base_url, headers=headers, **kwargs)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.base_url if self._thread is not None else "stopped"
        return f"<Sandbox {state}>"
