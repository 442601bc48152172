"""Intent segments named by a model, checked against the API's list before anything is sent.

Models invent segment IDs and pass names where IDs go. The SDK's value checks match an unknown
value against the known ones by spelling, which for IDs means digits: ``b2c_123`` would become
"did you mean b2c_1253", another segment entirely, and a far-off ID is only warned about. Here an
unknown segment is refused, every one in the same answer, and a suggestion is only ever a real
segment: the one whose *name* the model gave, the same number under the other prefix (``b2b_``
for ``b2c_``), or the segment whose name is close to the text given. Every refusal points to
``list_attribute_values(name="segments", query=...)``, which searches the names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from audiencelab import APIError, AudienceLab, InputProblem
from audiencelab.mcp._vocabulary import attribute_values

__all__ = ["segment_problems"]

_ID = re.compile(r"^(b2[bc])_(\d+)$")
_OTHER = {"b2c": "b2b", "b2b": "b2c"}


def _listed(client: AudienceLab) -> list[tuple[str, str]] | None:
    """(ID, name) of every segment, or None when the list cannot be had."""
    try:
        values = attribute_values(client, "segments").values
    except APIError:
        return None
    found: list[tuple[str, str]] = []
    for value in values:
        data: Any = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
        if isinstance(data, dict) and data.get("id"):
            found.append((str(data["id"]), str(data.get("name") or "")))
    return found


def _search_hint(value: str) -> str:
    words = re.findall(r"[A-Za-z]{3,}", value)
    if words:
        return (
            f'search them with list_attribute_values(name="segments", query="{words[0].lower()}")'
        )
    return (
        'search them by a word of their name with list_attribute_values(name="segments", query=...)'
    )


def _problem(index: int, value: str, segments: list[tuple[str, str]]) -> InputProblem:
    ids = {segment_id for segment_id, _ in segments}
    by_name = {name.strip().lower(): segment_id for segment_id, name in segments if name}
    text = value.strip()
    shown = text if len(text) <= 80 else text[:77] + "..."
    if text.lower() in by_name:
        return InputProblem.at(
            ("segment", index),
            f"{shown!r} is a segment's name; segment takes its ID ({_search_hint(text)})",
            by_name[text.lower()],
        )
    match = _ID.match(text.lower())
    if match:
        other = f"{_OTHER[match.group(1)]}_{match.group(2)}"
        return InputProblem.at(
            ("segment", index),
            f"there is no segment {shown!r}; {_search_hint('')}",
            other if other in ids else None,
        )
    close = difflib.get_close_matches(text.lower(), list(by_name), n=1, cutoff=0.6)
    return InputProblem.at(
        ("segment", index),
        f"{shown!r} is not a segment ID (b2c_<n> or b2b_<n>); {_search_hint(text)}",
        by_name[close[0]] if close else None,
    )


def segment_problems(
    client: AudienceLab, segment: Sequence[Any] | None, sdk: Sequence[InputProblem]
) -> list[InputProblem]:
    """``sdk`` (the SDK's problems) with a problem for every string of ``segment`` that is not a
    listed segment ID. Where the SDK refused a value for its form, its problem stays unless this
    one names a real segment (a name given where the ID goes). Without the list, ``sdk`` as is
    (the SDK's own value checks still run when the call is sent)."""
    strings = [(i, v) for i, v in enumerate(segment or ()) if isinstance(v, str)]
    segments = _listed(client) if strings else None
    if segments is None:
        return list(sdk)
    ids = {segment_id for segment_id, _ in segments}
    ours = {f"segment[{i}]": _problem(i, v, segments) for i, v in strings if v.strip() not in ids}
    merged: list[InputProblem] = []
    for problem in sdk:
        better = ours.pop(problem.path, None)
        merged.append(better if better is not None and better.suggestion else problem)
    return merged + list(ours.values())
