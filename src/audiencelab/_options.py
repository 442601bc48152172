"""Per-call options (``extra_headers``, ``extra_query``, ``timeout``, ``max_retries``), checked.

Pure: the sans-I/O core applies the headers and the query when it builds a request
(:func:`audiencelab._sansio.build_request`); the I/O shell reads ``timeout``. Every problem is
found before anything is sent, and reported at once.

The key header is protected: ``extra_headers`` can neither replace ``X-Api-Key`` nor carry the
key under another name, and ``extra_query`` cannot put it in a URL (URLs end up in errors and
logs). Headers the HTTP library owns (``Content-Length``, ``Transfer-Encoding``, ``Host``) are
refused too: they would change how a request is framed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from audiencelab._config import Secret
from audiencelab._exceptions import InputProblem, InputValidationError, PassArgument

__all__ = ["Headers", "Query", "RequestOptions", "check_against"]

Headers = Mapping[str, str]
Query = Mapping[str, str | int | float | bool]

API_KEY_HEADER = "x-api-key"
_FRAMING = frozenset({"content-length", "transfer-encoding", "host"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a header name (RFC 9110 token)
_VALUE = re.compile(r"[\t\x20-\x7e]*")  # a header value httpx2 sends as is (ASCII, no CR/LF)


@dataclass(frozen=True)
class RequestOptions:
    """Options of one call, applied to each of its requests (retries and redirects included).

    ``timeout`` is seconds or an ``httpx2.Timeout`` (None: the client's); ``max_retries``
    overrides the client's. ``extra_headers`` go only to the API's own origin, as the key does.
    """

    extra_headers: tuple[tuple[str, str], ...] = ()
    extra_query: tuple[tuple[str, str], ...] = ()
    timeout: Any = None
    max_retries: int | None = None

    @classmethod
    def of(
        cls,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: Any = None,
        max_retries: int | None = None,
    ) -> RequestOptions | None:
        """The options, checked (every problem at once); None when nothing was given."""
        if (
            extra_headers is None
            and extra_query is None
            and timeout is None
            and max_retries is None
        ):
            return None
        problems: list[InputProblem] = []
        headers = _headers(extra_headers, problems)
        query = _query(extra_query, problems)
        _check_timeout(timeout, problems)
        if max_retries is not None and (
            isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
        ):
            problems.append(
                InputProblem("max_retries", f"expected an integer >= 0, got {max_retries!r}")
            )
        if problems:
            raise InputValidationError(problems)
        return cls(headers, query, timeout, max_retries)

    def merged(self, other: RequestOptions | None) -> RequestOptions:
        """These options, then ``other``'s on top (headers and query added, the rest replaced)."""
        if other is None:
            return self
        return replace(
            self,
            extra_headers=self.extra_headers + other.extra_headers,
            extra_query=self.extra_query + other.extra_query,
            timeout=self.timeout if other.timeout is None else other.timeout,
            max_retries=self.max_retries if other.max_retries is None else other.max_retries,
        )


def _headers(given: object, problems: list[InputProblem]) -> tuple[tuple[str, str], ...]:
    if given is None:
        return ()
    if not isinstance(given, Mapping):
        problems.append(
            InputProblem("extra_headers", f"expected a dict of names to values, got {given!r}")
        )
        return ()
    headers: list[tuple[str, str]] = []
    for name, value in given.items():
        path = f"extra_headers[{name!r}]"
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            problems.append(InputProblem(path, "not a valid header name"))
            continue
        lowered = name.lower()
        if lowered == API_KEY_HEADER:
            problems.append(
                InputProblem(
                    path,
                    "the key header is set by the client from its api_key and cannot be replaced",
                    remedy=PassArgument("api_key", ..., "to the client (or to with_options)"),
                )
            )
            continue
        if lowered in _FRAMING:
            problems.append(InputProblem(path, "set by the HTTP library; it cannot be given"))
            continue
        if not isinstance(value, str) or not _VALUE.fullmatch(value):
            problems.append(
                InputProblem(
                    path, "expected a string of printable ASCII characters (no line breaks)"
                )
            )
            continue
        headers.append((name, value))
    return tuple(headers)


def _query(given: object, problems: list[InputProblem]) -> tuple[tuple[str, str], ...]:
    if given is None:
        return ()
    if not isinstance(given, Mapping):
        problems.append(
            InputProblem("extra_query", f"expected a dict of names to values, got {given!r}")
        )
        return ()
    params: list[tuple[str, str]] = []
    for name, value in given.items():
        path = f"extra_query[{name!r}]"
        if not isinstance(name, str) or not name:
            problems.append(InputProblem(path, "expected a non-empty string as the name"))
        elif isinstance(value, bool):
            params.append((name, "true" if value else "false"))
        elif isinstance(value, (str, int, float)):
            params.append((name, str(value)))
        else:
            problems.append(
                InputProblem(path, f"expected a string or a number, got {type(value).__name__}")
            )
    return tuple(params)


def _check_timeout(timeout: object, problems: list[InputProblem]) -> None:
    if timeout is None or hasattr(timeout, "as_dict"):  # an httpx2.Timeout: the shell's to read
        return
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        problems.append(
            InputProblem(
                "timeout", f"expected a positive number of seconds or a Timeout, got {timeout!r}"
            )
        )


def check_against(
    options: RequestOptions, key: Secret, sent_params: tuple[str, ...]
) -> list[InputProblem]:
    """What the options may not do to this request: carry the key (in a header under another
    name, or in the URL), or set a parameter the method itself sends (``page``...)."""
    problems: list[InputProblem] = []
    secret = key.reveal()
    for name, value in options.extra_headers:
        if secret in value:
            problems.append(
                InputProblem(
                    f"extra_headers[{name!r}]",
                    "holds the API key: the key is sent only as X-Api-Key, to the API's origin",
                )
            )
    for name, value in options.extra_query:
        if secret in value or secret in name:
            problems.append(
                InputProblem(
                    f"extra_query[{name!r}]",
                    "holds the API key: it would be in the URL, and URLs are logged",
                )
            )
        elif name in sent_params:
            problems.append(
                InputProblem(
                    f"extra_query[{name!r}]",
                    "set by the method itself",
                    remedy=PassArgument(name, ..., "to the method instead"),
                )
            )
    return problems
