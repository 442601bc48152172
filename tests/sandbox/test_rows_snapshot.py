"""The synthetic people are pinned: the bytes of every page are what the sandbox served before the
generator was vectorized (issue 20), for filters of every kind, user text that needs JSON escapes
included. A change to the data is then a deliberate one: regenerate the digests with
``python -m tests.sandbox.test_rows_snapshot --write`` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pydantic_core
import pytest

from audiencelab.sandbox._criteria import build_criteria
from audiencelab.sandbox._filters import parse_filters, parse_segments
from audiencelab.sandbox._generate import plan_for

from .test_generate import RICH_FILTERS

DIGESTS = Path(__file__).resolve().parent.parent / "fixtures" / "sandbox_rows.json"

#: Filters whose values reach the records as they were typed (a town named after an unknown
#: city, a job title, a company name): quotes, backslashes, controls, non-ASCII, emoji.
USER_TEXT: list[dict[str, Any]] = [
    {"city": ['Quote "Town"', "Back\\slash", "Zürich", "東京", "tab\tcity"], "state": ["TX"]},
    {"city": ["Line\nBreak", "\x1fUnit", "\u2028sep", "😀ville"]},
    {"businessProfile": {"jobTitle": ['Chief "Fun" Officer', "Ingénieur\\Lead"]}},
    {"businessProfile": {"companyName": ['Acme "Robots"', "Café\\Bar", "\x00Null Co"]}},
    {"businessProfile": {"companyDomain": ["acme.com"]}, "city": ['O"Hare \\ Field']},
    {"zip": ["99999", "00501"], "gender": ["U"]},
]

CASES: list[tuple[dict[str, Any], list[str] | None, int | None]] = [
    *((f, None, None) for f in RICH_FILTERS),
    *((f, None, None) for f in USER_TEXT),
    ({}, None, None),
    ({"state": ["TX"]}, ["b2c_1253", "b2b_7"], 3),
    ({"businessProfile": {"seniority": ["cxo"]}, "city": ["Austin"]}, None, None),
]
#: Row ranges: the start, across a block of 256 rows, a single row, and far into the population.
RANGES = [(0, 300), (255, 258), (1000, 1001), (123_456, 123_556)]


def _key(index: int, start: int, stop: int) -> str:
    return f"{index}:{start}-{stop}"


def digests() -> dict[str, str]:
    out = {}
    for index, (filters, segment, days_back) in enumerate(CASES):
        plan = plan_for(build_criteria(parse_filters(filters), parse_segments(segment), days_back))
        for start, stop in RANGES:
            stop = min(stop, plan.population)
            body = pydantic_core.to_json(plan.rows(start, stop)) if start < stop else b"[]"
            out[_key(index, start, stop)] = hashlib.sha256(body).hexdigest()
    return out


@pytest.mark.parametrize("index", range(len(CASES)))
def test_rows_are_the_pinned_bytes(index: int) -> None:
    pinned = json.loads(DIGESTS.read_text(encoding="utf-8"))
    now = digests() if index == 0 else _cached()
    mine = {k: v for k, v in now.items() if k.split(":")[0] == str(index)}
    assert mine, index
    assert mine == {k: pinned[k] for k in mine}, CASES[index]


_CACHE: dict[str, str] = {}


def _cached() -> dict[str, str]:
    if not _CACHE:
        _CACHE.update(digests())
    return _CACHE


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m tests.sandbox.test_rows_snapshot --write")
    DIGESTS.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n", encoding="utf-8")


@pytest.mark.parametrize("index", range(len(CASES)))
def test_pages_are_the_pinned_bytes_whether_generated_or_kept(index: int) -> None:
    """A page's JSON is the same bytes generated afresh, sliced from kept blocks, or mixed."""
    from audiencelab.sandbox._pages import PageCache, page_json

    pinned = json.loads(DIGESTS.read_text(encoding="utf-8"))
    filters, segment, days_back = CASES[index]
    plan = plan_for(build_criteria(parse_filters(filters), parse_segments(segment), days_back))
    cache = PageCache()
    for _round in ("generated", "kept"):
        for start, stop in RANGES:
            stop = min(stop, plan.population)
            body = b"[" + page_json(plan, start, stop, cache) + b"]"
            digest = hashlib.sha256(body).hexdigest()
            assert digest == pinned[_key(index, start, stop)], (_round, start, stop)
    if plan.population >= 600:
        whole = page_json(plan, 0, 600, PageCache())
        pieces = [page_json(plan, a, b, cache) for a, b in ((0, 7), (7, 300), (300, 600))]
        assert b",".join(pieces) == whole
