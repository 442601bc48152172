"""A pytest plugin: test code that uses audiencelab against a real local sandbox, with no set-up.

Installed with the package (entry point ``pytest11``); the fixtures need the ``sandbox`` extra
(``pip install 'audiencelab[sandbox]'``) and say so when it is missing. Nothing heavy is
imported until a test asks for a fixture, so it costs other test suites nothing.

Fixtures
    ``audiencelab_sandbox``        a running sandbox (an :class:`AudienceLabSandbox`: ``base_url``,
                                   ``api_key``, ``clock``, ``sandbox``, ``client()``)
    ``audiencelab_client``         an ``AudienceLab`` pointed at it
    ``async_audiencelab_client``   an ``AsyncAudienceLab`` pointed at it (any async runner)
    ``audiencelab_clock``          the sandbox's clock, moved by hand (``.advance(60)``): builds
                                   and jobs move forward without sleeping
Marker
    ``@pytest.mark.audiencelab_sandbox(fail_rate=0.2, build_seconds=30)``: options of that test's
    sandbox (any field of ``SandboxConfig`` but ``host``, ``port`` and ``api_keys``).
Option (ini)
    ``audiencelab_sandbox_scope = function`` (default: a fresh sandbox per test) or ``session``
    (one sandbox, and a fresh API key per test, which isolates its data: the sandbox keeps each
    key's audiences, jobs and pixels apart). A test with the marker or the clock gets its own.

By default audiences build and jobs finish at once (``build_seconds=0``,
``enrichment_seconds=0``); ask for the clock, or set ``build_seconds``, to see them build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import itertools
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from audiencelab import AsyncAudienceLab, AudienceLab
    from audiencelab.sandbox import Sandbox

__all__ = ["AudienceLabSandbox", "SandboxClock"]

MARKER = "audiencelab_sandbox"
SCOPE_OPTION = "audiencelab_sandbox_scope"
_MANAGED = frozenset({"host", "port", "api_keys"})  # the plugin's to choose
_DEFAULTS: dict[str, Any] = {"build_seconds": 0, "enrichment_seconds": 0}
_MISSING_EXTRA = (
    "the audiencelab fixtures need the sandbox: pip install 'audiencelab[sandbox]' "
    "(it adds starlette and uvicorn)"
)


class SandboxClock:
    """A clock for the sandbox that moves only when told: ``advance(seconds)``.

    It starts at the real time, so dates the sandbox hands out look current.
    """

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        self.now += seconds

    def __repr__(self) -> str:
        return f"SandboxClock(now={self.now:.3f})"


@dataclasses.dataclass(frozen=True)
class AudienceLabSandbox:
    """The sandbox a test runs against: where (``base_url``), with which key (``api_key``, this
    test's own), its ``clock`` (None unless the test asked for ``audiencelab_clock``), and the
    underlying :class:`~audiencelab.sandbox.Sandbox`."""

    base_url: str
    api_key: str
    sandbox: Sandbox
    clock: SandboxClock | None = None

    def client(self, **options: Any) -> AudienceLab:
        """A new ``AudienceLab`` for this sandbox (close it, or use ``with``)."""
        from audiencelab import AudienceLab

        return AudienceLab(api_key=self.api_key, base_url=self.base_url, **options)

    def async_client(self, **options: Any) -> AsyncAudienceLab:
        """A new ``AsyncAudienceLab`` for this sandbox (``async with`` it)."""
        from audiencelab import AsyncAudienceLab

        return AsyncAudienceLab(api_key=self.api_key, base_url=self.base_url, **options)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        SCOPE_OPTION,
        "audiencelab fixtures: 'function' (a fresh sandbox per test, the default) or 'session' "
        "(one sandbox, a fresh API key per test)",
        default="function",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): options of the test's audiencelab sandbox (SandboxConfig fields, "
        "e.g. fail_rate=0.2, build_seconds=30)",
    )


def _sandbox_module() -> Any:
    module: Any = None
    with contextlib.suppress(ImportError):
        import audiencelab.sandbox as module
    if module is None:  # failed outside the except block: no "during handling of..." chain
        pytest.fail(_MISSING_EXTRA, pytrace=False)
    return module


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The options of every ``audiencelab_sandbox`` marker on the test (the closest wins)."""
    options: dict[str, Any] = {}
    for mark in reversed(list(request.node.iter_markers(MARKER))):
        if mark.args:
            pytest.fail(
                f"@pytest.mark.{MARKER} takes keyword options only (e.g. fail_rate=0.2), "
                f"got {mark.args!r}",
                pytrace=False,
            )
        options.update(mark.kwargs)
    return options


def _config(module: Any, keys: tuple[str, ...], options: dict[str, Any]) -> Any:
    """A ``SandboxConfig``; a bad option is one clear failure naming it (and the fix)."""
    fields = {f.name for f in dataclasses.fields(module.SandboxConfig)} - _MANAGED
    problems = []
    for name in options:
        if name in _MANAGED:
            problems.append(f"{name!r} is chosen by the plugin")
        elif name not in fields:
            close = difflib.get_close_matches(name, sorted(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{name!r} is not a sandbox option{hint}")
    if problems:
        pytest.fail(f"@pytest.mark.{MARKER}: " + "; ".join(problems), pytrace=False)
    try:
        return module.SandboxConfig(port=0, api_keys=keys, **{**_DEFAULTS, **options})
    except ValueError as exc:
        pytest.fail(f"@pytest.mark.{MARKER}: {exc}", pytrace=False)


class _SharedSandbox:
    """The session's sandbox, with a key for each test (made up front: the sandbox's keys are
    fixed when it starts)."""

    def __init__(self, module: Any, count: int) -> None:
        self.keys = tuple(f"sk_test_pytest_{n:06d}" for n in range(count))
        self.sandbox = module.Sandbox(_config(module, self.keys, {}))
        self.sandbox.start()
        self._next = itertools.count()

    def next_key(self) -> str:
        index = next(self._next)
        if index >= len(self.keys):  # more tests than collected (a plugin adding some)
            pytest.fail("the shared audiencelab sandbox ran out of keys", pytrace=False)
        return self.keys[index]


@pytest.fixture(scope="session")
def _audiencelab_shared_sandbox(request: pytest.FixtureRequest) -> Iterator[_SharedSandbox]:
    shared = _SharedSandbox(_sandbox_module(), len(request.session.items) + 16)
    try:
        yield shared
    finally:
        shared.sandbox.stop()


@pytest.fixture
def audiencelab_clock() -> SandboxClock:
    """The clock of this test's sandbox: ``audiencelab_clock.advance(3)`` and an audience with
    ``build_seconds=3`` is built. (The sandbox's rate limit, if set, runs on it too.)"""
    return SandboxClock()


@pytest.fixture
def audiencelab_sandbox(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[AudienceLabSandbox]:
    """A running sandbox on 127.0.0.1 for this test (see the module's documentation)."""
    module = _sandbox_module()
    if not os.environ.get("AUDIENCELAB_CACHE_DIR"):
        # The SDK caches the API's lists of values per base URL: not in the user's own cache.
        monkeypatch.setenv("AUDIENCELAB_CACHE_DIR", str(tmp_path_factory.mktemp("audiencelab")))
    options = _marker_options(request)
    clock = (
        request.getfixturevalue("audiencelab_clock")
        if "audiencelab_clock" in request.fixturenames
        else None
    )
    scope = request.config.getini(SCOPE_OPTION)
    if scope not in ("function", "session"):
        pytest.fail(f"{SCOPE_OPTION} must be 'function' or 'session', got {scope!r}", pytrace=False)
    if scope == "session" and not options and clock is None:
        shared: _SharedSandbox = request.getfixturevalue("_audiencelab_shared_sandbox")
        sandbox = shared.sandbox
        yield AudienceLabSandbox(sandbox.base_url, shared.next_key(), sandbox)
        return
    key = "sk_test_pytest"
    config = _config(module, (key,), options)
    with module.Sandbox(config, clock=clock) as sandbox:
        yield AudienceLabSandbox(sandbox.base_url, key, sandbox, clock)


@pytest.fixture
def audiencelab_client(audiencelab_sandbox: AudienceLabSandbox) -> Iterator[AudienceLab]:
    """An ``AudienceLab`` for this test's sandbox, closed afterwards."""
    with audiencelab_sandbox.client() as client:
        yield client


@pytest.fixture
def async_audiencelab_client(audiencelab_sandbox: AudienceLabSandbox) -> AsyncAudienceLab:
    """An ``AsyncAudienceLab`` for this test's sandbox. It keeps no connection open between
    requests, so it needs no closing, and works under any async runner (anyio, pytest-asyncio,
    trio)."""
    import httpx2

    from audiencelab import AsyncAudienceLab

    http = httpx2.AsyncClient(limits=httpx2.Limits(max_keepalive_connections=0))
    return AsyncAudienceLab(
        api_key=audiencelab_sandbox.api_key,
        base_url=audiencelab_sandbox.base_url,
        http_client=http,
        timeout=60,
    )
