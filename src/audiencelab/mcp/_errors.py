"""Every failure as a tool error a model can act on: ``isError: true`` and a text that says what
went wrong and what to do. No traceback ever leaves this module: details go to the server's log at
debug level.

An error carries no ``structuredContent``: a tool's ``outputSchema`` describes its success, and
clients that validate structured content against it (the MCP Inspector does, for errors too) would
reject any error shape. The same facts as data (``error``, ``problems``, ``status_code``,
``outcome_unknown``...) ride in the result's ``_meta`` under :data:`ERROR_META`, for programs.
Refusals are capped (the first :data:`MAX_PROBLEMS` problems, each text cut to a few hundred
characters, and a count of the rest), so that a hostile argument cannot make a huge answer.

The SDK says what is wrong and what to do next as data (problems with a path and a suggestion;
remedies: an argument to pass, a client method to call). Here remedies are said in tool terms: a
``PassArgument("overwrite", True)`` becomes "call export_audience again with overwrite=true", a
``CallMethod("audiences.list")`` becomes "call the list_audiences tool".
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import traceback
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic
from mcp.types import CallToolResult, TextContent

from audiencelab import (
    APIConnectionError,
    APIError,
    APIStatusError,
    AudienceLabError,
    AudienceNotReadyError,
    AudienceTooSmallError,
    AuthenticationError,
    InputProblem,
    InputValidationError,
    NotFoundError,
    PassArgument,
    PermissionDeniedError,
    RateLimitError,
    Remedy,
    WaitTimeoutError,
)

__all__ = [
    "ERROR_META",
    "MAX_PROBLEMS",
    "TOOL_FOR_METHOD",
    "ErrorHints",
    "RefusedAfterRead",
    "clip",
    "error_meta",
    "error_result",
    "input_error_result",
    "no_such_tool_result",
    "problems_from_arguments",
    "say_remedy",
    "tool_error",
]

logger = logging.getLogger("audiencelab.mcp")

#: The ``_meta`` key of an error result's data.
ERROR_META = "io.audiencelab/error"
#: Problems listed in one refusal; the rest are counted.
MAX_PROBLEMS = 20
#: Characters kept of one problem's path, message or suggestion (values are echoed in them).
_MAX_TEXT = 600

#: SDK client methods (``CallMethod.method``) as the tools that do the same.
TOOL_FOR_METHOD: dict[str, str] = {
    "audiences.list": "list_audiences",
    "audiences.wait_until_ready": "wait_for_audience",
    "audiences.attributes": "list_attribute_values",
    "enrichment.jobs": "list_enrichment_jobs",
    "enrichment.wait": "get_enrichment_job",
    "pixels.list": "list_pixels",
}
#: The tool argument that takes the method's first positional argument.
_FIRST_ARGUMENT = {
    "wait_for_audience": "audience_id",
    "list_attribute_values": "name",
    "get_enrichment_job": "job_id",
}
#: Methods no tool does, said as what to do instead.
_INSTEAD = {"enrichment.create_jobs": "split the records over several create_enrichment_job calls"}

_AUTH_FIX = (
    "The server's API key was refused. Only the person who runs this server can fix that (the "
    "AUDIENCELAB_API_KEY environment variable); tell them, and do not retry."
)


@dataclass(frozen=True)
class ErrorHints:
    """What a tool adds to its errors: its name, its argument names, how to find a right ID."""

    tool: str
    arguments: Collection[str] = ()
    not_found: str = ""
    timeout: str = ""


class RefusedAfterRead(InputValidationError):
    """Input found wrong only once a page was read (an unknown column): nothing was changed."""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def clip(text: str, limit: int = _MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 40]}... ({len(text) - limit + 40:,} more characters)"


def _clip_value(value: Any) -> Any:
    if isinstance(value, str):
        return clip(value, 200)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return clip(_json(value), 200)


def say_remedy(remedy: Remedy, hints: ErrorHints) -> str:
    """A remedy in tool terms, or "" when no tool does it."""
    if isinstance(remedy, PassArgument):
        if remedy.name not in hints.arguments:
            return ""
        if remedy.value is ...:
            text = f"pass the {remedy.name} argument of {hints.tool}"
        else:
            text = f"call {hints.tool} again with {remedy.name}={_json(remedy.value)}"
    else:
        tool = TOOL_FOR_METHOD.get(remedy.method)
        if tool is None:
            return _INSTEAD.get(remedy.method, "")
        argument = _FIRST_ARGUMENT.get(tool)
        if argument and remedy.args:
            text = f"call {tool}({argument}={_json(remedy.args[0])})"
        else:
            text = f"call the {tool} tool"
    return f"{text} {remedy.purpose}" if remedy.purpose else text


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _problem_data(problem: InputProblem, hints: ErrorHints) -> dict[str, Any]:
    fix = say_remedy(problem.remedy, hints) if problem.remedy is not None else ""
    data: dict[str, Any] = {"path": clip(problem.path, 120), "message": clip(problem.message)}
    data["suggestion"] = _clip_value(problem.suggestion)
    if fix:
        data["fix"] = clip(fix)
    return data


def _problem_line(data: dict[str, Any]) -> str:
    text = data["message"]
    if data["suggestion"] is not None:
        text += f"; did you mean {_json(data['suggestion'])}?"
    if data.get("fix"):
        text += f"; {data['fix']}"
    return f"- {data['path']}: {text}" if data["path"] else f"- {text}"


def error_meta(result: CallToolResult) -> dict[str, Any] | None:
    """The data of an error result (``_meta``), or None for a success."""
    meta = result.meta or {}
    data = meta.get(ERROR_META)
    return data if isinstance(data, dict) else None


def tool_error(text: str, data: dict[str, Any]) -> CallToolResult:
    """An error result: the text for the model, the data in ``_meta`` for programs."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)], is_error=True, _meta={ERROR_META: data}
    )


