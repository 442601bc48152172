"""The SDK and the sandbox agree on the allowed filter values: a few of each vocabulary, from
tests/fixtures/golden/vocabularies.json, checked on both sides (each keeps its own tables)."""

from __future__ import annotations

import warnings

import httpx2
import pytest

from audiencelab import AudienceLab
from audiencelab._vocabularies import BUNDLED, LIVE
from audiencelab.sandbox import Sandbox
from tests.e2e.conftest import API_KEY
from tests.golden import load_golden

GOLDEN = load_golden("vocabularies")
LIVE_PATH = {name: path for path, name in LIVE.items()}


def _filters(path: str, value: str) -> dict[str, object]:
    node: dict[str, object] = {}
    filters = node
    *parents, leaf = path.split(".")
    for part in parents:
        node[part] = node = {}
    node[leaf] = [value]
    return filters


@pytest.mark.parametrize(("path", "values"), sorted(GOLDEN["bundled"].items()))
def test_the_sdk_bundles_them(path: str, values: list[str]) -> None:
    for value in values:
        assert BUNDLED[path].match(value).kind == "exact", (path, value)


@pytest.mark.parametrize(("name", "values"), sorted(GOLDEN["live"].items()))
def test_the_sandbox_lists_the_live_ones(sandbox: Sandbox, name: str, values: list[str]) -> None:
    with httpx2.Client(base_url=sandbox.base_url, headers={"X-Api-Key": API_KEY}) as http:
        data = http.get(f"/audiences/attributes/{name}").json()["attributes"][name]["data"]
    listed = {item["id"] if isinstance(item, dict) else item for item in data}
    assert set(values) <= listed


@pytest.mark.parametrize(("path", "values"), sorted(GOLDEN["bundled"].items()))
def test_the_sandbox_knows_the_bundled_ones(sandbox: Sandbox, path: str, values: list[str]) -> None:
    with httpx2.Client(base_url=sandbox.base_url, headers={"X-Api-Key": API_KEY}) as http:
        for value in values:
            answer = http.post(
                "/audiences/preview",
                json={"filters": _filters(path, value), "days_back": 7, "limit": 0},
            )
            assert answer.status_code == 200, answer.text
            assert "not a known" not in answer.headers.get("x-sandbox-filter-warnings", "")
            assert answer.json()["count"] > 0, (path, value)


def test_the_sdk_sends_every_golden_value_without_a_word(client: AudienceLab) -> None:
    """Checked against the vocabularies the sandbox serves: none refused, none warned about."""
    paths = {**{LIVE_PATH[n]: v for n, v in GOLDEN["live"].items()}, **GOLDEN["bundled"]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path, values in paths.items():
            for value in values:
                if path == "segment":
                    client.audiences.preview({}, segment=[value], limit=0)
                else:
                    client.audiences.preview(_filters(path, value), limit=0)
