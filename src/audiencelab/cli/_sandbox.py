"""``audiencelab sandbox ...``: run the local emulator (extra ``sandbox``).

``serve``'s options are built from the sandbox's one flag table (``audiencelab.sandbox.SERVE_FLAGS``,
the metadata of ``SandboxConfig``'s fields), which ``python -m audiencelab.sandbox`` reads too; the
table needs only the standard library, so ``--help`` works without the extra. Values are checked by
``audiencelab.sandbox.config_from_flags``. Bad values raise :class:`CliError`, like every other
command: one ``error: ...`` line, exit 2.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import typer

from audiencelab.cli._errors import EXIT_API, EXIT_USAGE, CliError
from audiencelab.cli._extras import missing_extra_message
from audiencelab.sandbox import SERVE_FLAGS, Flag

sandbox_app = typer.Typer(
    help="Run the local AudienceLab sandbox (an offline emulator of the API)."
)


def _parameter(flag: Flag) -> inspect.Parameter:
    """The Typer option of one flag; every value arrives as typed (checked by the sandbox)."""
    if flag.kind in ("keys", "list"):
        option = typer.Option([], flag.option, help=flag.help, metavar=flag.metavar,
                              show_default=False)  # fmt: skip
        annotation: Any = list[str]
    else:
        option = typer.Option(flag.default, flag.option, help=flag.help, metavar=flag.metavar)
        annotation = str
    return inspect.Parameter(
        flag.name.replace("-", "_"), inspect.Parameter.KEYWORD_ONLY, default=option,
        annotation=annotation,
    )  # fmt: skip


def serve_command(**values: Any) -> None:
    """Start the sandbox and serve until Ctrl-C."""
    try:
        from audiencelab.sandbox import (
            SandboxStartError,
            config_from_flags,
            serve,
            startup_warnings,
        )
    except ImportError as exc:  # one message for every missing extra (issue 19, point 9)
        module = exc.name if isinstance(exc, ModuleNotFoundError) else None
        needs = "`audiencelab sandbox serve`"
        raise CliError(missing_extra_message("sandbox", needs, module), EXIT_API) from None

    flags = {flag.name: values[flag.name.replace("-", "_")] for flag in SERVE_FLAGS}
    try:
        config = config_from_flags(flags)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    for warning in startup_warnings(config):
        print(warning, file=sys.stderr, flush=True)
    try:
        serve(config)
    except SandboxStartError as exc:
        raise CliError(str(exc), EXIT_API) from None
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        pass
    print("Sandbox stopped.", file=sys.stderr, flush=True)


# Typer reads the options from the signature: one keyword parameter per flag of the table.
serve_command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [_parameter(flag) for flag in SERVE_FLAGS], return_annotation=None
)
sandbox_app.command("serve")(serve_command)
