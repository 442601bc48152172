"""Checks on the caller's input, run before anything is sent.

Every check appends :class:`InputProblem` s to a list instead of raising at the first one, so a
caller sees all the problems of a request at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pydantic
from pydantic_core import PydanticCustomError

from audiencelab._exceptions import CallMethod, InputProblem, Loc, Remedy, join_path

__all__ = ["Loc", "join_path"]

SEGMENT_ID = re.compile(r"^b2[bc]_\d+$")
_BARE_NUMBER = re.compile(r"^\d+$")
_VALUE_ERROR = "audiencelab_value"


def value_error(message: str, suggestion: Any = None) -> PydanticCustomError:
    """A validator's error that keeps its suggestion as data through pydantic."""
    return PydanticCustomError(
        _VALUE_ERROR, "{message}", {"message": message, "suggestion": suggestion}
    )


def normalize_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "").replace(" ", "")


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The candidate closest to ``word``, comparing case- and underscore-insensitively."""
    by_norm: dict[str, str] = {}
    for candidate in candidates:
        by_norm.setdefault(normalize_key(candidate), candidate)
    norm = normalize_key(word)
    if norm in by_norm:
        return by_norm[norm]
    # "min" for "minAge", "minimum" for "min": one is a prefix of the other.
    prefixed = [
        c
        for c in by_norm
        if min(len(c), len(norm)) >= 3 and (c.startswith(norm) or norm.startswith(c))
    ]
    if len(prefixed) == 1:
        return by_norm[prefixed[0]]
    match = difflib.get_close_matches(norm, list(by_norm), n=1, cutoff=cutoff)
    return by_norm[match[0]] if match else None


def describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def problems_from_pydantic(
    exc: pydantic.ValidationError,
    prefix: Loc,
    unknown_key: Callable[[Loc], tuple[str, str | None, Remedy | None]] | None = None,
) -> list[InputProblem]:
    """Turn pydantic's errors into one plain-language problem per field.

    ``unknown_key`` gives the message, suggestion and remedy for a key the model does not know.
    """
    problems: list[InputProblem] = []
    for error in exc.errors(include_url=False):
        loc: Loc = tuple(error["loc"])
        kind = error["type"]
        value = error.get("input")
        ctx = error.get("ctx") or {}
        suggestion: Any = None
        remedy: Remedy | None = None
        if kind == _VALUE_ERROR:
            message, suggestion = str(ctx["message"]), ctx.get("suggestion")
        elif kind == "extra_forbidden":
            message, suggestion, remedy = (
                unknown_key(loc) if unknown_key else ("unknown field", None, None)
            )
        elif kind in ("string_type", "str_type"):
            message = f"expected a string, got {describe(value)}"
        elif kind == "list_type":
            message = f"expected a list (or a single string), got {describe(value)}"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            message = f"expected an object, got {describe(value)}"
        elif kind in ("int_type", "int_parsing", "int_from_float"):
            message = f"expected a whole number, got {describe(value)}"
        elif kind in ("float_type", "float_parsing", "int_or_float_type"):
            message = f"expected a number, got {describe(value)}"
        elif kind == "bool_type":
            message = f"expected true or false, got {describe(value)}"
        elif kind == "string_too_short":
            message = "must not be empty"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            message = f"{error['msg'].lower()}, got {value!r}"
        elif kind == "value_error":
            message = str(ctx.get("error", error["msg"]))
        elif kind == "literal_error":
            message = f"{error['msg'].lower()}, got {value!r}"
        else:
            message = error["msg"]
        problems.append(InputProblem.at((*prefix, *loc), message, suggestion, remedy))
    return problems


def check_name(name: object, problems: list[InputProblem], field: str = "name") -> None:
    if name is None:
        problems.append(InputProblem(field, "required: give a non-empty string"))
    elif not isinstance(name, str):
        problems.append(InputProblem(field, f"expected a string, got {describe(name)}"))
    elif not name.strip():
        problems.append(InputProblem(field, "must not be empty"))


def check_choice(
    value: object,
    choices: Sequence[str],
    problems: list[InputProblem],
    field: str,
    *,
    kind: str = "one of",
) -> None:
    """A value from a fixed list, with the nearest choice as the suggestion."""
    if value not in choices:
        problems.append(
            InputProblem(
                field,
                f"{value!r} is not {kind}; use one of: {', '.join(choices)}",
                closest(str(value), choices, cutoff=0.6),
            )
        )


def check_bool(value: object, problems: list[InputProblem], field: str) -> None:
    if not isinstance(value, bool):
        problems.append(InputProblem(field, f"expected True or False, got {describe(value)}"))


def check_seconds(
    value: object, problems: list[InputProblem], field: str, *, minimum: float = 0.0
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= minimum:
        problems.append(
            InputProblem(field, f"expected a number of seconds >= {minimum:g}, got {value!r}")
        )


def check_positive_int(
    value: object,
    problems: list[InputProblem],
    field: str,
    *,
    maximum: int | None = None,
    minimum: int = 1,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(InputProblem(field, f"expected a whole number, got {describe(value)}"))
    elif value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        wanted = f"between {minimum}{upper}" if maximum is not None else f"at least {minimum}"
        problems.append(InputProblem(field, f"must be {wanted}, got {value}"))


def segment_problem(value: object, loc: Loc) -> InputProblem | None:
    """What is wrong with one segment ID, or None. Since 2026 the API wants ``b2c_``/``b2b_``."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return InputProblem.at(
            loc, f"expected a segment ID string such as 'b2c_1253', got {describe(value)}"
        )
    text = str(value).strip()
    if SEGMENT_ID.match(text):
        if isinstance(value, str) and text == value:
            return None
        return InputProblem.at(loc, f"{value!r} is not written as the API expects", text)
    if _BARE_NUMBER.match(text):
        return InputProblem.at(
            loc,
            f"{value!r} is a bare number; use the b2c_ or b2b_ prefix, "
            f"e.g. 'b2c_{text}' (consumer) or 'b2b_{text}' (business)",
        )
    lowered = text.lower()
    if SEGMENT_ID.match(lowered):
        return InputProblem.at(loc, "segment IDs are lower case", lowered)
    if lowered.startswith("al_"):
        return InputProblem.at(
            loc,
            f"{value!r} is a legacy Delivr ID, which the API no longer accepts",
            remedy=CallMethod(
                "audiences.attributes", ("segments",), "to find the current b2c_/b2b_ ID"
            ),
        )
    return InputProblem.at(
        loc, f"{value!r} is not a segment ID; use the b2c_ or b2b_ prefix, e.g. 'b2c_1253'"
    )


def normalize_segments(
    segment: str | Sequence[str] | None, problems: list[InputProblem], field: str = "segment"
) -> list[str] | None:
    """Segment IDs as a list (a bare string becomes a one-element list), checked."""
    if segment is None:
        return None
    items: list[object]
    if isinstance(segment, str):
        items = [segment]
    elif isinstance(segment, (list, tuple)):
        items = list(segment)
    else:
        problems.append(
            InputProblem(field, f"expected a list of segment IDs, got {describe(segment)}")
        )
        return None
    found = [p for i, item in enumerate(items) if (p := segment_problem(item, (field, i)))]
    problems.extend(found)
    return None if found else [str(item) for item in items]
