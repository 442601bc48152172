"""Root Typer application; the subcommands live in sibling modules."""

from __future__ import annotations

import typer

from audiencelab.cli._sandbox import sandbox_app

app = typer.Typer(
    name="audiencelab",
    help="The AudienceLab API from your terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox_app, name="sandbox")


def main() -> None:
    app()
