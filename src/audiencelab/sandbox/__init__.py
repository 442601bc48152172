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
from audiencelab.sandbox._config import DEFAULT_API_KEY, SandboxConfig
from audiencelab.sandbox._server import Sandbox, SandboxStartError, serve

__all__ = [
    "DEFAULT_API_KEY",
    "Sandbox",
    "SandboxApp",
    "SandboxConfig",
    "SandboxStartError",
    "create_app",
    "serve",
]
