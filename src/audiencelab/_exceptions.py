"""One exception hierarchy for everything the SDK raises.

::

    AudienceLabError
    ├── ConfigurationError: a client setting (key, base URL, timeout...) is missing or unusable
    ├── InputValidationError (also ValueError): bad input, refused before anything is sent
    │   └── FilterValidationError: bad audience filters / create or preview arguments
    ├── WaitTimeoutError (also TimeoutError): a wait_* helper gave up
    ├── AudienceTooSmallError: create(min_count=N) found fewer people; nothing created
    ├── EnrichmentJobFailedError: an enrichment job ended FAILED
    ├── ExportStateError (also RuntimeError): an export sink used out of order (a bug)
    ├── WebhookError: a webhook delivery refused by ``audiencelab.webhooks``
    │   ├── WebhookSignatureError: missing header, wrong secret, wrong or malformed signature
    │   └── WebhookPayloadError (also ValueError): a body that is not pixel events
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

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AudienceLabError",
    "AudienceNotReadyError",
    "AudienceTooSmallError",
    "AuthenticationError",
    "BadRequestError",
    "CallMethod",
    "ConfigurationError",
    "ConflictError",
    "EnrichmentJobFailedError",
    "FilterValidationError",
    "FilterValueWarning",
    "InputProblem",
    "InputValidationError",
    "InternalServerError",
    "NotFoundError",
    "PassArgument",
    "PermissionDeniedError",
    "RateLimitError",
    "Remedy",
    "UnprocessableEntityError",
    "WaitTimeoutError",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSignatureError",
]

Loc = tuple[str | int, ...]
_PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def _sentence(text: str, purpose: str) -> str:
    return f"{text} {purpose}" if purpose else text


@dataclass(frozen=True)
class PassArgument:
    """A next step, as data: call again with the argument ``name=value``.

    ``value`` is ``...`` when any value will do (``pass format=...``). Front ends say it in their
    own words: the CLI turns ``PassArgument("overwrite", True)`` into ``add --overwrite``.
    """

    name: str
    value: Any = ...
    purpose: str = ""

    def __str__(self) -> str:
        shown = "..." if self.value is ... else repr(self.value)
        return _sentence(f"pass {self.name}={shown}", self.purpose)


@dataclass(frozen=True)
class CallMethod:
    """A next step, as data: call a method of the client, e.g. ``client.audiences.list()``.

    ``method`` is its dotted name under the client (``"audiences.list"``); ``args`` its
    positional arguments.
    """

    method: str
    args: tuple[Any, ...] = ()
    purpose: str = ""

    def __str__(self) -> str:
        args = ", ".join(map(repr, self.args))
        return _sentence(f"call client.{self.method}({args})", self.purpose)


Remedy = PassArgument | CallMethod


def _join(text: str, sentence: str) -> str:
    """``text`` followed by ``sentence``, each ending with a full stop."""
    if not sentence:
        return text
    sentence = sentence[:1].upper() + sentence[1:]
    if not sentence.endswith((".", "?", "!")):
        sentence += "."
    text = text.rstrip()
    if not text:
        return sentence
    return f"{text}{'' if text.endswith(('.', '?', '!')) else '.'} {sentence}"


class AudienceLabError(Exception):
    """Base class of every exception raised by this package.

    ``remedy`` is what to do next as data (a :class:`PassArgument` or :class:`CallMethod`), or
    None; the message ends with it in Python terms, and :meth:`describe` lets another front end
    (the CLI) say it in its own.
    """

    remedy: Remedy | None = None

    def __init__(self, message: str, *, remedy: Remedy | None = None) -> None:
        super().__init__(message)
        self.message = message
        if remedy is not None:
            self.remedy = remedy

    @property
    def summary(self) -> str:
        """What went wrong, without the remedy."""
        return self.message

    def describe(self, say: Callable[[Remedy], str] = str) -> str:
        """The summary followed by the remedy, said by ``say`` (default: in Python terms)."""
        return _join(self.summary, say(self.remedy) if self.remedy is not None else "")

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class InputProblem:
    """One problem with the caller's input, as data.

    ``path`` says where (``filters.zipCode``, ``records[3].phone``); ``message`` what is wrong;
    ``suggestion`` the corrected value or key when there is one (``"zip"``), else None; ``remedy``
    an argument to pass or a method to call instead. ``loc`` is the path as a tuple of keys and
    indexes, for front ends that name things their own way (a CSV line instead of ``records[3]``).
    """

    path: str
    message: str
    suggestion: Any = None
    remedy: Remedy | None = None
    loc: Loc = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.loc and self.path:
            parts: list[str | int] = []
            for index, key in _PATH_PART.findall(self.path):
                parts.append(int(index) if index else key)
            object.__setattr__(self, "loc", tuple(parts))

    @classmethod
    def at(
        cls, loc: Loc, message: str, suggestion: Any = None, remedy: Remedy | None = None
    ) -> InputProblem:
        """A problem at ``loc``, e.g. ``("records", 3, "phone")`` (keys may hold any character)."""
        return cls(join_path(loc), message, suggestion, remedy, loc)

    def describe(self, say: Callable[[Remedy], str] = str, *, path: str | None = None) -> str:
        """One line: path, message, ``did you mean ...?`` and the remedy said by ``say``."""
        text = self.message
        if self.suggestion is not None:
            text += f"; did you mean {self.suggestion!r}?"
        if self.remedy is not None:
            text += f"; {say(self.remedy)}"
        shown = self.path if path is None else path
        return f"{shown}: {text}" if shown else text

    def __str__(self) -> str:
        return self.describe()


def join_path(loc: Sequence[str | int], prefix: str = "") -> str:
    """``("records", 3, "phone")`` -> ``records[3].phone``."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


