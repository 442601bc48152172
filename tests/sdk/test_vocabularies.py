"""Properties of the value checks over every complete vocabulary: the bundled ones and those the
sandbox serves (as the API would): a one-edit typo of a known value is refused with that value as the
suggestion; the value itself, and the value in another case or spacing, pass."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from audiencelab._value_checks import check_values
from audiencelab._vocabularies import BUNDLED, LIVE, Vocabulary, edit_distance
from audiencelab.sandbox import Sandbox, SandboxConfig


@pytest.fixture(scope="module")
def vocabularies() -> dict[str, Vocabulary]:
    """The bundled vocabularies and the live ones, as a sandbox serves them over HTTP."""
    found = {path: v for path, v in BUNDLED.items() if v.closed}
    with Sandbox(SandboxConfig(port=0)) as sandbox, sandbox.client() as http:
        for path, name in LIVE.items():
            block = http.get(f"/audiences/attributes/{name}").json()["attributes"][name]
            values = [v["id"] if isinstance(v, dict) else v for v in block["data"]]
            found[path] = Vocabulary.of(values, name)
    assert all(v.values for v in found.values())
    return found


def _key(text: str) -> str:
    return "".join(text.split()).casefold()


ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_$"


@st.composite
def typos(draw: st.DrawFn, vocabularies: dict[str, Vocabulary]) -> tuple[str, str, str]:
    """(path, known value, a one-edit typo of it)."""
    path = draw(st.sampled_from(sorted(vocabularies)))
    value = draw(st.sampled_from(vocabularies[path].values))
    kind = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
    i = draw(st.integers(0, len(value) - 1))
    c = draw(st.sampled_from(ALPHABET))
    if kind == "delete":
        typo = value[:i] + value[i + 1 :]
    elif kind == "insert":
        typo = value[:i] + c + value[i:]
    elif kind == "replace":
        typo = value[:i] + c + value[i + 1 :]
    else:
        j = min(i + 1, len(value) - 1)
        typo = value[:i] + value[j] + value[i] + value[j + 1 :] if j > i else value
    return path, value, typo


def test_every_vocabulary_has_values_and_a_source(vocabularies: dict[str, Vocabulary]) -> None:
    for path, vocabulary in vocabularies.items():
        assert vocabulary.values, path
        assert vocabulary.source, path


@settings(max_examples=400, deadline=None)
@given(data=st.data())
@pytest.mark.slow
def test_a_one_edit_typo_is_refused_with_the_value_as_suggestion(
    vocabularies: dict[str, Vocabulary], data: st.DataObject
) -> None:
    path, value, typo = data.draw(typos(vocabularies))
    vocabulary = vocabularies[path]
    key = _key(typo)
    # Not another known value (nor the same one in another case or spacing), and no other value
    # as close (then either would be a fair suggestion).
    assume(key and typo not in vocabulary)
    distances = [edit_distance(key, _key(v), 3) for v in vocabulary.values]
    assume(distances.count(1) == 1)
    body = _body(path, typo)
    for policy in ("default", "strict"):
        report = check_values(body, {path: vocabulary}, policy)  # type: ignore[arg-type]
        [problem] = report.problems
        assert problem.suggestion == value, (path, typo)
        assert problem.path.endswith("[0]")
    assert check_values(body, {path: vocabulary}, "off").problems == []


@settings(max_examples=300, deadline=None)
@given(data=st.data())
@pytest.mark.slow
def test_known_values_pass_in_any_case_and_spacing(
    vocabularies: dict[str, Vocabulary], data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(sorted(vocabularies)))
    value = data.draw(st.sampled_from(vocabularies[path].values))
    flips = data.draw(st.lists(st.booleans(), min_size=len(value), max_size=len(value)))
    variant = "".join(c.swapcase() if f else c for c, f in zip(value, flips, strict=True))
    variant = "  " + variant.replace(" ", "   ") if data.draw(st.booleans()) else variant
    for given_value in (value, variant):
        report = check_values(_body(path, given_value), {path: vocabularies[path]}, "strict")
        assert report.problems == []
        assert _sent(report.body, path) == value  # always in the known spelling


def _body(path: str, value: str) -> dict[str, object]:
    if path == "segment":
        return {"name": "n", "filters": {}, "segment": [value]}
    node: dict[str, object] = {}
    body = {"name": "n", "filters": node}
    *parents, leaf = path.split(".")
    for part in parents:
        node[part] = node = {}
    node[leaf] = [value]
    return body


def _sent(body: dict[str, object], path: str) -> object:
    node: object = body if path == "segment" else body["filters"]
    for part in path.split("."):
        assert isinstance(node, dict)
        node = node[part]
    assert isinstance(node, list)
    return node[0]


def test_the_issue_examples() -> None:
    income = BUNDLED["profile.incomeRange"]
    assert income.match("$75,000 to $99,99").value == "$75,000 to $99,999"
    assert income.match("$75K-$100K").kind == "unknown"  # sent, with a warning
