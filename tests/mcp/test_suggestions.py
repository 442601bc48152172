"""A suggestion is always a valid value of its field, and following it keeps the filter a
filter: never another segment, never a column that does not exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import connected, error_data, sandbox_client, text

pytestmark = pytest.mark.anyio

AUSTIN = {"city": ["Austin"]}


def _apply(arguments: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``arguments`` with the value at ``path`` (``filters.a.b[0]``, ``segment[1]``) replaced."""
    out: Any = {**arguments, "filters": {**arguments.get("filters", {})}}
    node = out
    parts = path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        key: Any = int(part) if part.isdigit() else part
        child = node[key]
        node[key] = child = list(child) if isinstance(child, list) else dict(child)
        node = child
    last = parts[-1]
    node[int(last) if last.isdigit() else last] = value
    return out


async def test_segment_suggestions_are_real_segments_found_by_name(tmp_path: Path) -> None:
    with sandbox_client() as client:
        listed = client.audiences.attributes("segments").values
        segments = {s.id: s.name for s in listed}  # type: ignore[union-attr]
        solar = next(i for i, n in segments.items() if n == "Solar Panel Intenders")
        async with connected(client, tmp_path) as session:
            given = ["b2c_123", "b2c_99999999", "Solar Panel Intenders", "solar pannel intender"]
            refused = await session.call_tool(
                "preview_audience", {"filters": AUSTIN, "segment": given}
            )
            problems = {p["path"]: p for p in error_data(refused)["problems"]}
            # every bad segment in one answer
            assert set(problems) == {f"segment[{i}]" for i in range(4)}
            # an ID near another ID is not "did you mean" that other segment
            assert problems["segment[0]"]["suggestion"] is None
            assert problems["segment[1]"]["suggestion"] is None
            assert problems["segment[2]"]["suggestion"] == solar  # a name, where the ID goes
            assert problems["segment[3]"]["suggestion"] == solar  # a misspelled name
            for problem in problems.values():
                assert 'list_attribute_values(name="segments", query=' in problem["message"]
                assert problem["suggestion"] in (None, *segments)
            assert "solar" in problems["segment[3]"]["message"]  # the query to search with

            fixed = await session.call_tool(
                "preview_audience", {"filters": AUSTIN, "segment": [solar]}
            )
            assert not fixed.is_error, text(fixed)
            found = await session.call_tool(
                "list_attribute_values", {"name": "segments", "query": "solar"}
            )
    assert solar in [s["id"] for s in found.structured_content["segments"]]  # type: ignore[index]


CASES: list[dict[str, Any]] = [
    {"filters": {"notNulls": ["valid phones"], **AUSTIN}},
    {"filters": {"notNulls": ["email"], **AUSTIN}},
    {"filters": {"businessProfile": {"industry": ["Sofware Development"]}, **AUSTIN}},
    {"filters": {"state": ["Texsa"], **AUSTIN}},
    {"filters": {"profile": {"incomeRange": ["$250,000+x"]}, **AUSTIN}},
    {"filters": AUSTIN, "segment": ["Solar Panel Intenders"]},
]


@pytest.mark.parametrize("arguments", CASES)
@pytest.mark.slow
async def test_following_every_suggestion_gives_a_filter_that_still_narrows(
    tmp_path: Path, arguments: dict[str, Any]
) -> None:
    with sandbox_client() as client:
        everyone = client.audiences.preview({}, limit=0).count
        async with connected(client, tmp_path) as session:
            refused = await session.call_tool("preview_audience", arguments)
            fixed = arguments
            for problem in error_data(refused)["problems"]:
                if problem["suggestion"] is not None:
                    fixed = _apply(fixed, problem["path"], problem["suggestion"])
            if fixed is arguments:  # no sure suggestion: none at all, rather than a wrong one
                assert arguments is CASES[1]  # only 'email' has no column close enough
                return
            again = await session.call_tool("preview_audience", fixed)
    assert not again.is_error, text(again)
    count = again.structured_content["count"]  # type: ignore[index]
    assert count is not None
    assert 0 < count < everyone  # a real filter: neither a no-op nor nobody
