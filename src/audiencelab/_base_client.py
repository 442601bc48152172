"""What the sync and async clients share: settings, options, and a repr without the key."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx2

from audiencelab._config import ClientConfig, Secret, mask_api_key
from audiencelab._http import HTTPX2, HttpLibrary, TimeoutTypes, library_of, resolve_timeout
from audiencelab._options import RequestOptions
from audiencelab._retry import RetryPolicy
from audiencelab._sansio import Call, Operation
from audiencelab._value_checks import ValueChecks

if TYPE_CHECKING:
    from typing import Self

T = TypeVar("T")
HttpT = TypeVar("HttpT", httpx2.Client, httpx2.AsyncClient)

__all__ = ["BaseClient"]


class BaseClient(Generic[HttpT]):
    """Settings and options of a client; the subclasses move the bytes."""

    _config: ClientConfig
    _http: HttpT
    _library: HttpLibrary
    _owns_http: bool
    # Per request: ours, or (for a client the caller brought without asking for ours) its own.
    _request_timeout: httpx2.Timeout | Any

    def _setup(
        self,
        *,
        api_key: Secret | None,
        base_url: str | httpx2.URL | None,
        timeout: TimeoutTypes,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        value_checks: ValueChecks,
        http_client: HttpT | None,
        new_http: Callable[..., HttpT],
        asynchronous: bool,
    ) -> None:
        config = ClientConfig.resolve(
            api_key=api_key,
            base_url=base_url,
            max_retries=max_retries,
            retry_policy=retry_policy,
            value_checks=value_checks,
        )
        resolved = resolve_timeout(timeout)
        if http_client is None:
            self._bind(
                config,
                new_http(timeout=resolved),
                HTTPX2,
                owns_http=True,
                request_timeout=resolved,
            )
            return
        library = library_of(http_client, asynchronous=asynchronous)
        # A client the caller brought keeps its own timeouts unless they asked for ours.
        request_timeout = (
            library.use_client_default if timeout is None else library.timeout(resolved)
        )
        self._bind(config, http_client, library, owns_http=False, request_timeout=request_timeout)

    def _bind(
        self,
        config: ClientConfig,
        http: HttpT,
        library: HttpLibrary,
        *,
        owns_http: bool,
        request_timeout: httpx2.Timeout | Any,
    ) -> None:
        self._config = config
        self._http = http
        self._library = library
        self._owns_http = owns_http
        self._request_timeout = request_timeout

    def with_options(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx2.URL | None = None,
        timeout: TimeoutTypes = None,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        value_checks: ValueChecks | None = None,
    ) -> Self:
        """A copy of this client with some options changed; the rest, and the connection pool,
        are shared. ``client.with_options(max_retries=0).audiences.create(...)`` changes retries
        for that call only. Closing the copy leaves the pool open: close the original."""
        key = self._config.api_key if api_key is None else mask_api_key(api_key)
        del api_key  # no frame below holds the key in clear (a traceback shows their locals)
        config = ClientConfig.resolve(
            api_key=key,
            base_url=self._config.base_url if base_url is None else base_url,
            max_retries=self._config.max_retries if max_retries is None else max_retries,
            retry_policy=retry_policy or self._config.retry_policy,
            value_checks=value_checks or self._config.value_checks,
        )
        request_timeout = (
            self._request_timeout
            if timeout is None
            else self._library.timeout(resolve_timeout(timeout))
        )
        copy = object.__new__(type(self))
        copy._bind(
            config, self._http, self._library, owns_http=False, request_timeout=request_timeout
        )
        return copy

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        return self._config.max_retries

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._config.retry_policy

    @property
    def value_checks(self) -> ValueChecks:
        """How filter values are checked: ``"default"``, ``"strict"`` or ``"off"``."""
        return self._config.value_checks

    @property
    def timeout(self) -> httpx2.Timeout | None:
        """The timeouts sent with each request (None: the brought ``http_client``'s own)."""
        timeout = self._request_timeout
        if timeout is self._library.use_client_default:
            return None
        return (
            timeout if isinstance(timeout, httpx2.Timeout) else httpx2.Timeout(**timeout.as_dict())
        )

    def _call(
        self,
        op: Operation[T],
        options: RequestOptions | None,
        on_retry: Callable[[int | None], None] | None,
        max_retries: int | None,
    ) -> Call[T]:
        return Call(
            self._config,
            op,
            options=options,
            max_retries=max_retries,
            rand=random.random,
            on_retry=on_retry,
        )

    def _timeout_for(self, options: RequestOptions | None, timeout: TimeoutTypes) -> Any:
        """The timeouts of one call: ``timeout``, else the options', else the client's."""
        if timeout is None and options is not None:
            timeout = options.timeout
        if timeout is None:
            return self._request_timeout
        return self._library.timeout(resolve_timeout(timeout))

    def __repr__(self) -> str:
        config = getattr(self, "_config", None)  # an error reporter may show a client half-made
        if config is None:
            return f"{type(self).__name__}(<not configured>)"
        return (
            f"{type(self).__name__}(base_url={config.base_url!r}, max_retries={config.max_retries})"
        )
