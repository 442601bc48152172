"""Exit codes, and turning any exception into one clear line that names the problem and the fix.

The SDK decides what is wrong (it validates input and classifies API failures); this module only
chooses the exit code and rephrases the few hints that the SDK writes for Python callers
(``pass overwrite=True``, ``client.audiences.list()``) as the matching command-line flags and
commands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from audiencelab import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AudienceLabError,
    AudienceNotReadyError,
    AuthenticationError,
    FilterValidationError,
    InputProblem,
    InputValidationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    WaitTimeoutError,
)

__all__ = [
    "EXIT_API",
    "EXIT_AUTH",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
    "Hints",
    "describe_error",
    "exit_code_for",
]

EXIT_OK = 0
EXIT_API = 1  # the API answered with an error, or could not be reached; includes unknown outcomes
EXIT_USAGE = 2  # bad input or usage: nothing was sent
EXIT_AUTH = 3  # no API key, or the API refused it (401/403)
EXIT_NOT_FOUND = 4  # no such audience, job, pixel or segment (404)
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 API or network error (including a create whose outcome is "
    "unknown, and wait timeouts); 2 bad input or usage (nothing was sent); 3 authentication "
    "(no API key, or the key was refused); 4 not found; 130 interrupted."
)

# Parameter names in the SDK's problem paths, as the flags that set them.
DEFAULT_FLAGS: Mapping[str, str] = {
    "days_back": "--days-back",
    "page_size": "--page-size",
    "concurrency": "--concurrency",
    "limit": "--limit",
    "name": "--name",
    "topic": "--topic",
    "description": "--description",
    "website_name": "--name",
    "website_url": "--url",
    "webhook_url": "--webhook-url",
    "version": "--version",
    "event_type": "--event-type",
    "format": "--format",
    "path": "--output",
    "resume": "--resume",
    "operator": "--operator",
    "fields": "--field",
    "segment": "--segment",
    "audience_id": "ID",
    "pixel_id": "ID",
    "segment_id": "ID",
    "job_id": "JOB_ID",
}


class CliError(Exception):
    """A problem found by the command line itself (a file it cannot read, a missing key...)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Hints:
    """What a command adds to an error: how to find the right ID, how to wait longer.

    ``flags`` maps the SDK's parameter names (in problem paths such as ``days_back``) to the flags
    that set them; ``None`` keeps the paths as they are (e.g. for keys of a specs file).
    """

    not_found: str = ""
    timeout: str = ""
    interrupted: str = ""
    flags: Mapping[str, str] | None = field(default_factory=lambda: dict(DEFAULT_FLAGS))
    # (pattern, replacement) applied to a problem's path before ``flags``, e.g. to name the line
    # of a CSV file instead of the index of a record
    rewrite: tuple[str, Callable[[re.Match[str]], str]] | None = None


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, CliError):
        return exc.code
    if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
        return EXIT_AUTH
    if isinstance(exc, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, InputValidationError):
        return EXIT_USAGE
    return EXIT_API


def _python_to_cli(
    prog: str,
) -> Sequence[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]]:
    """The SDK's hints for Python callers, as the commands that do the same."""
    return [
        (re.compile(r"pass overwrite=True"), "add --overwrite"),
        (re.compile(r"pass resume=True"), "add --resume"),
        (re.compile(r"pass format='(\w+)'"), lambda m: f"pass --format {m.group(1)}"),
        (re.compile(r"pass format="), "pass --format"),
        (re.compile(r"neutralize_formulas=True"), "formula neutralising on"),
        (re.compile(r"neutralize_formulas=False"), "--no-neutralize-formulas"),
        (re.compile(r"client\.audiences\.list\(\)"), f"{prog} audiences list"),
        (re.compile(r"client\.audiences\.attributes\('segments'\)"), f"{prog} attributes segments"),
        (
            re.compile(r"call wait\(\) again later"),
            f"run {prog} enrichments wait again later",
        ),
        (re.compile(r"client\.enrichment\.jobs\(\)"), f"{prog} enrichments list"),
        (re.compile(r"\(client\.enrichment\.wait\)"), f"({prog} enrichments wait JOB_ID)"),
        (re.compile(r"client\.pixels\.list\(\)"), f"{prog} pixels list"),
    ]