def input_error_result(
    problems: Sequence[InputProblem],
    hints: ErrorHints,
    *,
    read: bool = False,
    kind: str = "invalid_input",
) -> CallToolResult:
    """Refused input: each problem with its path, message and suggestion (the first
    :data:`MAX_PROBLEMS`, and a count of the rest); nothing was sent (or, with ``read``, only a
    page was read and nothing was changed)."""
    listed = [_problem_data(p, hints) for p in problems[:MAX_PROBLEMS]]
    more = len(problems) - len(listed)
    count = "1 problem" if len(problems) == 1 else f"{len(problems):,} problems"
    lead = "Nothing was changed (a page was read)" if read else "Nothing was sent"
    lines = [f"{lead}: the arguments of {hints.tool} have {count}."]
    lines += [_problem_line(item) for item in listed]
    if more:
        lines.append(f"- ... and {more:,} more problems, not listed: fix these first.")
    lines.append(f"Fix {'it' if len(problems) == 1 else 'them'} and call {hints.tool} again.")
    data: dict[str, Any] = {"error": kind, "nothing_sent": not read, "problems": listed}
    if more:
        data["problems_not_listed"] = more
    return tool_error("\n".join(lines), data)


def _choice(error: Any) -> str | None:
    """For a value outside a fixed set of choices, the closest choice."""
    expected = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
    given = error.get("input")
    if not expected or not isinstance(given, str):
        return None
    match = difflib.get_close_matches(given.lower(), expected, n=1, cutoff=0.6)
    return match[0] if match else None


def no_such_tool_result(problem: InputProblem) -> CallToolResult:
    """A call of a tool this server does not offer."""
    data = _problem_data(problem, ErrorHints(""))
    text = f"Nothing was sent: {_problem_line(data)[2:]}."
    return tool_error(text, {"error": "unknown_tool", "nothing_sent": True, "problems": [data]})


def problems_from_arguments(exc: pydantic.ValidationError) -> list[InputProblem]:
    """Arguments that do not fit a tool's input schema, one problem per field."""
    problems: list[InputProblem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if isinstance(part, (str, int)))
        message = "required" if error["type"] == "missing" else str(error["msg"])
        suggestion = _choice(error) if error["type"] in ("literal_error", "enum") else None
        problems.append(InputProblem.at(loc, message, suggestion))
    return problems