class ConfigurationError(AudienceLabError):
    """A client setting is missing or not usable; ``setting`` names it (``api_key``, ``base_url``...)."""

    def __init__(self, message: str, *, setting: str) -> None:
        super().__init__(message)
        self.setting = setting


MAX_PROBLEMS_LISTED = 20


class InputValidationError(AudienceLabError, ValueError):
    """Input refused before anything was sent. Lists every problem found, not only the first."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        super().__init__(self.describe())

    @property
    def summary(self) -> str:
        return self.describe()

    def describe(self, say: Callable[[Remedy], str] = str) -> str:
        shown = [p.describe(say) for p in self.problems[:MAX_PROBLEMS_LISTED]]
        if len(self.problems) > MAX_PROBLEMS_LISTED:
            shown.append(f"... and {len(self.problems) - MAX_PROBLEMS_LISTED:,} more")
        if len(shown) == 1:
            return shown[0]
        return "\n".join(
            [f"{len(self.problems)} problems with the request (nothing was sent):"]
            + [f"  - {line}" for line in shown]
        )


class FilterValidationError(InputValidationError):
    """Audience filters or create/preview arguments refused before anything was sent.

    The real API silently ignores unknown filter keys and returns an unfiltered audience, so a
    misspelled key is an error here, with a suggestion where one is close.
    """


class WaitTimeoutError(AudienceLabError, TimeoutError):
    """A ``wait_*`` helper ran out of time before the resource was ready."""


class AudienceTooSmallError(AudienceLabError):
    """``create(..., min_count=N)``: the preview counted fewer than N people; nothing was
    created. ``count`` is what the preview counted, ``min_count`` what was asked for."""

    def __init__(self, count: int, min_count: int) -> None:
        super().__init__(
            f"only {count:,} people match these filters, fewer than the {min_count:,} asked for "
            "(min_count): nothing was created"
        )
        self.count = count
        self.min_count = min_count


class FilterValueWarning(UserWarning):
    """A filter value that is sent although it is not among the known values of its filter.

    Issued by ``warnings.warn`` (so ``warnings.simplefilter("error", FilterValueWarning)`` turns
    it into an error), and for the warnings the sandbox sends in ``X-Sandbox-Filter-Warnings``.
    """


class EnrichmentJobFailedError(AudienceLabError):
    """An enrichment job ended ``FAILED``: it has no results. ``job`` is the job as last seen."""

    def __init__(self, job: Any) -> None:
        super().__init__(
            f"enrichment job {job.id} failed on AudienceLab's side: it has no results; "
            "create the job again"
        )
        self.job = job


class WebhookError(AudienceLabError):
    """A webhook delivery refused by :mod:`audiencelab.webhooks` (base of the two below)."""

    #: what was wrong, as a word a program can test (each subclass lists its own)
    reason: str = "invalid"


class WebhookSignatureError(WebhookError):
    """A delivery whose signature does not check out: nothing in it may be trusted.

    ``reason`` is ``"missing_header"`` (no signing header at all), ``"wrong_secret"`` (the
    ``x-audiencelab-secret`` header is not the secret), ``"wrong_signature"`` (the HMAC of the
    body is not the one in ``x-audiencelab-signature``: another secret, or a changed body) or
    ``"malformed_header"`` (a signature header that is not ``sha256=<64 hex digits>``);
    ``header`` names the header concerned. The secret never appears in the message.
    """

    def __init__(self, message: str, *, reason: str, header: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.header = header


class WebhookPayloadError(WebhookError, ValueError):
    """A body that is not pixel events: too large, too deep, not UTF-8, not JSON, of the wrong
    shape, or with a field of the wrong type. ``reason`` says which (``"too_large"``,
    ``"too_deep"``, ``"not_utf8"``, ``"not_json"``, ``"shape"``, ``"field"``, ``"encoding"``);
    ``location`` is where in the body (``"body"``, ``"result[2].pixel_id"``...)."""

    def __init__(self, message: str, *, reason: str, location: str = "body") -> None:
        super().__init__(message)
        self.reason = reason
        self.location = location


UNKNOWN_OUTCOME = (
    "The request was sent but no usable answer came back, so it may or may not have taken "
    "effect; it was not repeated, to avoid doing it twice."
)


class APIError(AudienceLabError):
    """A request to the API failed.

    ``outcome_unknown`` is True when the request may or may not have taken effect on the server
    (the body was sent and no usable answer came back); ``remedy`` then says how to check.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        outcome_unknown: bool = False,
        remedy: Remedy | None = None,
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.method = method
        self.url = url
        self.outcome_unknown = outcome_unknown

    @property
    def summary(self) -> str:
        return _join(self.message, UNKNOWN_OUTCOME) if self.outcome_unknown else self.message


