"""Client settings: the API key (kept secret), the base URL (checked), timeouts and retries."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from audiencelab._exceptions import ConfigurationError
from audiencelab._version import __version__

API_KEY_ENV = "AUDIENCELAB_API_KEY"
BASE_URL_ENV = "AUDIENCELAB_BASE_URL"
DEFAULT_BASE_URL = "https://api.audiencelab.io"
DEFAULT_MAX_RETRIES = 2
# Reads of big record pages can be slow on the real service; connecting should never be.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
USER_AGENT = f"audiencelab-python/{__version__}"

TimeoutTypes = float | httpx.Timeout | None


class Secret:
    """A string that never shows itself in ``repr``/``str``, so it cannot leak into logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("API keys are not pickled")


def resolve_api_key(api_key: str | None, environ: Mapping[str, str] | None = None) -> Secret:
    env = os.environ if environ is None else environ
    value = api_key if api_key is not None else env.get(API_KEY_ENV)
    if value is None or not value.strip():
        raise ConfigurationError(
            f"No API key: set the {API_KEY_ENV} environment variable (or pass api_key=...). "
            "Keys are created in the AudienceLab dashboard under Settings > API Keys. "
            "To work offline, start the local sandbox (`audiencelab sandbox serve`) and point "
            f"{BASE_URL_ENV} at it.",
            setting="api_key",
        )
    if value != value.strip() or any(ch in value for ch in "\r\n\t\x00 "):
        # Never echo the value: a malformed key is still a secret.
        raise ConfigurationError(
            "The API key contains whitespace or control characters; copy it again from the dashboard.",
            setting="api_key",
        )
    return Secret(value)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(
    base_url: str | httpx.URL | None, environ: Mapping[str, str] | None = None
) -> str:
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
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"Refusing plain-http base URL {raw!r}: the API key would travel unencrypted. "
            "Use https, or a loopback address (127.0.0.1, localhost) for the local sandbox.",
            setting="base_url",
        )
    return raw.rstrip("/")


def resolve_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigurationError(
            f"timeout must be a positive number of seconds, got {timeout!r}", setting="timeout"
        )
    return httpx.Timeout(
        float(timeout), connect=min(float(timeout), DEFAULT_TIMEOUT.connect or 10.0)
    )


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
    timeout: httpx.Timeout
    max_retries: int

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: TimeoutTypes,
        max_retries: int,
    ) -> ClientConfig:
        return cls(
            api_key=resolve_api_key(api_key),
            base_url=resolve_base_url(base_url),
            timeout=resolve_timeout(timeout),
            max_retries=resolve_max_retries(max_retries),
        )
