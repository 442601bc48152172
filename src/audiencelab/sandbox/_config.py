"""Configuration of the sandbox: one frozen, validated dataclass."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from audiencelab.sandbox._endpoints import ATTRIBUTE_LISTS, canonical_endpoint
from audiencelab.sandbox._errors import ERROR_STYLES

__all__ = [
    "BODY_BUDGET_BYTES",
    "DEFAULT_API_KEY",
    "LIST_TOTAL_KEYS",
    "MAX_AUDIENCE_SIZE_LIMIT",
    "WEBHOOK_SCHEMES",
    "Flag",
    "SandboxConfig",
    "flag",
    "is_loopback_host",
    "listening_url",
    "serve_flags",
]

#: The key the sandbox accepts when none is configured. It is a *test* key on purpose: the sandbox
#: never accepts anything that looks like a live AudienceLab key.
DEFAULT_API_KEY = "sk_test_sandbox"

#: Largest audience the sandbox builds (an unverified "5,000,000 records per audience" claim in the
#: reference, §3.1.3).
MAX_AUDIENCE_SIZE_LIMIT = 5_000_000

#: The key of the total in list envelopes (reference §10: some clients saw ``total``).
LIST_TOTAL_KEYS = ("total_records", "total")
#: Request bodies read and parsed at once, in bytes, by default (chosen: two bodies of the 32 MiB
#: maximum, about 250 MB of memory while they are parsed; small bodies rarely wait at all).
BODY_BUDGET_BYTES = 64 * 1024 * 1024
#: Bounds shared by the fields' checks and their flags.
MAX_SECONDS = 86_400
MAX_LATENCY_MS = 60_000
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 3600

_LIVE_KEY = re.compile(r"^sk_live_", re.IGNORECASE)
_KEY_CHARS = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without spaces: a valid header value
_URL_CHARS = _KEY_CHARS


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


FlagKind = Literal["text", "integer", "number", "keys", "list", "url", "choice", "profile"]


@dataclass(frozen=True)
class Flag:
    """One command-line flag of ``audiencelab sandbox serve`` and ``python -m
    audiencelab.sandbox``: how it reads and which :class:`SandboxConfig` field it sets.

    Flags are declared once, as the metadata of the config's fields (:func:`flag`); both entry
    points are built from :data:`audiencelab.sandbox.SERVE_FLAGS`.
    """

    name: str
    field: str
    metavar: str
    help: str
    #: the default as typed on the command line ("" means "not given")
    default: str
    kind: FlagKind
    low: float = 0
    high: float = 0

    @property
    def option(self) -> str:
        return "--" + self.name


def flag(
    name: str, metavar: str, help: str, kind: FlagKind, low: float = 0, high: float = 0
) -> dict[str, Flag]:
    """The metadata that makes a config field a serve flag (its field name and default are
    filled in from the field by :func:`serve_flags`)."""
    return {"flag": Flag(name, "", metavar, help, "", kind, low, high)}


def _as_typed(value: Any) -> str:
    """A field's default as one would type it ("" for "not given")."""
    if value is None or isinstance(value, tuple):
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class SandboxConfig:
    """How a sandbox behaves. Every field has a safe default; all faults are off by default.

    ``build_seconds`` is how long a new audience stays "building"; ``enrichment_seconds`` is how long
    a bulk enrichment job takes to reach ``COMPLETED`` (``None``: the same as ``build_seconds``).
    ``latency_ms``, ``fail_rate``, ``drop_rate`` and ``rate_limit`` inject faults; ``seed`` makes the
    fault decisions reproducible (the synthetic data is deterministic whatever the seed). A field
    with ``flag`` metadata is a flag of ``audiencelab sandbox serve`` (the only place flags are
    declared).
    """

    host: str = field(
        default="127.0.0.1",
        metadata=flag("host", "HOST", "Address to listen on (loopback by default).", "text"),
    )
    port: int = field(
        default=8765,
        metadata=flag("port", "PORT", "TCP port; 0 picks a free one.", "integer", 0, 65535),
    )
    db: str = field(
        default=":memory:",
        metadata=flag("db", "PATH", "SQLite file that keeps state across restarts.", "text"),
    )
    api_keys: tuple[str, ...] = field(
        default=(DEFAULT_API_KEY,),
        metadata=flag(
            "api-key",
            "KEY",
            f"Accepted X-Api-Key (repeatable). Default: {DEFAULT_API_KEY}.",
            "keys",
        ),
    )
    build_seconds: float = field(
        default=3.0,
        metadata=flag(
            "build-seconds",
            "S",
            "Seconds an audience (or enrichment job) takes to build.",
            "number",
            0,
            MAX_SECONDS,
        ),
    )
    max_audience_size: int = field(
        default=10_000,
        metadata=flag(
            "max-audience-size",
            "N",
            "Largest audience, 1..5000000.",
            "integer",
            1,
            MAX_AUDIENCE_SIZE_LIMIT,
        ),
    )
    latency_ms: float = field(
        default=0,
        metadata=flag(
            "latency", "MS", "Delay added to every API response.", "number", 0, MAX_LATENCY_MS
        ),
    )
    fail_rate: float = field(
        default=0.0,
        metadata=flag(
            "fail-rate", "P", "Share of requests answered 500/502/503/504.", "number", 0, 1
        ),
    )
    drop_rate: float = field(
        default=0.0,
        metadata=flag(
            "drop-rate", "P", "Share of connections closed without a response.", "number", 0, 1
        ),
    )
    rate_limit: float | None = field(
        default=None,
        metadata=flag(
            "rate-limit",
            "N",
            "Requests per second per key before 429 (default: none).",
            "number",
            0.001,
            1_000_000,
        ),
    )
    seed: int | None = field(
        default=None,
        metadata=flag("seed", "N", "Make injected faults reproducible.", "integer", 0, 2**63 - 1),
    )
    enrichment_seconds: float | None = None
    #: share of successful writes that are committed and then answered 502/503/504 or dropped
    fail_after_commit_rate: float = field(
        default=0.0,
        metadata=flag(
            "fail-after-commit-rate",
            "P",
            "Share of successful writes committed, then answered 502/503/504 or dropped.",
            "number",
            0,
            1,
        ),
    )
    #: shape of error bodies: "object" {"error": {"code", "message"}}, "string" {"error": "..."},
    #: "message" {"message": "..."} (reference §1: clients read all three)
    error_style: str = field(
        default="object",
        metadata=flag(
            "error-style",
            "STYLE",
            'Error bodies: object {"error": {"code", "message"}}, string {"error": "..."}, '
            'or message {"message": "..."}.',
            "choice",
        ),
    )
    #: key of the total in list envelopes: "total_records" or "total" (reference §10)
    list_total_key: str = field(
        default="total_records",
        metadata=flag(
            "list-total-key",
            "KEY",
            "The total of list envelopes: total_records or total.",
            "choice",
        ),
    )
    #: share of enrichment jobs that end FAILED (decided when a job is created; seeded)
    job_fail_rate: float = field(
        default=0.0,
        metadata=flag(
            "job-fail-rate", "P", "Share of enrichment jobs that end FAILED.", "number", 0, 1
        ),
    )
    #: where clients reach the sandbox (behind a proxy, say); the sandbox builds the URLs it
    #: hands out (``csv_url``, ``install_url``) from this, never from the request's ``Host``
    public_url: str | None = field(
        default=None,
        metadata=flag(
            "public-url",
            "URL",
            "URL clients use to reach the sandbox (behind a proxy); links it hands out start "
            "with it.",
            "url",
        ),
    )
    #: seconds a request's headers may take to arrive (from the connection opening, or from its
    #: first byte on a kept-alive connection), and its body after the headers; then the
    #: connection is closed (slow or stalled clients cannot hold connections forever)
    header_timeout: float = field(
        default=10.0,
        metadata=flag(
            "header-timeout",
            "S",
            "Seconds a request's headers may take to arrive before the connection is closed.",
            "number",
            MIN_TIMEOUT,
            MAX_TIMEOUT,
        ),
    )
    body_timeout: float = field(
        default=30.0,
        metadata=flag(
            "body-timeout",
            "S",
            "Seconds a request's body may take after its headers before the connection is closed.",
            "number",
            MIN_TIMEOUT,
            MAX_TIMEOUT,
        ),
    )
    #: bytes of request bodies read and parsed at once; a body beyond waits its turn, then is
    #: answered 503 with Retry-After (parsing takes ~3.5x a body's size in memory)
    body_budget_bytes: int = BODY_BUDGET_BYTES
    #: the API as a key may see it (``audiencelab doctor`` finds these; ``--profile`` sets them):
    #: the attribute lists served (the others answer 404), endpoints that answer 404 as if the API
    #: had none, and endpoints that answer 403 as for a key without that scope ("GET /pixels")
    attribute_lists: tuple[str, ...] = field(
        default=ATTRIBUTE_LISTS,
        metadata=flag(
            "attribute-list",
            "NAME",
            "Serve only this attribute list; the others answer 404 (repeatable). Default: all six.",
            "list",
        ),
    )
    missing_endpoints: tuple[str, ...] = field(
        default=(),
        metadata=flag(
            "missing-endpoint",
            "ENDPOINT",
            "Answer 404 for this endpoint, e.g. 'GET /pixels' (repeatable).",
            "list",
        ),
    )
    forbidden_endpoints: tuple[str, ...] = field(
        default=(),
        metadata=flag(
            "forbidden-endpoint",
            "ENDPOINT",
            "Answer 403 (missing permission) for this endpoint, e.g. 'GET /enrichments' "
            "(repeatable).",
            "list",
        ),
    )
    #: pixel webhooks (``_deliveries.py``): attempts per delivery, the first retry's delay (then
    #: doubled, up to WEBHOOK_BACKOFF_CAP), the seconds a receiver has to answer, an optional
    #: schedule, the hosts besides loopback deliveries may go to ("*": any), the signing scheme
    webhook_attempts: int = field(default=5, metadata=flag(
        "webhook-attempts", "N", "Attempts per webhook delivery (retried on errors and timeouts).",
        "integer", 1, 20))  # fmt: skip
    webhook_backoff: float = field(default=1.0, metadata=flag(
        "webhook-backoff", "S", "Seconds before a webhook's first retry (then doubled, up to 60).",
        "number", 0, 3600))  # fmt: skip
    webhook_timeout: float = field(default=15.0, metadata=flag(
        "webhook-timeout", "S", "Seconds a webhook receiver has to answer before a retry.",
        "number", MIN_TIMEOUT, MAX_TIMEOUT))  # fmt: skip
    webhook_every: float | None = field(default=None, metadata=flag(
        "webhook-every", "S", "Also deliver one event to every pixel with a webhook_url every S "
        "seconds (default: only on trigger).", "number", 0.05, MAX_SECONDS))  # fmt: skip
    webhook_allow_hosts: tuple[str, ...] = field(default=(), metadata=flag(
        "webhook-allow-host", "HOST", "Deliver webhooks to this host too (only loopback by "
        "default); * allows any (repeatable).", "list"))  # fmt: skip
    webhook_scheme: str = field(default="hmac-sha256", metadata=flag(
        "webhook-scheme", "SCHEME", "How deliveries are signed: hmac-sha256 "
        "(x-audiencelab-signature), secret (x-audiencelab-secret) or both.", "choice"))  # fmt: skip
    #: extra uvicorn log output (the CLI keeps it quiet)
    log_level: str = field(default="warning", compare=False)

    def __post_init__(self) -> None:
        keys: Any = self.api_keys
        if isinstance(keys, str):
            keys = (keys,)
        try:
            keys = tuple(keys)
        except TypeError:
            raise ValueError("api_keys must be a sequence of strings") from None
        object.__setattr__(self, "api_keys", keys)
        _check_variants(self)
        self._validate()

    def _validate(self) -> None:
        if not isinstance(self.host, str) or not self.host.strip():
            raise ValueError("host must be a non-empty string")
        if (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 0 <= self.port <= 65535
        ):
            raise ValueError(f"port must be an integer between 0 and 65535 (got {self.port!r})")
        if not isinstance(self.db, str) or not self.db:
            raise ValueError("db must be ':memory:' or a file path")
        if not self.api_keys:
            raise ValueError("api_keys must contain at least one key")
        for key in self.api_keys:
            if not isinstance(key, str) or not _KEY_CHARS.match(key):
                raise ValueError(
                    f"API key {key!r} is not valid: use printable ASCII without spaces, "
                    "e.g. 'sk_test_mykey'"
                )
            if _LIVE_KEY.match(key):
                raise ValueError(
                    "an API key starting with sk_live_ looks like a real AudienceLab key; the "
                    "sandbox only accepts test keys (e.g. 'sk_test_mykey') so that a real key "
                    "never ends up in it"
                )
        if len(set(self.api_keys)) != len(self.api_keys):
            raise ValueError("api_keys contains the same key twice")
        if not is_loopback_host(self.host) and DEFAULT_API_KEY in self.api_keys:
            raise ValueError(
                f"host {self.host} is not a loopback address, so other machines could reach the "
                f"sandbox with the published default key {DEFAULT_API_KEY}: give it keys of "
                "your own (--api-key / api_keys), or use 127.0.0.1"
            )
        self._check_seconds("build_seconds", self.build_seconds)
        if self.enrichment_seconds is not None:
            self._check_seconds("enrichment_seconds", self.enrichment_seconds)
        size = self.max_audience_size
        if isinstance(size, bool) or not isinstance(size, int):
            raise ValueError(f"max_audience_size must be an integer (got {size!r})")
        if not 1 <= size <= MAX_AUDIENCE_SIZE_LIMIT:
            raise ValueError(
                f"max_audience_size must be between 1 and {MAX_AUDIENCE_SIZE_LIMIT:,} (got {size:,})"
            )
        if not _is_number(self.latency_ms) or not math.isfinite(self.latency_ms):
            raise ValueError(f"latency_ms must be a number (got {self.latency_ms!r})")
        if not 0 <= self.latency_ms <= MAX_LATENCY_MS:
            raise ValueError(
                f"latency_ms must be between 0 and {MAX_LATENCY_MS} (got {self.latency_ms})"
            )
        for name in ("fail_rate", "drop_rate", "fail_after_commit_rate", "job_fail_rate"):
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1 (got {value!r})")
        if self.fail_rate + self.drop_rate > 1.0:
            raise ValueError("fail_rate + drop_rate must not exceed 1")
        if self.error_style not in ERROR_STYLES:
            raise ValueError(
                f"error_style must be one of {', '.join(ERROR_STYLES)} (got {self.error_style!r})"
            )
        if self.list_total_key not in LIST_TOTAL_KEYS:
            raise ValueError(
                "list_total_key must be one of "
                f"{', '.join(LIST_TOTAL_KEYS)} (got {self.list_total_key!r})"
            )
        if self.rate_limit is not None and (
            not _is_number(self.rate_limit)
            or not math.isfinite(self.rate_limit)
            or self.rate_limit <= 0
        ):
            raise ValueError(
                f"rate_limit must be a positive number of requests per second (got {self.rate_limit!r})"
            )
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise ValueError(f"seed must be an integer (got {self.seed!r})")
        for name in ("header_timeout", "body_timeout"):
            value = getattr(self, name)
            if (
                not _is_number(value)
                or not math.isfinite(value)
                or not MIN_TIMEOUT <= value <= MAX_TIMEOUT
            ):
                raise ValueError(
                    f"{name} must be a number of seconds between {MIN_TIMEOUT:g} and "
                    f"{MAX_TIMEOUT:g} (got {value!r})"
                )
        budget = self.body_budget_bytes
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1024 * 1024:
            raise ValueError(
                f"body_budget_bytes must be an integer of at least 1 MiB (got {budget!r})"
            )
        if self.public_url is not None:
            object.__setattr__(self, "public_url", _check_public_url(self.public_url))
        _check_webhooks(self)
        if self.log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
            raise ValueError(f"log_level {self.log_level!r} is not a uvicorn log level")

    @staticmethod
    def _check_seconds(name: str, value: Any) -> None:
        if not _is_number(value) or not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
            raise ValueError(
                f"{name} must be a number of seconds between 0 and {MAX_SECONDS} (got {value!r})"
            )

    @property
    def job_seconds(self) -> float:
        """How long an enrichment job takes from ``IN_QUEUE`` to ``COMPLETED``."""
        return self.build_seconds if self.enrichment_seconds is None else self.enrichment_seconds

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def bind_host(self) -> str:
        """The host to bind: IPv6 addresses may be written in brackets (``[::1]``)."""
        host = self.host.strip()
        if host.startswith("[") and host.endswith("]"):
            return host[1:-1]
        return host

    @property
    def base_url(self) -> str:
        """The URL the sandbox puts in the links it hands out: ``public_url`` if set, else its own
        listening address (a wildcard address such as 0.0.0.0 becomes loopback)."""
        if self.public_url is not None:
            return self.public_url
        return listening_url(self.host, self.port)


