"""The state of one command run: global options, the SDK client (made on first use), the sandbox.

The client is created lazily, so commands that send nothing (``--dry-run``, ``--help``) need no
key and start no sandbox. With ``--sandbox`` an in-process sandbox is started on an ephemeral
loopback port; its SQLite state lives in the user's data directory so that successive commands
share audiences. The sandbox is imported only then.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import typer
from rich.text import Text

from audiencelab import (
    API_KEY_ENV,
    BASE_URL_ENV,
    EVENT_ATTRIBUTE,
    AudienceLab,
    ConfigProfile,
    ConfigurationError,
    FilterValueWarning,
    load_profile,
)
from audiencelab.cli._errors import EXIT_API, EXIT_AUTH, EXIT_USAGE, CliError, Hints
from audiencelab.cli._extras import missing_extra_message
from audiencelab.cli._output import Output

if TYPE_CHECKING:
    from audiencelab.sandbox import Sandbox

__all__ = ["State", "get_state", "sandbox_data_dir"]

SANDBOX_ENV = "AUDIENCELAB_SANDBOX"
SANDBOX_DIR_ENV = "AUDIENCELAB_SANDBOX_DIR"
SANDBOX_BUILD_ENV = "AUDIENCELAB_SANDBOX_BUILD_SECONDS"
SANDBOX_DB = "sandbox.db"
#: Where ``audiencelab sandbox serve`` listens by default: the links a ``--sandbox`` command's
#: own sandbox hands out (``install_url``, ``csv_url``) start with it, since that sandbox stops
#: when the command ends, while ``sandbox serve`` on the same database serves them.
SERVE_URL = "http://127.0.0.1:8765"
CACHE_DIR_ENV = "AUDIENCELAB_CACHE_DIR"

NO_KEY_MESSAGE = (
    f"No API key. Set the {API_KEY_ENV} environment variable (create a key in the AudienceLab "
    "dashboard under Settings > API Keys), or add --sandbox to try everything offline against "
    "the local sandbox, e.g. `audiencelab --sandbox audiences list`. For a sandbox server "
    '(`audiencelab sandbox serve`), `eval "$(audiencelab sandbox env)"` sets '
    f"{API_KEY_ENV} and {BASE_URL_ENV} for it."
)
# With --base-url, --sandbox is no way out (the two cannot be combined).
NO_KEY_MESSAGE_BASE_URL = (
    f"No API key. Set the {API_KEY_ENV} environment variable (or --api-key) to a key the server "
    "at --base-url accepts (for `audiencelab sandbox serve`: sk_test_sandbox, unless it was "
    "started with --api-key)."
)


def sandbox_data_dir(environ: Any = None, platform: str | None = None) -> Path:
    """Where ``--sandbox`` keeps its state.

    ``$AUDIENCELAB_SANDBOX_DIR`` if set; else the platform's per-user data directory:
    ``$XDG_DATA_HOME/audiencelab`` (default ``~/.local/share/audiencelab``) on Linux,
    ``~/Library/Application Support/audiencelab`` on macOS, ``%LOCALAPPDATA%\\audiencelab`` on
    Windows.
    """
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    explicit = env.get(SANDBOX_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Application Support" / "audiencelab"
    if platform.startswith("win"):
        local = env.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "audiencelab"
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / "audiencelab"


class _LogFormatter(logging.Formatter):
    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if self.verbose:
            return f"{record.levelname.lower()} [{record.name}] {message}"
        return f"{record.levelname.lower()}: {message}"


class _ConsoleHandler(logging.Handler):
    """Log records through the stderr console, so they never tear a progress bar apart."""

    STYLES: ClassVar[dict[str, str]] = {
        "DEBUG": "dim",
        "INFO": "",
        "WARNING": "yellow",
        "ERROR": "red",
        "CRITICAL": "red",
    }

    def __init__(self, out: Output) -> None:
        super().__init__()
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            self.out.err.print(
                Text(text, style=self.STYLES.get(record.levelname, "")), soft_wrap=True
            )
        except Exception:  # pragma: no cover - logging must never break the command
            self.handleError(record)


class _LogFilter(logging.Filter):
    """Hides secrets, and the SDK's warning about an unknown outcome: the CLI reports it itself
    (recognised by the record's structured event, not by its text)."""

    def __init__(self, secrets: tuple[str, ...], verbose: bool) -> None:
        super().__init__()
        self.secrets = secrets
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.verbose and getattr(record, EVENT_ATTRIBUTE, None) == "outcome_unknown":
            return False
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[API key hidden]")
            record.msg, record.args = message, None
        return True


class State:
    """Global options and lazily created resources of one command run."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        sandbox: bool,
        json_mode: bool,
        quiet: bool,
        verbose: bool,
        profile: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.profile_name = profile
        self._profile: ConfigProfile | None = None
        self._profile_loaded = False
        self._api_key_option = api_key
        self.sandbox = sandbox
        self.json = json_mode
        self.quiet = quiet
        self.verbose = verbose
        self.out = Output(json_mode=json_mode, quiet=quiet)
        self.out.redact = self.secrets
        self.hints = Hints(offer_sandbox=base_url is None)
        self._client: AudienceLab | None = None
        self._sandbox: Sandbox | None = None
        self._log_handler: logging.Handler | None = None
        self._showwarning: Any = None
        self._log_level = logging.NOTSET
        #: The command serves for as long as it runs (``mcp``): its sandbox's links are live.
        self.sandbox_runs_on = False
        self._cache_env: str | None = None
        self._cache_dir: str | None = None

    def __repr__(self) -> str:  # never shows the key
        return f"State(sandbox={self.sandbox}, base_url={self.base_url!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Keys that must never be printed (the sandbox's public test key is not one)."""
        keys = [self._api_key_option, os.environ.get(API_KEY_ENV)]
        if self._profile is not None and self._profile.api_key is not None:
            keys.append(self._profile.api_key.reveal())
        return tuple({k for k in keys if k and len(k.strip()) >= 4})

    @property
    def prog(self) -> str:
        """How to run another command the same way (for hints)."""
        return "audiencelab --sandbox" if self.sandbox else "audiencelab"

    def hint(self, **kwargs: Any) -> None:
        for name, value in kwargs.items():
            setattr(self.hints, name, value)

    # -- logging --------------------------------------------------------------------------------

    def setup_logging(self) -> None:
        """The SDK's ``audiencelab`` logger on stderr: DEBUG with --verbose, else warnings only."""
        logger = logging.getLogger("audiencelab")
        handler = _ConsoleHandler(self.out)
        handler.setFormatter(_LogFormatter(self.verbose))
        handler.addFilter(_LogFilter(self.secrets, self.verbose))
        self._log_handler = handler
        self._log_level = logger.level
        logger.addHandler(handler)
        if self.verbose:
            logger.setLevel(logging.DEBUG)
        else:
            logger.setLevel(logging.ERROR if self.quiet else logging.WARNING)
        # The SDK's warnings about filter values: one "warning:" line each, on stderr.
        self._showwarning = warnings.showwarning
        warnings.showwarning = self._show_warning

    def _show_warning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, FilterValueWarning):
            self.out.warning(str(message))
        elif self._showwarning is not None:
            self._showwarning(message, category, filename, lineno, file, line)

    # -- the client -----------------------------------------------------------------------------

    def client(self) -> AudienceLab:
        """The SDK client, made on first use (starting the sandbox if asked)."""
        if self._client is not None:
            return self._client
        key: str | None
        url: str | None
        if self.sandbox:
            sandbox = self._start_sandbox()
            key, url = sandbox.api_key, sandbox.base_url
        else:
            key, url = self._key_and_url()
            if key is None or not key.strip():
                message = NO_KEY_MESSAGE if self.base_url is None else NO_KEY_MESSAGE_BASE_URL
                raise CliError(message, EXIT_AUTH)
        try:
            self._client = AudienceLab(api_key=key, base_url=url)
        except ConfigurationError as exc:
            if exc.setting == "api_key":
                raise CliError(str(exc), EXIT_AUTH) from None
            source = (
                " (from --base-url or AUDIENCELAB_BASE_URL)" if exc.setting == "base_url" else ""
            )
            raise CliError(f"{exc}{source}", EXIT_USAGE) from None
        return self._client

    def optional_client(self) -> AudienceLab | None:
        """The client if one can be made (a key is set, or --sandbox), else None: for the
        commands that send nothing, which use it only to read the API's value lists."""
        if not self.sandbox and self._client is None:
            key, _ = self._key_and_url()
            if key is None or not key.strip():
                return None
        return self.client()

    def profile(self) -> ConfigProfile | None:
        """The config file's profile in use (``--profile``, ``$AUDIENCELAB_PROFILE``, or the
        file's ``default_profile``), read once; its warnings said once."""
        if not self._profile_loaded:
            self._profile_loaded = True
            try:
                self._profile = load_profile(self.profile_name)
            except ConfigurationError as exc:
                raise CliError(str(exc), EXIT_USAGE) from None
            if self._profile is not None:
                self.out.redact = self.secrets
                for warning in self._profile.warnings:
                    self.out.warning(warning)
        return self._profile

    def _key_and_url(self) -> tuple[str | None, str | None]:
        """The key and address: flags first (``--api-key``, ``--base-url``, and a profile named
        by ``--profile``), then the environment, then the profile of $AUDIENCELAB_PROFILE or
        the file's default."""
        explicit = self.profile_name is not None
        profile = self.profile()
        file_key = profile.api_key.reveal() if profile and profile.api_key else None
        file_url = profile.base_url if profile else None
        env_key = os.environ.get(API_KEY_ENV)
        env_url = os.environ.get(BASE_URL_ENV) or None
        if explicit:
            key = self._api_key_option or file_key or env_key
            url = self.base_url or file_url or env_url
        else:
            key = self._api_key_option or env_key or file_key
            url = self.base_url or env_url or file_url
        if profile is not None and key is not None and key == file_key:
            self.hints.key_source = f"profile {profile.name!r} in {profile.path}"
        return key, url

    def _start_sandbox(self) -> Sandbox:
        try:
            from audiencelab.sandbox import Sandbox, SandboxConfig, SandboxStartError
        except ImportError as exc:  # the sandbox package checks its dependencies itself
            module = exc.name if isinstance(exc, ModuleNotFoundError) else None
            raise CliError(
                missing_extra_message("sandbox", "--sandbox", module), EXIT_API
            ) from None
        folder = sandbox_data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(
                f"cannot create the sandbox folder {folder}: {exc.strerror or exc}; set "
                f"{SANDBOX_DIR_ENV} to a folder you can write",
                EXIT_USAGE,
            ) from None
        db = folder / SANDBOX_DB
        options: dict[str, Any] = {}
        raw = os.environ.get(SANDBOX_BUILD_ENV, "").strip()
        if raw:
            try:
                seconds = float(raw)
            except ValueError:
                seconds = math.nan
            if not math.isfinite(seconds) or not 0 <= seconds <= 86_400:
                raise CliError(
                    f"{SANDBOX_BUILD_ENV} must be a number of seconds between 0 and 86400 "
                    f"(got {raw!r})",
                    EXIT_USAGE,
                )
            options["build_seconds"] = seconds
        config = SandboxConfig(host="127.0.0.1", port=0, db=str(db), **options)
        sandbox = Sandbox(config)
        try:
            sandbox.start()
        except SandboxStartError as exc:
            raise CliError(f"the local sandbox did not start: {exc}", EXIT_API) from None
        self._sandbox = sandbox
        # Its address dies with the command: left out of what is said (a 404's request line
        # shows the path alone).
        if not self.sandbox_runs_on:
            # Its links work while the command runs (a load downloads a job's csv_url), and are
            # shown with `sandbox serve`'s address, which serves them on the same database
            # after it; an error's request line shows the path alone.
            self.out.origins = (sandbox.base_url,)
            self.out.links = ((sandbox.base_url, SERVE_URL),)
        self._private_cache()
        self.out.info(
            f"Using the local sandbox ({db}), not the real AudienceLab API: audiences made here "
            "are synthetic.",
            style="yellow",
        )
        return sandbox

    def _private_cache(self) -> None:
        """The API lists a ``--sandbox`` command fetches from its own sandbox are cached in a
        folder of its own, removed when it ends: the disk cache is keyed by the API's address,
        and this sandbox's port is new every time (one folder per run, never reused)."""
        self._cache_env = os.environ.get(CACHE_DIR_ENV)
        self._cache_dir = tempfile.mkdtemp(prefix="audiencelab-sandbox-cache-")
        os.environ[CACHE_DIR_ENV] = self._cache_dir

    def _restore_cache(self) -> None:
        if self._cache_dir is None:
            return
        if self._cache_env is None:
            os.environ.pop(CACHE_DIR_ENV, None)
        else:
            os.environ[CACHE_DIR_ENV] = self._cache_env
        shutil.rmtree(self._cache_dir, ignore_errors=True)
        self._cache_dir = None

    @property
    def sandbox_audience_limit(self) -> int | None:
        """The largest audience the sandbox this command started builds, if it started one."""
        return None if self._sandbox is None else self._sandbox.config.max_audience_size

    @property
    def sandbox_server(self) -> tuple[str, Path] | None:
        """The address and database of the sandbox this command started, if it started one."""
        if self._sandbox is None:
            return None
        return self._sandbox.base_url, sandbox_data_dir() / SANDBOX_DB

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
        self._restore_cache()
        if self._log_handler is not None:
            logger = logging.getLogger("audiencelab")
            logger.removeHandler(self._log_handler)
            logger.setLevel(self._log_level)
            self._log_handler = None
        if self._showwarning is not None:
            warnings.showwarning = self._showwarning
            self._showwarning = None


def get_state(ctx: typer.Context) -> State:
    """The run's state, made by the root callback."""
    state = ctx.find_object(State)
    if state is None:  # a sub-app invoked on its own (tests of a single command)
        state = State(
            base_url=None, api_key=None, sandbox=False, json_mode=False, quiet=False, verbose=False
        )
        ctx.find_root().obj = state
    return state
