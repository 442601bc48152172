"""The JSON the sandbox writes itself from the columns (``Plan.rows_json``) is orjson's, byte for
byte, for every kind of filter; text that needs escapes takes orjson's own path."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from audiencelab.sandbox._columns import RECORD_COLUMNS
from audiencelab.sandbox._criteria import build_criteria
from audiencelab.sandbox._filters import parse_filters, parse_segments
from audiencelab.sandbox._generate import plan_for
from audiencelab.sandbox._people import plain as is_plain

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
    import audiencelab.sandbox._people as people

    def refused(*_args: object) -> bytes:
        raise AssertionError("orjson was called for a plain plan")

    monkeypatch.setattr(people.orjson, "dumps", refused)
    assert plan.rows_json(0, 300) == expected


@pytest.mark.parametrize("filters", USER_TEXT[:4], ids=range(4))
def test_text_that_needs_escapes_is_notplain(filters: dict[str, Any]) -> None:
    assert not _plan((filters, None, None)).plain


@pytest.mark.parametrize(
    ("value", "expected"),
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
def test_plain_means_orjson_writes_the_text_as_it_is(value: object, expected: bool) -> None:
    assert is_plain(value) is expected
    for text in _texts(value):
        assert (orjson.dumps(text) == b'"' + text.encode() + b'"') is is_plain(text)


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _texts(v)]
    return []


# ---------------------------------------------------------------------------------------------
# Kept pages: each row generated once, exactly the rows read


def test_pages_read_in_order_generate_each_row_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from audiencelab.sandbox import _generate, _pages

    plan = _plan(({"state": ["TX"]}, None, None))
    made: list[tuple[int, int]] = []
    columns = _generate.Plan.columns

    def counted(self: Any, start: int, stop: int) -> list[list[str]]:
        made.append((start, stop))
        return columns(self, start, stop)

    monkeypatch.setattr(_generate.Plan, "columns", counted)
    cache = _pages.PageCache()
    for page in range(1, 5):
        start = page * 1000
        body = _pages.page_json(plan, start, start + 1000, cache)
        assert made[-1] == (start, start + 1000)  # the page's rows, not its five blocks'
        assert body == orjson.dumps(plan.rows(start, start + 1000))[1:-1]
    assert len(made) == 4 + 4  # four pages generated, and the four checks
    made.clear()
    # every block between is kept whole now (edges joined), so any page within costs nothing
    assert _span(cache.get((plan.seed, 1999 // 256))) == (0, 256)
    assert (
        _pages.page_json(plan, 1100, 4900, cache, kept_only=True)
        == orjson.dumps(plan.rows(1100, 4900))[1:-1]
    )
    assert made == [(1100, 4900)]  # only the check above
    with pytest.raises(_pages.NotKept):
        _pages.page_json(plan, 900, 1001, cache, kept_only=True)  # 900..999 were never read


def test_small_pages_keep_their_whole_blocks() -> None:
    from audiencelab.sandbox import _pages

    plan = _plan(({"state": ["TX"]}, None, None))
    cache = _pages.PageCache()
    _pages.page_json(plan, 300, 400, cache)
    assert _span(cache.get((plan.seed, 1))) == (0, 256)
    _pages.page_json(plan, 400, 410, cache)  # fewer than CACHE_MIN_ROWS: kept ones are used
    assert cache.get((plan.seed, 2)) is None
    with pytest.raises(_pages.NotKept):
        _pages.page_json(plan, 510, 520, cache, kept_only=True)


def test_kept_runs_are_joined_or_the_longer_kept() -> None:
    from audiencelab.sandbox import _pages

    plan = _plan(({"state": ["TX"]}, None, None))
    cache = _pages.PageCache()
    _pages.page_json(plan, 1000, 1300, cache)  # block 3: rows 232..256, 4: whole, 5: 0..20
    assert _span(cache.get((plan.seed, 5))) == (0, 20)
    _pages.page_json(plan, 1285, 1290, cache)  # fewer than CACHE_MIN_ROWS: nothing new kept
    assert _span(cache.get((plan.seed, 5))) == (0, 20)
    key = (plan.seed, 5)
    size = cache.size
    cache.put(key, _pages._made(plan, 1280 + 100, 1280 + 110)[5])  # shorter and apart: ignored
    assert (_span(cache.get(key)), cache.size) == ((0, 20), size)
    cache.put(key, _pages._made(plan, 1280 + 20, 1280 + 90)[5])  # touching: joined
    assert _span(cache.get(key)) == (0, 90)
    cache.put(key, _pages._made(plan, 1280 + 100, 1280 + 200)[5])  # longer and apart: replaces
    assert _span(cache.get(key)) == (100, 200)
    cache.put(key, _pages._made(plan, 1280 + 64, 1280 + 100)[5])  # touching its start: joined
    block = cache.get(key)
    assert _span(block) == (64, 200)
    assert block is not None
    assert block.body == orjson.dumps(plan.rows(1280 + 64, 1280 + 200))[1:-1]
    assert cache.size == sum(len(b.body) for b in cache._blocks.values())


def _span(block: Any) -> tuple[int, int]:
    assert block is not None
    return block.lo, block.hi


def test_generating_lets_go_of_the_interpreter_lock_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """Between groups of columns the generator pauses (hashes 4 KB, which releases the lock), so
    that the event loop need not wait out the switch interval while a worker makes a page."""
    import audiencelab.sandbox._people as people

    hashed: list[int] = []
    monkeypatch.setattr(people, "_hash", lambda data: hashed.append(len(data)))
    plan = _plan(({"state": ["TX"]}, None, None))
    plan.rows_json(0, 1000)
    assert len(hashed) >= 12
    assert set(hashed) == {4096}
    assert len(people._GIL_BUFFER) > 2048  # hashlib's threshold for letting go of the lock
