"""A stateful local emulator of the AudienceLab API (extra ``sandbox``).

>>> from audiencelab.sandbox import Sandbox, SandboxConfig
>>> with Sandbox(SandboxConfig(port=0, build_seconds=0)) as sb:   # doctest: +SKIP
...     print(sb.base_url, sb.api_key)

The sandbox does not depend on the SDK: it implements the wire format of the API reference itself.

Names are loaded on first use (PEP 562): the configuration and its flag table
(``SandboxConfig``, ``SERVE_FLAGS``, ``config_from_flags``...) need only the standard library, so
``audiencelab sandbox serve --help`` works without the extra; the server (``Sandbox``,
``create_app``, ``serve``...) needs Starlette and uvicorn, and says so when they are missing.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers (redundant aliases: re-exported)
    from audiencelab.sandbox._app import SandboxApp as SandboxApp
    from audiencelab.sandbox._app import create_app as create_app
    from audiencelab.sandbox._config import DEFAULT_API_KEY as DEFAULT_API_KEY
    from audiencelab.sandbox._config import Flag as Flag
    from audiencelab.sandbox._config import SandboxConfig as SandboxConfig
    from audiencelab.sandbox._config import is_loopback_host as is_loopback_host
    from audiencelab.sandbox._flags import SERVE_FLAGS as SERVE_FLAGS
    from audiencelab.sandbox._flags import config_from_flags as config_from_flags
    from audiencelab.sandbox._flags import startup_warnings as startup_warnings
    from audiencelab.sandbox._server import Sandbox as Sandbox
    from audiencelab.sandbox._server import SandboxStartError as SandboxStartError
    from audiencelab.sandbox._server import serve as serve

#: Every public name and the module that defines it: ``__all__`` and the loader come from here.
_PUBLIC = {
    "DEFAULT_API_KEY": "_config",
    "Flag": "_config",
    "SandboxConfig": "_config",
    "is_loopback_host": "_config",
    "SERVE_FLAGS": "_flags",
    "config_from_flags": "_flags",
    "startup_warnings": "_flags",
    "SandboxApp": "_app",
    "create_app": "_app",
    "Sandbox": "_server",
    "SandboxStartError": "_server",
    "serve": "_server",
}
#: Modules that need the ``sandbox`` extra's packages.
_SERVER_MODULES = frozenset({"_app", "_server"})
_EXTRA = ("starlette", "uvicorn", "orjson")

__all__ = sorted(_PUBLIC)


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # an import hook that refuses it, or a broken module
        return False


def _require_the_extra() -> None:
    missing = [name for name in _EXTRA if not _installed(name)]
    if missing:
        raise ImportError(
            "the AudienceLab sandbox needs the 'sandbox' extra "
            f"({', '.join(missing)} missing): pip install 'audiencelab[sandbox]'"
        )


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'audiencelab.sandbox' has no attribute {name!r}")
    if module in _SERVER_MODULES:
        _require_the_extra()
    value = getattr(importlib.import_module(f"audiencelab.sandbox.{module}"), name)
    globals()[name] = value  # the next lookup is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