def _api_fix(exc: APIError, hints: ErrorHints) -> str:
    """What the server adds to an API error that carries no remedy of its own."""
    if isinstance(exc, (AuthenticationError, PermissionDeniedError)):
        return _AUTH_FIX
    if isinstance(exc, NotFoundError):
        return hints.not_found
    if isinstance(exc, RateLimitError):
        wait = f" ({exc.retry_after:g} s)" if exc.retry_after else ""
        return f"Too many requests: wait a little{wait}, then try again."
    if isinstance(exc, APIStatusError) and exc.status_code >= 500 and not exc.outcome_unknown:
        return "The API failed on its side; try again in a moment."
    if isinstance(exc, APIConnectionError) and not exc.outcome_unknown:
        return "The API could not be reached; try again in a moment."
    return ""


def _kind(exc: AudienceLabError) -> str:
    if isinstance(exc, APIError) and exc.outcome_unknown:
        return "outcome_unknown"
    own = getattr(type(exc), "kind", None)  # the server's own refusals name their kind
    if isinstance(own, str):
        return own
    for cls, kind in (
        (AudienceNotReadyError, "not_ready"),
        (AuthenticationError, "auth"),
        (PermissionDeniedError, "auth"),
        (NotFoundError, "not_found"),
        (RateLimitError, "rate_limited"),
        (APIStatusError, "api_error"),
        (APIConnectionError, "connection"),
        (APIError, "api_error"),
        (WaitTimeoutError, "timeout"),
        (AudienceTooSmallError, "too_few_people"),
    ):
        if isinstance(exc, cls):
            return kind
    return "error"


def _sdk_error(exc: AudienceLabError, hints: ErrorHints) -> CallToolResult:
    text = exc.describe(lambda remedy: say_remedy(remedy, hints))
    data: dict[str, Any] = {"error": _kind(exc)}
    if isinstance(getattr(exc, "count", None), int):  # a preview's count (too few, nobody)
        data["count"] = exc.count  # type: ignore[attr-defined]
    if isinstance(exc, APIError):
        fix = _api_fix(exc, hints)
        if fix and fix not in text:
            text = f"{_sentence(text)} {fix}"
        data["outcome_unknown"] = exc.outcome_unknown
        if exc.outcome_unknown:
            # The SDK never repeats a request that may have taken effect, and neither do we.
            text = f"Outcome unknown: {text}"
            if exc.remedy is not None:
                next_tool = TOOL_FOR_METHOD.get(getattr(exc.remedy, "method", ""))
                if next_tool:
                    data["next_step"] = next_tool
        if isinstance(exc, APIStatusError):
            data["status_code"] = exc.status_code
            data["code"] = exc.code
    elif isinstance(exc, WaitTimeoutError) and hints.timeout and hints.timeout not in text:
        text = f"{_sentence(text)} {hints.timeout}"
    return tool_error(clip(text, 4000), data)


def error_result(exc: BaseException, hints: ErrorHints) -> CallToolResult:
    """Any exception raised by a tool, as a tool error (never with a traceback)."""
    if isinstance(exc, InputValidationError):
        return input_error_result(exc.problems, hints, read=isinstance(exc, RefusedAfterRead))
    if isinstance(exc, AudienceLabError):
        logger.debug("tool %s: %s", hints.tool, exc.describe())
        return _sdk_error(exc, hints)
    # A bug of ours: the model learns that much; the details stay in the server's log.
    logger.warning("tool %s failed unexpectedly (%s)", hints.tool, type(exc).__name__)
    logger.debug(
        "tool %s failed:\n%s", hints.tool, "".join(traceback.format_exception(exc)).rstrip()
    )
    text = (
        f"{hints.tool} failed because of an internal error in the audiencelab MCP server "
        f"({type(exc).__name__}). Its outcome is not known; check before trying again."
    )
    return tool_error(text, {"error": "internal"})
