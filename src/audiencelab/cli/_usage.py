"""Usage mistakes (a misspelled flag, a missing option, an unknown command) as one line.

Click (or the copy Typer vendors) raises a ``UsageError`` for them; Typer would draw it in a box
with suggestions taken loosely (``--citys``: ``--city, --yes``). Here each becomes one
``error: ...`` line on stderr, like every other error of the command line, with the closest
spelling when one is close enough, and the ``--help`` to read; the exit code stays 2. Giving no
command at all (``audiencelab``, ``audiencelab audiences``) shows the help, on stdout, and exits 0:
it is a request for help, not a mistake.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable
from typing import Any

from audiencelab.cli._errors import EXIT_OK, EXIT_USAGE
from audiencelab.cli._output import Output
from audiencelab.cli._parsing import GLOBAL_FLAGS, GLOBAL_VALUE_OPTIONS

__all__ = ["closest", "is_usage_error", "report_usage_error"]

#: How alike a misspelling and a suggestion must be (difflib's ratio); Click uses 0.6, which
#: offers ``--yes`` for ``--citys``.
CLOSE_ENOUGH = 0.75
ROOT_OPTIONS = frozenset({"--version", "-V", "--help"})


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def is_usage_error(exc: BaseException) -> bool:
    """Whether ``exc`` is Click's ``UsageError`` (from Click itself or Typer's copy of it)."""
    return "UsageError" in _class_names(exc) and hasattr(exc, "format_message")


def closest(word: str, candidates: Iterable[str]) -> list[str]:
    """The candidates most like ``word`` (all those equally close), if close enough."""
    scored: dict[str, float] = {}
    for candidate in set(candidates):
        ratio = difflib.SequenceMatcher(None, word, candidate).ratio()
        if ratio >= CLOSE_ENOUGH:
            scored[candidate] = ratio
    if not scored:
        return []
    best = max(scored.values())
    return sorted(c for c, r in scored.items() if r == best)


def _options_of(ctx: Any) -> set[str]:
    names: set[str] = set(GLOBAL_FLAGS | GLOBAL_VALUE_OPTIONS)
    command = getattr(ctx, "command", None)
    if command is not None:
        for param in command.get_params(ctx):
            if getattr(param, "param_type_name", "") == "option":
                names.update(param.opts)
                names.update(param.secondary_opts)
    if ctx is not None and getattr(ctx, "parent", None) is None:
        names |= ROOT_OPTIONS
    return {n for n in names if n.startswith("--")}


def _commands_of(ctx: Any) -> list[str]:
    command = getattr(ctx, "command", None)
    lister = getattr(command, "list_commands", None)
    return list(lister(ctx)) if lister is not None else []


def _suggestion(exc: Any, ctx: Any) -> str:
    option = getattr(exc, "option_name", None)
    if "NoSuchOption" in _class_names(exc) and isinstance(option, str):
        found = closest(option.partition("=")[0], _options_of(ctx))
        return f"; did you mean {' or '.join(found)}?" if found else ""
    unknown = re.match(r"No such command '(.+)'", str(getattr(exc, "message", "")))
    if unknown is not None:
        found = closest(unknown.group(1), _commands_of(ctx))
        return f"; did you mean {' or '.join(repr(f) for f in found)}?" if found else ""
    return ""


def _sentence(message: str) -> str:
    message = message.strip().rstrip(".")
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    return message


def report_usage_error(exc: Any) -> int:
    """Say a usage error in one line on stderr; the exit code (0 for help asked for)."""
    ctx = getattr(exc, "ctx", None)
    if "NoArgsIsHelpError" in _class_names(exc):
        text = exc.format_message()  # Typer has printed the help already, on stdout
        if text.strip():
            sys.stdout.write(text.rstrip("\n") + "\n")
        return EXIT_OK
    message = _sentence(str(exc.format_message() if "NoSuchOption" not in _class_names(exc)
                            else exc.message))  # fmt: skip
    path = getattr(ctx, "command_path", "") or "audiencelab"
    Output().error(f"{message}{_suggestion(exc, ctx)} (see `{path} --help`)")
    code = getattr(exc, "exit_code", EXIT_USAGE)
    return code if isinstance(code, int) and code else EXIT_USAGE
