"""How the command line is read and shown: global options anywhere, plain help.

* Global options (``--sandbox``, ``--json``...) may come before or after the command, as with
  ``gh`` and ``kubectl``: :func:`hoist_global_options` moves those found after it to the front,
  where the root group reads them. A command's own option of the same name wins (``pixels create
  --version v3``, ``sandbox serve --api-key K``), option values are never taken for options, and
  nothing after ``--`` is touched.
* Help shows no metavar after a flag and arguments as ``AUDIENCE_ID``, not ``<bool>`` and
  ``{audience_id}`` (the rendering of recent Typer versions, which makes flags look like they take
  a value): :func:`plain_help` adjusts every command of the tree once, when it is built.

Commands and parameters are used through the attributes Click and Typer's vendored Click share,
so this works with either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from typer.core import TyperArgument, TyperOption

__all__ = ["GLOBAL_FLAGS", "GLOBAL_VALUE_OPTIONS", "hoist_global_options", "plain_help"]

#: Global options without a value, and those taking one (see the root callback in ``_app``).
GLOBAL_FLAGS = frozenset({"--sandbox", "--json", "--quiet", "-q", "--verbose", "-v"})
GLOBAL_VALUE_OPTIONS = frozenset({"--base-url", "--api-key", "--profile"})


def _own_option(command: Any, ctx: Any, name: str) -> Any:
    """The option of ``command`` (its ``--help`` included) spelled ``name``, or None."""
    for param in command.get_params(ctx):
        if param.param_type_name == "option" and (
            name in param.opts or name in param.secondary_opts
        ):
            return param
    return None


def _takes_value(option: Any) -> bool:
    return not option.is_flag and not option.count and option.nargs > 0


def _split(token: str) -> tuple[str, bool]:
    """An option token as its name and whether its value is attached (``--x=1``, ``-n5``)."""
    if token.startswith("--"):
        name, equals, _ = token.partition("=")
        return name, bool(equals)
    return token[:2], len(token) > 2


def _global_short_group(token: str) -> bool:
    """``-qv``: several global short flags in one token."""
    return (
        len(token) > 2
        and token[0] == "-"
        and token[1] != "-"
        and all(f"-{c}" in GLOBAL_FLAGS for c in token[1:])
    )


def hoist_global_options(root: Any, ctx: Any, args: Sequence[str]) -> list[str]:
    """``args`` with the global options given after the command moved in front of it."""
    front: list[str] = []
    rest: list[str] = []
    command = root
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        if token.startswith("-") and token != "-":
            name, attached = _split(token)
            own = _own_option(command, ctx, name)
            if own is not None:
                # The current command's own option, with its value (which may look like a flag).
                width = 1 if attached or not _takes_value(own) else 1 + own.nargs
                rest.extend(args[i : i + width])
                i += width
                continue
            if command is not root and (
                token in GLOBAL_FLAGS or _global_short_group(token) or name in GLOBAL_VALUE_OPTIONS
            ):
                width = 2 if name in GLOBAL_VALUE_OPTIONS and not attached else 1
                front.extend(args[i : i + width])
                i += width
                continue
            rest.append(token)  # unknown: Click reports it
            i += 1
            continue
        rest.append(token)
        i += 1
        commands = getattr(command, "commands", None)
        if commands is not None:  # a group: this token names its subcommand
            sub = command.get_command(ctx, token)
            if sub is None:
                rest.extend(args[i:])  # no such command: Click reports it
                break
            command = sub
    return front + rest


class _PlainArgument(TyperArgument):
    """An argument shown as ``AUDIENCE_ID`` (``[NAME]`` when optional), without a type."""

    __slots__ = ()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        name = self.metavar or (self.name or "").upper()
        if not self.required:
            name = f"[{name}]"
        return [name + ("..." if self.nargs != 1 else "")]


class _PlainFlag(TyperOption):
    """A flag shown without a metavar: it takes no value."""

    __slots__ = ()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _plain_param(param: Any) -> None:
    if type(param) is TyperArgument:
        if param.metavar is None:
            param.metavar = (param.name or "").upper()
        param.__class__ = _PlainArgument
    elif type(param) is TyperOption:
        if param.is_flag:
            param.__class__ = _PlainFlag
        elif param.metavar is None:
            param.metavar = (param.name or "value").upper()


_PLAIN_CLASSES: dict[type, type] = {}


def _plain_class(cls: type) -> type:
    """``cls`` whose parameters, including those made on first use (``--help``, Typer's
    completion options), are shown plainly."""
    if cls not in _PLAIN_CLASSES:

        def get_params(self: Any, ctx: Any) -> Any:
            params = cls.get_params(self, ctx)  # type: ignore[attr-defined]
            for param in params:
                _plain_param(param)
            return params

        plain = type(cls.__name__, (cls,), {"get_params": get_params})
        _PLAIN_CLASSES[cls] = _PLAIN_CLASSES[plain] = plain
    return _PLAIN_CLASSES[cls]


def plain_help(command: Any) -> None:
    """Show ``command`` and every subcommand's parameters plainly in help and usage lines."""
    command.__class__ = _plain_class(type(command))
    for sub in (getattr(command, "commands", None) or {}).values():
        plain_help(sub)
