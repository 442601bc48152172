"""``audiencelab sandbox ...``: run the local emulator (extra ``sandbox``).

``serve``'s options are built from the sandbox's one flag table (``audiencelab.sandbox.SERVE_FLAGS``,
the metadata of ``SandboxConfig``'s fields), which ``python -m audiencelab.sandbox`` reads too; the
table needs only the standard library, so ``--help`` works without the extra. Values are checked by
``audiencelab.sandbox.config_from_flags``. Bad values raise :class:`CliError`, like every other
command: one ``error: ...`` line, exit 2.

Without ``--db``, ``serve`` uses the database the ``--sandbox`` commands use (``sandbox.db`` in
:func:`sandbox_data_dir`), so an audience made with ``audiencelab --sandbox audiences create`` is
there for Python too. While it serves, it records its address in ``sandbox-server.json`` beside
that database; ``audiencelab sandbox env`` reads it, checks the server answers, and prints the
``export`` lines for the SDK (``eval "$(audiencelab sandbox env)"``). The file never holds a key
other than the published test key.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import shlex
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import typer

from audiencelab import API_KEY_ENV, BASE_URL_ENV
from audiencelab.cli._context import SANDBOX_DB, get_state, sandbox_data_dir
from audiencelab.cli._errors import EXIT_API, EXIT_USAGE, CliError
from audiencelab.cli._extras import missing_extra_message
from audiencelab.sandbox import SERVE_FLAGS, Flag

SERVER_FILE = "sandbox-server.json"
# The published key of every sandbox (audiencelab.sandbox.DEFAULT_API_KEY, which needs the extra).
TEST_KEY = "sk_test_sandbox"
DB_HELP = "Default: the database of the --sandbox commands; :memory: for none."
_LISTENING = re.compile(r"listening on (\S+)")

sandbox_app = typer.Typer(
    help="Run the local AudienceLab sandbox (an offline emulator of the API)."
)


def _parameter(flag: Flag) -> inspect.Parameter:
    """The Typer option of one flag; every value arrives as typed (checked by the sandbox)."""
    if flag.kind in ("keys", "list"):
        option = typer.Option([], flag.option, help=flag.help, metavar=flag.metavar,
                              show_default=False)  # fmt: skip
        annotation: Any = list[str]
    elif flag.name == "db":  # left out: the --sandbox commands' database (DB_HELP)
        option = typer.Option("", flag.option, help=f"{flag.help} {DB_HELP}",
                              metavar=flag.metavar, show_default=False)  # fmt: skip
        annotation = str
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
    if not str(flags["db"]).strip():
        flags["db"] = str(_default_db())
    try:
        config = config_from_flags(flags)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    for warning in startup_warnings(config):
        print(warning, file=sys.stderr, flush=True)
    record = _ServerRecord(config.db, TEST_KEY in config.api_keys)
    try:
        serve(config, announce=record.announce)
    except SandboxStartError as exc:
        raise CliError(str(exc), EXIT_API) from None
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        pass
    finally:
        record.remove()
    print("Sandbox stopped.", file=sys.stderr, flush=True)


def _default_db() -> Path:
    folder = sandbox_data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(
            f"cannot create the sandbox folder {folder}: {exc.strerror or exc}; set "
            "AUDIENCELAB_SANDBOX_DIR to a folder you can write, or pass --db PATH (or :memory:)",
            EXIT_USAGE,
        ) from None
    return folder / SANDBOX_DB


class _ServerRecord:
    """``sandbox-server.json``: where the running server listens, for ``sandbox env``."""

    def __init__(self, db: str, test_key: bool) -> None:
        self.db = db
        self.test_key = test_key
        self.path = sandbox_data_dir() / SERVER_FILE
        self.written: dict[str, Any] | None = None

    def announce(self, banner: str) -> None:
        """Record the address, then print the banner (once it shows, `env` finds the server)."""
        match = _LISTENING.search(banner)
        if match is not None:  # the banner's first line names the address
            self.write(match.group(1))
        print(banner, flush=True)

    def write(self, base_url: str) -> None:
        self.written = {
            "base_url": base_url,
            "pid": os.getpid(),
            "db": self.db if self.db == ":memory:" else str(Path(self.db).resolve()),
            "test_key": self.test_key,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            part = self.path.with_name(f"{SERVER_FILE}.{os.getpid()}.part")
            part.write_text(json.dumps(self.written), encoding="utf-8")
            part.replace(self.path)
        except OSError as exc:
            self.written = None
            print(
                f"warning: `audiencelab sandbox env` will not find this server: cannot write "
                f"{self.path}: {exc.strerror or exc}",
                file=sys.stderr,
                flush=True,
            )

    def remove(self) -> None:
        """Remove the record if it is still this server's (a later ``serve`` may own it)."""
        if self.written is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if json.loads(self.path.read_text(encoding="utf-8")) == self.written:
                self.path.unlink()


def _answers(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError, ValueError):
        return False


@sandbox_app.command("env")
def env_command(ctx: typer.Context) -> None:
    """Print the environment for the SDK to use the running sandbox server.

    eval "$(audiencelab sandbox env)" sets AUDIENCELAB_BASE_URL and AUDIENCELAB_API_KEY to the
    server `audiencelab sandbox serve` runs (started in another terminal), so that
    `AudienceLab()` in Python talks to it.
    """
    state = get_state(ctx)
    path = sandbox_data_dir() / SERVER_FILE
    start = "start one with `audiencelab sandbox serve` (in another terminal), then run this again"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        base_url, db, test_key = str(record["base_url"]), record["db"], bool(record["test_key"])
    except FileNotFoundError:
        raise CliError(
            f"no sandbox server is running ({path} does not exist): {start}", EXIT_API
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot read {path} ({exc}): {start}", EXIT_API) from None
    if not _answers(base_url):
        raise CliError(
            f"the sandbox server recorded in {path} ({base_url}) is not answering: {start}",
            EXIT_API,
        )
    values = {BASE_URL_ENV: base_url}
    if test_key:
        values[API_KEY_ENV] = TEST_KEY
    if state.json:
        state.out.emit_json(values)
    else:
        for name, value in values.items():
            state.out.line(f"export {name}={shlex.quote(value)}")
    state.out.info(f"The sandbox server at {base_url} (database {db}).")
    if not test_key:
        state.out.info(
            f"It was started with its own --api-key: set {API_KEY_ENV} to that key yourself."
        )


# Typer reads the options from the signature: one keyword parameter per flag of the table.
serve_command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [_parameter(flag) for flag in SERVE_FLAGS], return_annotation=None
)
sandbox_app.command("serve")(serve_command)