def _cli_text(text: str, prog: str) -> str:
    for pattern, replacement in _python_to_cli(prog):
        text = pattern.sub(replacement, text)
    return text


def _flag_path(path: str, flags: Mapping[str, str] | None) -> str:
    if not flags:
        return path
    head = re.match(r"[A-Za-z_]+", path)
    if head is None or head.group(0) not in flags:
        return path
    flag = flags[head.group(0)]
    if flag == "--":  # enrich's match keys: filter.first_name is set by --first-name
        if path.startswith(head.group(0) + "."):
            return "--" + path[head.end() + 1 :].replace("_", "-")
        return path
    rest = path[head.end() :]
    if flag.startswith("--"):
        rest = re.sub(r"^\[\d+\]", "", rest)  # --segment[0] is just --segment
    return flag + rest


def _shown_path(path: str, hints: Hints) -> str:
    if hints.rewrite is not None:
        pattern, replacement = hints.rewrite
        rewritten = re.sub(pattern, replacement, path)
        if rewritten != path:
            return rewritten
    return _flag_path(path, hints.flags)


def render_problems(problems: Sequence[InputProblem], hints: Hints, nothing_sent: bool) -> str:
    """The SDK's problems, with parameter names shown as the flags that set them."""
    shown = [InputProblem(_shown_path(p.path, hints), p.message) for p in problems]
    sent = " (nothing was sent)" if nothing_sent else ""
    if len(shown) == 1:
        return f"{shown[0]}{sent}"
    lines = [f"{len(shown)} problems{sent}:"]
    lines += [f"  - {p}" for p in shown]
    return "\n".join(lines)


def describe_error(exc: BaseException, hints: Hints, prog: str) -> str:
    """One message naming the problem and, where we know it, the fix."""
    if isinstance(exc, CliError):
        return exc.message
    if isinstance(exc, InputValidationError):
        # Filters and the other create/preview arguments are checked before anything is sent.
        nothing_sent = isinstance(exc, FilterValidationError)
        return _cli_text(render_problems(exc.problems, hints, nothing_sent), prog)
    if isinstance(exc, AudienceNotReadyError):
        text = str(exc).split(" Wait with ", 1)[0]
        return f"{text} Wait for it with: {prog} audiences wait {exc.audience_id}"
    text = _cli_text(str(exc), prog)
    fix = ""
    if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
        fix = (
            "Check the key in AUDIENCELAB_API_KEY (keys are in the AudienceLab dashboard under "
            "Settings > API Keys), or add --sandbox to try the local sandbox."
        )
        if isinstance(exc, PermissionDeniedError):
            fix = "This API key may not do that; use a key with access (a scoped key sees only its own resources)."
    elif isinstance(exc, NotFoundError):
        fix = hints.not_found
    elif isinstance(exc, WaitTimeoutError):
        fix = hints.timeout
    elif isinstance(exc, APIError) and exc.outcome_unknown:
        fix = ""  # the SDK's message already says how to check
    elif isinstance(exc, RateLimitError):
        wait = f" (the API asked for {exc.retry_after:g} s)" if exc.retry_after else ""
        fix = f"Too many requests: wait a little{wait} and run the command again."
    elif isinstance(exc, InternalServerError):
        fix = "The API failed on its side; try again in a moment."
    elif isinstance(exc, APITimeoutError):
        fix = "The API did not answer in time; try again, or check your network connection."
    elif isinstance(exc, APIConnectionError):
        fix = (
            "Check your network connection and the API address (--base-url, AUDIENCELAB_BASE_URL)."
        )
    elif isinstance(exc, APIResponseValidationError):
        fix = "The API answered in a shape this version does not understand; upgrade audiencelab."
    elif not isinstance(exc, AudienceLabError):
        fix = (
            "This is a bug in audiencelab: run again with --verbose for the details, and report it."
        )
        text = f"unexpected {type(exc).__name__}: {text}"
    text = text.rstrip()
    if fix and fix not in text:
        text = f"{text}{'' if text.endswith('.') else '.'} {fix}"
    return text
