"""Client settings: the API key (kept secret), the base URL (checked) and retries.

Pure: no HTTP library. Timeouts belong to the I/O shell (:mod:`audiencelab._http`).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from audiencelab._exceptions import ConfigurationError
from audiencelab._retry import RetryPolicy
from audiencelab._value_checks import VALUE_CHECKS, ValueChecks
from audiencelab._version import __version__

#: The environment variable holding the API key.
API_KEY_ENV = "AUDIENCELAB_API_KEY"
#: The environment variable holding the API's address (for the sandbox, or a proxy).
BASE_URL_ENV = "AUDIENCELAB_BASE_URL"
DEFAULT_BASE_URL = "https://api.audiencelab.io"
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"audiencelab-python/{__version__}"


class Secret:
    """A string that never shows itself in ``repr``/``str``, so it cannot leak into logs.

    It is not even held in clear: the value is kept XOR-masked with a random pad, so an object
    walker (an error reporter serialising everything reachable from an exception, say) finds
    nothing it could print. :meth:`reveal` unmasks it at the moment of sending.
    """

    __slots__ = ("_masked", "_pad")

    def __init__(self, value: str) -> None:
        # surrogatepass: a lone surrogate is refused later as malformed, never echoed by a
        # UnicodeEncodeError (whose ``object`` would be the key itself)
        data = value.encode("utf-8", "surrogatepass")
        self._pad = os.urandom(len(data))
        self._masked = bytes(a ^ b for a, b in zip(data, self._pad, strict=True))

    def reveal(self) -> str:
        return self._unmasked().decode("utf-8", "surrogatepass")

    def _unmasked(self) -> bytes:
        return bytes(a ^ b for a, b in zip(self._masked, self._pad, strict=True))

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(
            other._unmasked(), self._unmasked()
        )

    def __hash__(self) -> int:
        return hash(self._unmasked())

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("API keys are not pickled")


def mask_api_key(value: str | Secret | None) -> Secret | None:
    """The key, masked at once. Callers then ``del`` their clear copy: a traceback shows the
    locals of every frame, so from the first frame on the key is held only as a :class:`Secret`."""
    if value is None or isinstance(value, Secret):
        return value
    if not isinstance(value, str):
        raise ConfigurationError(
            f"api_key must be a string, got {type(value).__name__}", setting="api_key"
        )
    return Secret(value)


_KEY_CHARS = re.compile(r"[\x21-\x7e]+")  # printable ASCII without spaces: a valid header value


def _key_problem(secret: Secret) -> str | None:
    """What is wrong with a key, if anything. The key is unmasked only in this frame, which has
    returned before any error is raised."""
    value = secret.reveal()
    if not value.strip():
        return "missing"
    if not _KEY_CHARS.fullmatch(value):
        return "malformed"
    return None


def resolve_api_key(api_key: Secret | None, environ: Mapping[str, str] | None = None) -> Secret:
    """The key given, else ``$AUDIENCELAB_API_KEY``, checked; never echoed, never unmasked here."""
    secret = api_key if api_key is not None else _key_from_environment(environ)
    problem = "missing" if secret is None else _key_problem(secret)
    if problem == "missing" or secret is None:
        raise ConfigurationError(
            f"No API key: set the {API_KEY_ENV} environment variable (or pass api_key=...). "
            "Keys are created in the AudienceLab dashboard under Settings > API Keys. "
            "To work offline against the local sandbox (the database the CLI's --sandbox commands "
            "use): run `audiencelab sandbox serve` in another terminal, then "
            '`eval "$(audiencelab sandbox env)"`, which sets '
            f"{API_KEY_ENV} and {BASE_URL_ENV} for it.",
            setting="api_key",
        )
    if problem is not None:
        # Never echo the value: a malformed key is still a secret.
        raise ConfigurationError(
            "The API key contains whitespace, control or non-ASCII characters; copy it again "
            "from the dashboard.",
            setting="api_key",
        )
    return secret


def _key_from_environment(environ: Mapping[str, str] | None) -> Secret | None:
    value = (os.environ if environ is None else environ).get(API_KEY_ENV)
    return None if value is None else Secret(value)


def is_loopback_host(host: str) -> bool:
    """True for a host only this machine can reach: ``localhost``, ``127.0.0.0/8``, ``::1``."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(base_url: object | None, environ: Mapping[str, str] | None = None) -> str:
    """The base URL without a trailing slash; plain http only for loopback (the sandbox)."""
    env = os.environ if environ is None else environ
    raw = str(base_url) if base_url is not None else env.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            f"Invalid base URL {raw!r}: expected something like {DEFAULT_BASE_URL!r}.",
            setting="base_url",
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            "The base URL must not contain credentials; use api_key instead.", setting="base_url"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"The base URL {raw!r} must not have a query or fragment.", setting="base_url"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"Refusing plain-http base URL {raw!r}: the API key would travel unencrypted. "
            "Use https, or a loopback address (127.0.0.1, localhost) for the local sandbox.",
            setting="base_url",
        )
    return raw.rstrip("/")


def resolve_max_retries(max_retries: int) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(
            f"max_retries must be an integer >= 0, got {max_retries!r}", setting="max_retries"
        )
    return max_retries