class APIResponseValidationError(APIError):
    """The API answered with success, but not in a shape this SDK understands (or with a body
    that could not be decoded). After a create, ``outcome_unknown`` is True: it was probably
    made, under an ID we could not read."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        body: Any = None,
        status_code: int | None = None,
        request_id: str | None = None,
        outcome_unknown: bool = False,
        remedy: Remedy | None = None,
    ) -> None:
        super().__init__(
            message, method=method, url=url, outcome_unknown=outcome_unknown, remedy=remedy
        )
        self.body = body
        self.status_code = status_code
        self.request_id = request_id


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
            "matched nobody)",
            method=method,
            url=url,
            remedy=CallMethod("audiences.wait_until_ready", (audience_id,), "to wait for it"),
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
        remedy: Remedy | None = None,
    ) -> None:
        super().__init__(
            message, method=method, url=url, outcome_unknown=outcome_unknown, remedy=remedy
        )
        self.status_code = status_code
        self.code = code
        self.body = body
        self.request_id = request_id
        self.headers: Mapping[str, str] = dict(headers or {})

    @property
    def summary(self) -> str:
        parts = [f"HTTP {self.status_code}"]
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + f": {self.message}"
        if self.method and self.url:
            text += f" ({self.method} {self.url})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return _join(text, UNKNOWN_OUTCOME) if self.outcome_unknown else text


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
