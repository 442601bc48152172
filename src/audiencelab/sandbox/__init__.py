"""A stateful local emulator of the AudienceLab API (extra ``sandbox``).

>>> from audiencelab.sandbox import Sandbox, SandboxConfig
>>> with Sandbox(SandboxConfig(port=0, build_seconds=0)) as sb:   # doctest: +SKIP
...     print(sb.base_url, sb.api_key)

The sandbox does not depend on the SDK: it implements the wire format of the API reference itself.
"""

from __future__ import annotations

import importlib.util as _importlib_util

if _importlib_util.find_spec("starlette") is None or _importlib_util.find_spec("uvicorn") is None:
    raise ImportError(  # pragma: no cover - depends on the installed extras
        "the AudienceLab sandbox needs the 'sandbox' extra: pip install 'audiencelab[sandbox]'"
    )

from audiencelab.sandbox._app import SandboxApp, create_app
from audiencelab.sandbox._config import DEFAULT_API_KEY, SandboxConfig, is_loopback_host
from audiencelab.sandbox._flags import SERVE_FLAGS, Flag, config_from_flags, startup_warnings
from audiencelab.sandbox._server import Sandbox, SandboxStartError, serve

__all__ = [
    "DEFAULT_API_KEY",
    "SERVE_FLAGS",
    "Flag",
    "Sandbox",
    "SandboxApp",
    "SandboxConfig",
    "SandboxStartError",
    "config_from_flags",
    "create_app",
    "is_loopback_host",
    "serve",
    "startup_warnings",
]
