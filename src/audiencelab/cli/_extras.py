"""Which optional extra provides which module, and the one line that says to install it.

Imported by the console-script entry point before Typer is (it may be missing), so this module
imports nothing but the standard library.
"""

from __future__ import annotations

__all__ = ["EXTRA_OF_MODULE", "extra_for", "missing_extra_message"]

# The top-level module names of each extra's dependencies (pyproject.toml). A command that needs
# an extra imports it inside the command, so that a missing one is reported by name, not by a
# traceback, and other commands keep working.
EXTRA_OF_MODULE: dict[str, str] = {
    "typer": "cli",
    "click": "cli",
    "rich": "cli",
    "yaml": "cli",
    "starlette": "sandbox",
    "uvicorn": "sandbox",
    "pyarrow": "parquet",
    "mcp": "mcp",
    "dlt": "dlt",
}


def extra_for(exc: BaseException) -> str | None:
    """The extra whose missing module ``exc`` (a ``ModuleNotFoundError``) is about, if any."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    return EXTRA_OF_MODULE.get(exc.name.partition(".")[0])


def missing_extra_message(extra: str, needs: str, module: str | None = None) -> str:
    """One line: what needs the extra, and the command that installs it."""
    missing = f" (no module named {module.partition('.')[0]!r})" if module else ""
    return (
        f"{needs} needs the '{extra}' extra, which is not installed{missing}. Install it with: "
        f'pip install "audiencelab[{extra}]" (from a checkout: pip install ".[{extra}]")'
    )
