"""Asking before destroying something: on stderr, and never hanging without a terminal."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from audiencelab.cli._errors import EXIT_USAGE, CliError

__all__ = ["YesOpt", "confirm"]

YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def confirm(question: str, yes: bool, what: str) -> None:
    """Ask before destroying something; refuse rather than hang when nobody can answer."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError(
            f"not deleting {what} without confirmation: there is no terminal to ask on. "
            "Add --yes to delete it.",
            EXIT_USAGE,
        )
    if not typer.confirm(question, default=False, err=True):
        raise CliError(f"{what} was not deleted.", EXIT_USAGE)
