"""The native JSON paths (orjson, when installed) give what the pure ones gave: a page of records
read as pydantic-core reads it, JSON Lines byte for byte as the ``json`` module writes them, and
floats as Python's ``repr`` (issue 20)."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pydantic_core
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiencelab._export import formats
from audiencelab._operations import _common

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
ROWS = st.lists(st.dictionaries(TEXT, TEXT, min_size=1, max_size=6), min_size=1, max_size=8)


def stdlib_lines(rows: list[dict[str, Any]]) -> bytes:
    """What JSON Lines were before the native path: the json module's compact, non-ASCII text."""
    return "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows
    ).encode()


class Refused:
    """A json encoder that must not be used (the native path is taken)."""

    def encode(self, _value: Any) -> str:
        raise AssertionError("the json module was used for a page of strings")


@settings(max_examples=300, deadline=None)
@given(ROWS)
@pytest.mark.slow
def test_json_lines_of_strings_are_the_json_modules_bytes(rows: list[dict[str, Any]]) -> None:
    expected = stdlib_lines(rows)
    body, _columns, _known = formats.jsonl_page(rows, None, frozenset())
    assert body == expected


def test_a_page_of_strings_is_written_by_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"A": 'q"uote\\ \n\t\x00\x1f\x7f \u2028 Zürich 😀', "B": ""}, {"A": "x"}]
    expected = stdlib_lines(rows)
    monkeypatch.setattr(formats, "_JSON", Refused())
    body, columns, known = formats.jsonl_page(rows, None, frozenset())
    assert body == expected
    assert columns == ["A", "B"]
    assert known == {"A", "B"}


@pytest.mark.parametrize(
    "value",
    [1e16, 1e-7, 1e-5, 0.1, 1.0, -0.0, 123456789.123, [1.5, {"x": 1e-6}], 2**70, True, None, 7],
)
def test_other_values_are_written_by_the_json_module(value: Any) -> None:
    """Floats keep Python's repr (``1e-07``, ``1e-05``), where orjson writes ``1e-7`` and
    ``0.00001``: the page goes to the json module as soon as one value is not a string."""
    rows = [{"A": "text", "B": value}]
    body, _c, _k = formats.jsonl_page(rows, None, frozenset())
    assert body == stdlib_lines(rows)
    if value in (1e-7, 1e-5):
        assert orjson.dumps(rows[0]) + b"\n" != body  # the difference this avoids


def test_a_lone_surrogate_still_falls_back_to_escapes_on_its_line() -> None:
    rows = [{"A": "ok"}, {"A": "bad \ud800 here"}]
    body, _c, _k = formats.jsonl_page(rows, None, frozenset())
    assert body == b'{"A":"ok"}\n{"A":"bad \\ud800 here"}\n'


def test_without_orjson_the_bytes_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"A": "Zürich \n", "B": "1"}, {"A": "x", "C": "y"}]
    native = formats.jsonl_page(rows, None, frozenset())
    monkeypatch.setattr(formats, "_orjson_dumps", lambda: None)
    assert formats.jsonl_page(rows, None, frozenset()) == native
    assert native[0] == stdlib_lines(rows)


# ---------------------------------------------------------------------------------------------
# Reading pages

PAGE = (
    b'{"total_records":2,"page":1,"page_size":2,"total_pages":1,"data":['
    b'{"UUID":"a","FIRST_NAME":"Z\\u00fcrich \\"q\\"","AGE":"40"},{"UUID":"b","N":null,"F":1.5}]}'
)


def test_a_page_is_read_as_pydantic_core_reads_it() -> None:
    assert _common.parse_json(PAGE) == pydantic_core.from_json(PAGE)


def test_the_page_reader_is_orjson_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []

    def loads(content: bytes) -> Any:
        calls.append(content)
        return orjson.loads(content)

    monkeypatch.setattr(_common, "_orjson_loads", lambda: loads)
    assert _common.parse_json(PAGE)["total_records"] == 2
    assert calls == [PAGE]


@pytest.mark.parametrize("body", [b'{"a":NaN}', b'{"a":Infinity}', b'{"a":1e400}'])
def test_what_orjson_refuses_goes_to_pydantic_core(body: bytes) -> None:
    value = _common.parse_json(body)["a"]
    assert math.isnan(value) or math.isinf(value)


@pytest.mark.parametrize("body", [b"", b"{", b'{"a":1,}', b"\xef\xbb\xbf{}", b'"\\ud800"'])
def test_unreadable_bodies_say_what_pydantic_core_says(body: bytes) -> None:
    with pytest.raises(ValueError, match=r".") as native:
        _common.parse_json(body)
    with pytest.raises(ValueError, match=r".") as pure:
        pydantic_core.from_json(body, cache_strings="keys")
    assert str(native.value) == str(pure.value)


def test_without_orjson_pages_are_read_by_pydantic_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "_orjson_loads", lambda: None)
    assert _common.parse_json(b'{"a":123456789012345678901234567890}') == {
        "a": 123456789012345678901234567890
    }
