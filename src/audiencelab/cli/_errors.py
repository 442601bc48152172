"""Exit codes, and turning any exception into one clear line that names the problem and the fix.

The SDK decides what is wrong and what to do next, as data: each problem has a path (``loc``) and
maybe a suggestion; errors and problems may carry a remedy (an argument to pass, a client method
to call). This module only chooses the exit code and says the remedies in command-line terms,
from two tables keyed by name: SDK parameters as flags, SDK methods as commands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from audiencelab import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AudienceLabError,
    AuthenticationError,
    CallMethod,
    FilterValidationError,
    InputProblem,
    InputValidationError,
    InternalServerError,
    NotFoundError,
    PassArgument,
    PermissionDeniedError,
    RateLimitError,
    Remedy,
    WaitTimeoutError,
)

__all__ = [
    "COMMANDS",
    "DEFAULT_FLAGS",
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
    "render_problems",
    "say_remedy",
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

# SDK parameter names (the first key of a problem's path, or a remedy's argument) as the flags or
# arguments that set them. A command adds or replaces entries for its own flags.
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
    "overwrite": "--overwrite",
    "neutralize_formulas": "--neutralize-formulas",
    "allow_unfiltered": "--allow-unfiltered",
    "min_count": "--min-count",
    "operator": "--operator",
    "fields": "--field",
    "segment": "--segment",
    "audience_id": "ID",
    "pixel_id": "ID",
    "segment_id": "ID",
    "job_id": "JOB_ID",
}
# Boolean parameters whose False has a flag of its own.
NEGATIVE_FLAGS: Mapping[str, str] = {"neutralize_formulas": "--no-neutralize-formulas"}

# SDK client methods (``CallMethod.method``) as the commands that do the same; ``{0}`` is the
# method's first argument.
COMMANDS: Mapping[str, str] = {
    "audiences.list": "audiences list",
    "audiences.attributes": "attributes {0}",
    "audiences.wait_until_ready": "audiences wait {0}",
    "enrichment.jobs": "enrichments list",
    "enrichment.wait": "enrichments wait {0}",
    "pixels.list": "pixels list",
}

Loc = tuple[str | int, ...]
#: What the SDK adds to a 401's message; the command's own fix says it in full instead.
SDK_KEY_NOTE = " (check AUDIENCELAB_API_KEY)"


class CliError(Exception):
    """A problem found by the command line itself (a file it cannot read, a missing key...)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Hints:
    """What a command adds to an error: how to find the right ID, how to wait longer, and how its
    flags and inputs are named.

    ``flags`` maps SDK parameter names to the flags that set them; ``None`` keeps the SDK's paths
    as they are (e.g. for keys of a specs file). ``locate`` names a problem's place in the
    user's own terms (a CSV line and column instead of ``records[3].phone``), or returns None.
    ``source_text`` gives the text the user typed for the value at a problem's place when a file
    reader changed it (YAML reads an unquoted ``02107`` as the octal number 1095), or None.
    ``offer_sandbox`` is False when ``--sandbox`` cannot help (``--base-url`` was given).
    """

    not_found: str = ""
    timeout: str = ""
    interrupted: str = ""
    flags: Mapping[str, str] | None = field(default_factory=lambda: dict(DEFAULT_FLAGS))
    locate: Callable[[Loc], str | None] | None = None
    source_text: Callable[[Loc], str | None] | None = None
    offer_sandbox: bool = True
    #: Where the key came from when not from --api-key or $AUDIENCELAB_API_KEY (a profile).
    key_source: str = ""


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


def _flag(name: str, value: object, flags: Mapping[str, str] | None) -> str:
    """``PassArgument(name, value)`` as the flag that does the same."""
    if value is False and name in NEGATIVE_FLAGS:
        return NEGATIVE_FLAGS[name]
    flag = (flags or DEFAULT_FLAGS).get(name) or DEFAULT_FLAGS.get(name)
    if flag is None:
        return f"{name}={value!r}"  # no flag for it: the SDK's words
    if value is True or value is ... or not flag.startswith("--"):
        return flag
    return f"{flag} {value}"


def say_remedy(remedy: Remedy, prog: str, flags: Mapping[str, str] | None = None) -> str:
    """A remedy in command-line terms: a flag to add, or a command to run."""
    if isinstance(remedy, PassArgument):
        text = f"add {_flag(remedy.name, remedy.value, flags)}"
    elif isinstance(remedy, CallMethod) and remedy.method in COMMANDS:
        text = f"run `{prog} {COMMANDS[remedy.method].format(*remedy.args)}`"
    else:
        return str(remedy)  # no command does it: the SDK's words
    return f"{text} {remedy.purpose}" if remedy.purpose else text