def _names(config: SandboxConfig, name: str) -> tuple[str, ...]:
    value: Any = getattr(config, name)
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{name} must be a list of strings (got {value!r})")
    return tuple(value)


def _check_variants(config: SandboxConfig) -> None:
    """The attribute lists and endpoints, checked and spelled as the sandbox names them."""
    lists = _names(config, "attribute_lists")
    unknown = [n for n in lists if n not in ATTRIBUTE_LISTS]
    if unknown:
        raise ValueError(
            f"attribute_lists: {', '.join(map(repr, unknown))} is not an attribute list (use "
            f"{', '.join(ATTRIBUTE_LISTS)})"
        )
    object.__setattr__(config, "attribute_lists", tuple(dict.fromkeys(lists)))
    for name in ("missing_endpoints", "forbidden_endpoints"):
        try:
            endpoints = tuple(dict.fromkeys(canonical_endpoint(e) for e in _names(config, name)))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        object.__setattr__(config, name, endpoints)


WEBHOOK_SCHEMES = ("hmac-sha256", "secret", "both")


def _check_webhooks(config: SandboxConfig) -> None:
    n = config.webhook_attempts
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 20:
        raise ValueError(f"webhook_attempts must be an integer between 1 and 20 (got {n!r})")
    every = config.webhook_every
    for name, value, low, high in (
        ("webhook_backoff", config.webhook_backoff, 0, 3600),
        ("webhook_timeout", config.webhook_timeout, MIN_TIMEOUT, MAX_TIMEOUT),
        ("webhook_every", 1.0 if every is None else every, 0.05, MAX_SECONDS),
    ):
        if not _is_number(value) or not math.isfinite(value) or not low <= value <= high:
            raise ValueError(
                f"{name} must be a number of seconds between {low:g} and {high:g} (got {value!r})"
            )
    hosts = _names(config, "webhook_allow_hosts")
    if not all(isinstance(h, str) and h.strip() and _KEY_CHARS.match(h) for h in hosts):
        raise ValueError(f"webhook_allow_hosts must be host names or '*' (got {hosts!r})")
    object.__setattr__(config, "webhook_allow_hosts", tuple(h.strip().lower() for h in hosts))
    if config.webhook_scheme not in WEBHOOK_SCHEMES:
        raise ValueError(
            f"webhook_scheme must be one of {', '.join(WEBHOOK_SCHEMES)} "
            f"(got {config.webhook_scheme!r})"
        )


def serve_flags() -> tuple[Flag, ...]:
    """The serve flags, in the order of the config's fields: the fields with ``flag`` metadata,
    each completed with its field name and default."""
    return tuple(
        replace(f.metadata["flag"], field=f.name, default=_as_typed(f.default))
        for f in fields(SandboxConfig)
        if "flag" in f.metadata
    )


def listening_url(host: str, port: int) -> str:
    """``http://host:port``, with IPv6 addresses in brackets and wildcards as loopback."""
    name = host.strip().strip("[]")
    if name in ("0.0.0.0", ""):
        name = "127.0.0.1"
    elif name == "::":
        name = "::1"
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}"


def _check_public_url(url: Any) -> str:
    from urllib.parse import urlsplit

    rule = (
        "public_url must be an http(s) URL without query or fragment, such as "
        f"'https://sandbox.example.com' (got {url!r})"
    )
    if not isinstance(url, str) or not _URL_CHARS.match(url):
        raise ValueError(rule)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError(rule) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(rule)
    return url.rstrip("/")


def is_loopback_host(host: str) -> bool:
    """True for hosts that only this machine can reach."""
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
