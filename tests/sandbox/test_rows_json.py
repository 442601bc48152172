"""The JSON the sandbox writes itself from the columns (``Plan.rows_json``) is orjson's, byte for
byte, for every kind of filter; text that needs escapes takes orjson's own path."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from audiencelab.sandbox._columns import RECORD_COLUMNS
from audiencelab.sandbox._criteria import build_criteria
from audiencelab.sandbox._filters import parse_filters, parse_segments
from audiencelab.sandbox._generate import _plain, plan_for

from .test_rows_snapshot import CASES, USER_TEXT

RANGES = [(0, 1), (0, 300), (250, 520), (99_999, 100_007)]


def _plan(case: tuple[dict[str, Any], list[str] | None, int | None]) -> Any:
    filters, segment, days_back = case
    return plan_for(build_criteria(parse_filters(filters), parse_segments(segment), days_back))


@pytest.mark.parametrize("index", range(len(CASES)))
def test_rows_json_is_orjson_of_the_rows(index: int) -> None:
    plan = _plan(CASES[index])
    for start, stop in RANGES:
        stop = min(stop, plan.population)
        if start >= stop:
            assert plan.rows_json(start, stop) == b""
            continue
        rows = plan.rows(start, stop)
        assert [list(r) for r in rows[:1]] == [list(RECORD_COLUMNS)]
        assert plan.rows_json(start, stop) == orjson.dumps(rows)[1:-1], (start, stop)


def test_plain_plans_are_written_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is the one taken for ordinary filters (orjson is not called), and it still
    gives orjson's bytes: the JSON text of the histories (quotes inside) is escaped."""
    plan = _plan(({"businessProfile": {"seniority": ["cxo"]}, "state": ["TX"]}, None, None))
    assert plan.plain
    rows = plan.rows(0, 300)
    expected = orjson.dumps(rows)[1:-1]
    assert b'"COMPANY_NAME_HISTORY":"[\\"' in expected
    assert b'"EDUCATION_HISTORY":"[{\\"degree\\"' in expected
    import audiencelab.sandbox._generate as generate

    def refused(*_args: object) -> bytes:
        raise AssertionError("orjson was called for a plain plan")

    monkeypatch.setattr(generate.orjson, "dumps", refused)
    assert plan.rows_json(0, 300) == expected


@pytest.mark.parametrize("filters", USER_TEXT[:4], ids=range(4))
def test_text_that_needs_escapes_is_not_plain(filters: dict[str, Any]) -> None:
    assert not _plan((filters, None, None)).plain


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("Austin", True),
        ("Zürich 東京 😀", True),
        ("\u2028", True),  # orjson writes it as it is
        ("\x7f", True),
        ('say "hi"', False),
        ("back\\slash", False),
        ("tab\t", False),
        ("\x1f", False),
        ("\x00", False),
        (("ok", ["fine", ("also",)]), True),
        (("ok", ["fine", ("no\n",)]), False),
        (3, True),
    ],
)
def test_plain_means_orjson_writes_the_text_as_it_is(value: object, plain: bool) -> None:
    assert _plain(value) is plain
    for text in _texts(value):
        assert (orjson.dumps(text) == b'"' + text.encode() + b'"') is _plain(text)


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _texts(v)]
    return []