def _shown_path(problem: InputProblem, hints: Hints) -> str:
    if hints.locate is not None:
        located = hints.locate(problem.loc)
        if located is not None:
            return located
    flags, loc = hints.flags, problem.loc
    if not flags or not loc or not isinstance(loc[0], str) or loc[0] not in flags:
        return problem.path
    flag, rest = flags[loc[0]], loc[1:]
    if flag == "--":  # each key is a flag of its own: filter.first_name is --first-name
        if rest and isinstance(rest[0], str):
            return "--" + rest[0].replace("_", "-")
        return problem.path
    if flag.startswith("--") and rest and isinstance(rest[0], int):
        rest = rest[1:]  # --segment[0] is just --segment
    shown = flag
    for part in rest:
        shown += f"[{part}]" if isinstance(part, int) else f".{part}"
    return shown


def _as_typed(hints: Hints) -> Callable[[InputProblem], InputProblem]:
    """A problem whose value a file reader changed, suggesting what the user typed, quoted."""

    def fix(problem: InputProblem) -> InputProblem:
        typed = hints.source_text(problem.loc) if hints.source_text is not None else None
        if typed is None or problem.suggestion is None:
            return problem
        message = f"{problem.message} (YAML reads the unquoted {typed} as an octal number)"
        return dataclasses.replace(problem, message=message, suggestion=typed)

    return fix


def render_problems(
    problems: Sequence[InputProblem], hints: Hints, prog: str, *, nothing_sent: bool = False
) -> str:
    """The SDK's problems, with parameters shown as the flags that set them."""

    def say(remedy: Remedy) -> str:
        return say_remedy(remedy, prog, hints.flags)

    shown = [p.describe(say, path=_shown_path(p, hints)) for p in map(_as_typed(hints), problems)]
    sent = " (nothing was sent)" if nothing_sent else ""
    if len(shown) == 1:
        return shown[0] + sent
    return "\n".join([f"{len(shown)} problems{sent}:"] + [f"  - {line}" for line in shown])


def describe_error(exc: BaseException, hints: Hints, prog: str) -> str:
    """One message naming the problem and, where we know it, the fix."""
    if isinstance(exc, CliError):
        return exc.message
    if isinstance(exc, InputValidationError):
        # Filters and the other create/preview arguments are checked before anything is sent.
        nothing_sent = isinstance(exc, FilterValidationError)
        return render_problems(exc.problems, hints, prog, nothing_sent=nothing_sent)
    if not isinstance(exc, AudienceLabError):
        return (
            f"unexpected {type(exc).__name__}: {exc}. This is a bug in audiencelab: run again "
            "with --verbose for the details, and report it."
        )
    text = exc.describe(lambda remedy: say_remedy(remedy, prog, hints.flags))
    # An error that says its own remedy (a 404 of a job: "run `enrichments list`") gets no
    # second one from the command.
    fix = "" if getattr(exc, "remedy", None) is not None else _fix_for(exc, hints)
    if fix and isinstance(exc, AuthenticationError):
        text = text.replace(SDK_KEY_NOTE, "")  # the fix below says it, with more
    return _with_fix(text, fix)


def _fix_for(exc: AudienceLabError, hints: Hints) -> str:
    """What the command line adds to an SDK error that carries no remedy of its own."""
    if isinstance(exc, PermissionDeniedError):
        return "This API key may not do that; use a key with access (a scoped key sees only its own resources)."
    if isinstance(exc, AuthenticationError):
        if hints.key_source:
            return f"Check the key of {hints.key_source}, or choose another with --profile NAME."
        if not hints.offer_sandbox:  # --base-url: --sandbox cannot be added to it
            return (
                "Check the key in AUDIENCELAB_API_KEY (or --api-key): the server at --base-url "
                "must accept it (for `audiencelab sandbox serve`: sk_test_sandbox, unless it was "
                "started with --api-key)."
            )
        return (
            "Check the key in AUDIENCELAB_API_KEY (keys are in the AudienceLab dashboard under "
            "Settings > API Keys), or add --sandbox to try the local sandbox."
        )
    if isinstance(exc, NotFoundError):
        return hints.not_found
    if isinstance(exc, WaitTimeoutError):
        return hints.timeout
    if isinstance(exc, APIError) and exc.outcome_unknown:
        return ""  # the SDK's message already says how to check
    if isinstance(exc, RateLimitError):
        wait = f" (the API asked for {exc.retry_after:g} s)" if exc.retry_after else ""
        return f"Too many requests: wait a little{wait} and run the command again."
    if isinstance(exc, InternalServerError):
        return "The API failed on its side; try again in a moment."
    if isinstance(exc, APITimeoutError):
        return "The API did not answer in time; try again, or check your network connection."
    if isinstance(exc, APIConnectionError):
        return (
            "Check your network connection and the API address (--base-url, AUDIENCELAB_BASE_URL)."
        )
    if isinstance(exc, APIResponseValidationError):
        return "The API answered in a shape this version does not understand; upgrade audiencelab."
    return ""


def _with_fix(text: str, fix: str) -> str:
    text = text.rstrip()
    if not fix or fix in text:
        return text
    return f"{text}{'' if text.endswith('.') else '.'} {fix}"
