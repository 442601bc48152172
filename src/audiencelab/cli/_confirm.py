"""Asking before doing something that cannot be undone (deleting, spending credits): on stderr,
and never hanging without a terminal."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from audiencelab.cli._errors import EXIT_USAGE, CliError

__all__ = ["EXIT_DECLINED", "YesOpt", "confirm"]

#: The exit code when the user answers no: nothing was done (documented in docs/cli.md).
EXIT_DECLINED = 1

YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def confirm(
    question: str,
    yes: bool,
    what: str,
    *,
    doing: tuple[str, str, str] = ("delete", "deleting", "deleted"),
    preface: str = "",
) -> None:
    """Ask before an act that cannot be undone; refuse rather than hang when nobody can answer.

    ``doing`` names the act (``delete``, ``deleting``, ``deleted``); ``preface`` starts the
    refusal without a terminal (what the user should know before adding ``--yes``).
    """
    if yes:
        return
    verb, verbing, verbed = doing
    if not sys.stdin.isatty():
        raise CliError(
            f"{preface}not {verbing} {what} without confirmation: there is no terminal to ask "
            f"on. Add --yes to {verb} it.",
            EXIT_USAGE,
        )
    if not typer.confirm(question, default=False, err=True):
        # The user's answer, not an error: said plainly; exit 1, so that `... && next` stops.
        typer.echo(f"Nothing done: {what} was not {verbed}.", err=True)
        raise typer.Exit(EXIT_DECLINED)
