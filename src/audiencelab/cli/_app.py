"""Root Typer application: global options, error handling and exit codes; the subcommands live in
sibling modules."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

import audiencelab
from audiencelab import PROFILE_ENV
from audiencelab.cli._attributes import attributes_command
from audiencelab.cli._audiences import audiences_app
from audiencelab.cli._context import SANDBOX_ENV, State
from audiencelab.cli._doctor import doctor_command
from audiencelab.cli._enrichment import enrich_command, enrichments_app
from audiencelab.cli._errors import (
    EXIT_API,
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    Hints,
    describe_error,
    exit_code_for,
)
from audiencelab.cli._examples import add_examples
from audiencelab.cli._extras import extra_for, missing_extra_message
from audiencelab.cli._load import load_command
from audiencelab.cli._mcp import mcp_command
from audiencelab.cli._output import Output
from audiencelab.cli._parsing import hoist_global_options, plain_help
from audiencelab.cli._pixels import pixels_app
from audiencelab.cli._sandbox import sandbox_app
from audiencelab.cli._segments import segments_app
from audiencelab.cli._usage import is_usage_error, report_usage_error
from audiencelab.cli._webhooks import trigger_command, webhooks_app

__all__ = ["app", "run"]


class _RootGroup(TyperGroup):
    """Reads global options before or after the command, shows help plainly, and turns every
    error into one line on stderr and an exit code (see ``EXIT_CODES_HELP``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_help(self)
        add_examples(self)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Usage mistakes (a misspelled flag, a missing option) as one ``error:`` line with a
        suggestion, exit 2; help asked for by giving no command, on stdout, exit 0."""
        try:
            result = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **kwargs
            )
        except Exception as exc:
            if not is_usage_error(exc):
                raise
            code = report_usage_error(exc)
        else:
            code = result if isinstance(result, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(self, ctx, args))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.Exit:
            raise
        except (KeyboardInterrupt, typer.Abort):
            state = ctx.find_object(State)
            out = state.out if state is not None else Output()
            extra = (
                f" {state.hints.interrupted}"
                if state is not None and state.hints.interrupted
                else ""
            )
            out.error(f"interrupted.{extra}")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(141) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("typer", "click"):
                raise  # usage errors: Typer prints them and exits with status 2
            state = ctx.find_object(State)
            out = state.out if state is not None else Output()
            missing = extra_for(exc)
            if missing is not None:  # a command that needs an optional extra
                command = ctx.invoked_subcommand
                needs = f"`audiencelab {command}`" if command else "this command"
                out.error(missing_extra_message(missing, needs, getattr(exc, "name", None)))
                raise typer.Exit(EXIT_API) from None
            if state is not None and state.verbose:
                out.raw_error("".join(traceback.format_exception(exc)))
            hints = state.hints if state is not None else Hints()
            prog = state.prog if state is not None else "audiencelab"
            out.error(describe_error(exc, hints, prog))
            raise typer.Exit(exit_code_for(exc)) from None


def _silence_stdout() -> None:
    """After a closed pipe (``audiencelab ... | head``): no second error when Python exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


app = typer.Typer(
    name="audiencelab",
    cls=_RootGroup,
    help=(
        "The AudienceLab API from your terminal: create audiences, export their people, enrich "
        "contacts, manage pixels.\n\n"
        "The API key comes from the AUDIENCELAB_API_KEY environment variable. Add --sandbox to "
        "try everything offline against a local emulator."
    ),
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(audiences_app, name="audiences")
app.command("attributes")(attributes_command)
app.command("enrich")(enrich_command)
app.add_typer(enrichments_app, name="enrichments")
app.add_typer(pixels_app, name="pixels")
app.add_typer(segments_app, name="segments")
app.add_typer(sandbox_app, name="sandbox")
sandbox_app.command("trigger")(trigger_command)
app.add_typer(webhooks_app, name="webhooks")
app.command("mcp")(mcp_command)
app.command("load")(load_command)
app.command("doctor")(doctor_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"audiencelab {audiencelab.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="API address (default: AUDIENCELAB_BASE_URL, else https://api.audiencelab.io).",
            metavar="URL",
        ),
    ] = None,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            envvar=SANDBOX_ENV,
            help=(
                "Use a local sandbox instead of the real API (no key needed; state is kept in "
                "your data folder, or AUDIENCELAB_SANDBOX_DIR)."
            ),
        ),
    ] = False,
    json_mode: Annotated[
        bool,
        typer.Option("--json", help="Machine-readable JSON on stdout, and nothing else there."),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only results and errors: no progress or notes.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Log each request on stderr; tracebacks for errors (never the key).",
        ),
    ] = False,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help=(
                "API key. Prefer the AUDIENCELAB_API_KEY environment variable: a key on the "
                "command line ends up in your shell history and in the process list, where other "
                "users of the machine can see it."
            ),
            metavar="KEY",
            show_default=False,
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help=(
                "Profile of the config file to use (its key and address), e.g. --profile work; "
                f"default: ${PROFILE_ENV}, else the file's default_profile. The file: "
                "~/.config/audiencelab/config.toml on Linux (see docs/cli.md)."
            ),
            metavar="NAME",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Global options may come before or after the command: audiencelab audiences list --sandbox."""
    state = State(
        base_url=base_url,
        api_key=api_key,
        sandbox=sandbox,
        json_mode=json_mode,
        quiet=quiet,
        verbose=verbose,
        profile=profile,
    )
    ctx.obj = state
    ctx.call_on_close(state.close)
    if sandbox and base_url is not None:
        raise CliError(
            "--sandbox and --base-url cannot be used together: the sandbox runs on its own "
            "local address. Drop one of them.",
            EXIT_USAGE,
        )
    if sandbox and profile is not None:
        raise CliError(
            "--profile is not used with --sandbox (the sandbox has its own test key); drop one "
            "of them.",
            EXIT_USAGE,
        )
    if sandbox and api_key is not None:
        raise CliError(
            "--api-key is not used with --sandbox (the sandbox has its own test key); drop one "
            "of them.",
            EXIT_USAGE,
        )
    state.setup_logging()


def run() -> None:
    """Run the command line (``audiencelab.cli.main`` calls this once Typer is importable)."""
    app(prog_name="audiencelab")