@dataclass(frozen=True)
class ClientConfig:
    """Everything the sans-I/O core needs to know about a client."""

    api_key: Secret = field(repr=False)
    base_url: str
    max_retries: int = DEFAULT_MAX_RETRIES
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    value_checks: ValueChecks = "default"

    @classmethod
    def resolve(
        cls,
        *,
        api_key: Secret | None,
        base_url: object | None,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        value_checks: ValueChecks = "default",
    ) -> ClientConfig:
        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise ConfigurationError(
                f"retry_policy must be a RetryPolicy, got {type(retry_policy).__name__}",
                setting="retry_policy",
            )
        if value_checks not in VALUE_CHECKS:
            raise ConfigurationError(
                f"value_checks must be one of {', '.join(map(repr, VALUE_CHECKS))}, got "
                f"{value_checks!r}",
                setting="value_checks",
            )
        return cls(
            api_key=resolve_api_key(api_key),
            base_url=resolve_base_url(base_url),
            max_retries=resolve_max_retries(max_retries),
            retry_policy=retry_policy or RetryPolicy(),
            value_checks=value_checks,
        )


# -- the config file: profiles of keys ------------------------------------------------------------

#: The environment variable naming the profile to use (``--profile`` on the command line).
PROFILE_ENV = "AUDIENCELAB_PROFILE"
CONFIG_FILE_NAME = "config.toml"
_PROFILE_KEYS = ("api_key", "base_url")


def config_file_path() -> Path:
    """Where the config file is: ``config.toml`` in the user's config folder (``platformdirs``:
    ``$XDG_CONFIG_HOME/audiencelab``, default ``~/.config/audiencelab``, on Linux;
    ``~/Library/Application Support/audiencelab`` on macOS; ``%APPDATA%\\audiencelab`` on
    Windows)."""
    import platformdirs

    folder = platformdirs.user_config_dir("audiencelab", appauthor=False, roaming=True)
    return Path(folder) / CONFIG_FILE_NAME


@dataclass(frozen=True)
class ConfigProfile:
    """One ``[profiles.NAME]`` table of the config file. The key is masked at once, like every
    other key (:class:`Secret`); ``warnings`` say what is unsafe about the file (its mode)."""

    name: str
    path: Path
    api_key: Secret | None = field(default=None, repr=False)
    base_url: str | None = None
    warnings: tuple[str, ...] = ()


def _mode_warning(path: Path, mode: int) -> str | None:
    if os.name != "posix" or not mode & 0o077:
        return None
    return (
        f"{path} holds API keys and other users of this machine can read or change it (mode "
        f"{mode & 0o777:o}): make it private with `chmod 600 {path}`"
    )


def _closest_key(key: str) -> str:
    import difflib

    found = difflib.get_close_matches(key, _PROFILE_KEYS, n=1, cutoff=0.6)
    return (
        f"; did you mean {found[0]!r}?" if found else f"; a profile has {', '.join(_PROFILE_KEYS)}"
    )


def load_profile(
    name: str | None = None,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ConfigProfile | None:
    """The profile ``name`` (else ``$AUDIENCELAB_PROFILE``, else the file's ``default_profile``)
    of the config file, or None when none is asked for and the file names no default (or does
    not exist). A profile asked for by name that is not there, or a file that cannot be read,
    raises :class:`ConfigurationError` naming the file and the fix; the key is never shown::

        default_profile = "work"

        [profiles.work]
        api_key = "sk_live_..."

        [profiles.local]
        api_key = "sk_test_sandbox"
        base_url = "http://127.0.0.1:8765"
    """
    import tomllib

    env = os.environ if environ is None else environ
    path = config_file_path() if path is None else path
    wanted = name or env.get(PROFILE_ENV) or None
    try:
        mode = path.stat().st_mode
        raw = path.read_bytes()
    except FileNotFoundError:
        if wanted is None:
            return None
        raise ConfigurationError(
            f"profile {wanted!r} asked for, but there is no config file {path}: create it with a "
            f'[profiles.{wanted}] table holding api_key = "..."',
            setting="profile",
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the config file {path}: {exc.strerror or exc}", setting="profile"
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # tomllib's message names the line and column, never the value
        raise ConfigurationError(
            f"the config file {path} is not valid TOML: {exc}", setting="profile"
        ) from None
    del raw
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigurationError(
            f"{path}: profiles must be tables: [profiles.NAME]", setting="profile"
        )
    default = data.get("default_profile")
    if wanted is None:
        if default is None:
            return None
        if not isinstance(default, str):
            raise ConfigurationError(
                f"{path}: default_profile must be the name of a profile", setting="profile"
            )
        wanted = default
    table = profiles.get(wanted)
    if not isinstance(table, dict):
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigurationError(
            f"no profile {wanted!r} in {path} (its profiles: {known}); add a [profiles.{wanted}] "
            "table, or choose one of them",
            setting="profile",
        )
    for key in table:
        if key not in _PROFILE_KEYS:
            raise ConfigurationError(
                f"{path}, [profiles.{wanted}]: unknown key {key!r}{_closest_key(key)}",
                setting="profile",
            )
    key_value = table.get("api_key")
    base_url = table.get("base_url")
    if key_value is not None and not isinstance(key_value, str):
        raise ConfigurationError(
            f"{path}, [profiles.{wanted}]: api_key must be a string in quotes", setting="profile"
        )
    if base_url is not None and not isinstance(base_url, str):
        raise ConfigurationError(
            f"{path}, [profiles.{wanted}]: base_url must be a string in quotes", setting="profile"
        )
    secret = mask_api_key(key_value)
    del key_value, table, data, profiles
    warning = _mode_warning(path, mode)
    return ConfigProfile(
        name=wanted,
        path=path,
        api_key=secret,
        base_url=base_url,
        warnings=(warning,) if warning else (),
    )
