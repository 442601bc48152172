"""One exception hierarchy for everything the SDK raises.

::

    AudienceLabError
    ├── ConfigurationError: a client setting (key, base URL, timeout...) is missing or unusable
    ├── InputValidationError (also ValueError): bad input, refused before anything is sent
    │   └── FilterValidationError: bad audience filters / create or preview arguments
    ├── WaitTimeoutError (also TimeoutError): a wait_* helper gave up
    └── APIError: something went wrong talking to the API
        ├── APIStatusError: the API answered with a 4xx/5xx status
        │   ├── BadRequestError (400), AuthenticationError (401), PermissionDeniedError (403),
        │   ├── NotFoundError (404), ConflictError (409), UnprocessableEntityError (422),
        │   └── RateLimitError (429), InternalServerError (5xx)
        ├── APIResponseValidationError: a 2xx answer we could not understand
        ├── AudienceNotReadyError: ``{"status": "no data"}``, the audience is still being built
        └── APIConnectionError: no usable answer (refused, reset, dropped)
            └── APITimeoutError

Messages never contain the API key: exceptions only ever see the method, the URL (which never
carries the key) and the response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AudienceLabError",
    "AudienceNotReadyError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "FilterValidationError",
    "InputProblem",
    "InputValidationError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "WaitTimeoutError",
]


class AudienceLabError(Exception):
    """Base class of every exception raised by this package."""


@dataclass(frozen=True)
class InputProblem:
    """One problem with the caller's input: where (``filters.zipCode``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigurationError(AudienceLabError):
    """A client setting is missing or not usable; ``setting`` names it (``api_key``, ``base_url``...)."""

    def __init__(self, message: str, *, setting: str) -> None:
        super().__init__(message)
        self.setting = setting


class InputValidationError(AudienceLabError, ValueError):
    """Input refused before anything was sent. Lists every problem found, not only the first."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems with the request (nothing was sent):"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class FilterValidationError(InputValidationError):
    """Audience filters or create/preview arguments refused before anything was sent.

    The real API silently ignores unknown filter keys and returns an unfiltered audience, so a
    misspelled key is an error here, with a suggestion where one is close.
    """


class WaitTimeoutError(AudienceLabError, TimeoutError):
    """A ``wait_*`` helper ran out of time before the resource was ready."""


class APIError(AudienceLabError):
    """A request to the API failed.

    ``outcome_unknown`` is True when the request may or may not have taken effect on the server
    (the body was sent and no usable answer came back); the message then says how to check.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.outcome_unknown = outcome_unknown


class APIResponseValidationError(APIError):
    """The API answered with success, but not in a shape this SDK understands."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        body: Any = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.body = body
        self.status_code = status_code


class AudienceNotReadyError(APIError):
    """The audience has no records to read yet: the API answered ``{"status": "no data"}``.

    A new audience answers like this while it is being built (seconds to minutes); an audience that
    matched nobody may answer like this for good. ``client.audiences.wait_until_ready()`` waits.
    """

    def __init__(
        self, audience_id: str, *, method: str | None = None, url: str | None = None
    ) -> None:
        super().__init__(
            f"audience {audience_id} has no data yet: it is probably still being built (or it "
            "matched nobody). Wait with client.audiences.wait_until_ready(audience_id).",
            method=method,
            url=url,
        )
        self.audience_id = audience_id


class APIConnectionError(APIError):
    """No usable HTTP answer: the connection was refused, reset or dropped."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connecting, waiting for the answer, or waiting for a pool slot)."""


class APIStatusError(APIError):
    """The API answered with an error status. ``code`` and ``message`` come from its body."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        body: Any = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        url: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message, method=method, url=url, outcome_unknown=outcome_unknown)
        self.status_code = status_code
        self.code = code
        self.body = body
        self.request_id = request_id
        self.headers: Mapping[str, str] = dict(headers or {})

    def __str__(self) -> str:
        parts = [f"HTTP {self.status_code}"]
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + f": {self.message}"
        if self.method and self.url:
            text += f" ({self.method} {self.url})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class BadRequestError(APIStatusError):
    """400: the API refused the request body or parameters (``code`` is often VALIDATION_ERROR)."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or not valid."""


class PermissionDeniedError(APIStatusError):
    """403: the API key may not do this (e.g. a scoped key)."""


class NotFoundError(APIStatusError):
    """404: no such audience, job, pixel or segment (for this API key)."""


class ConflictError(APIStatusError):
    """409."""


class UnprocessableEntityError(APIStatusError):
    """422."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds, when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: the API failed on its side."""


STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    if status_code >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status_code, APIStatusError)
