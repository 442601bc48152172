"""The ``audiencelab`` command line (extra ``cli``).

The console script's entry point, :func:`main`, imports the Typer application only when it runs,
so that without the ``cli`` extra the command says in one line what to install instead of
ending in a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

from audiencelab.cli._extras import extra_for, missing_extra_message

__all__ = ["app", "main"]


def main() -> None:
    """The ``audiencelab`` console script."""
    try:
        from audiencelab.cli._app import run
    except ModuleNotFoundError as exc:
        extra = extra_for(exc)
        if extra is None:
            raise
        print(
            f"error: {missing_extra_message(extra, 'the audiencelab command', exc.name)}",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    run()


def __getattr__(name: str) -> Any:
    """``app``, the Typer application, imported on first use."""
    if name == "app":
        from audiencelab.cli._app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
