"""One catalogue of filters (issue 16): the models, the value checks, the CLI's flags, the MCP
schema and the docs' tables all follow it, and the sandbox's own table agrees with it."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from audiencelab import AudienceFilters, operations
from audiencelab._catalogue import FILTERS, LIVE_ATTRIBUTES, SEGMENT, children
from audiencelab._filters import _FilterModel, _key
from audiencelab._vocabularies import BUNDLED, LIVE
from audiencelab.cli import app
from audiencelab.mcp._audiences import AttributeName
from audiencelab.mcp._schema import ATTRIBUTE_FILTERS, filter_paths, filters_schema
from audiencelab.sandbox import _criteria, _data
from audiencelab.sandbox._filters import FILTER_SPECS

ROOT = Path(__file__).resolve().parents[2]
LISTS = [spec for spec in FILTERS if spec.kind == "list"]


def test_every_model_has_exactly_the_catalogues_keys_in_order() -> None:
    def keys(model: type[_FilterModel]) -> list[str]:
        return [info.alias or name for name, info in model.model_fields.items()]

    assert keys(AudienceFilters) == [s.leaf for s in children("")]
    for spec in children(""):
        field = AudienceFilters.model_fields[spec.python]
        assert field.description == spec.description
        if spec.kind == "object":
            inner = typing.get_args(field.annotation)[0]
            assert keys(inner) == [s.leaf for s in children(spec.path)], spec.path


def test_a_model_that_drifts_from_the_catalogue_fails_as_it_is_defined() -> None:
    with pytest.raises(TypeError, match="the catalogue under 'profile' has"):

        class Profile(_FilterModel):  # one key forgotten
            json_path: typing.ClassVar[str] = "profile"
            income_range: list[str] | None = _key("profile.incomeRange")

    with pytest.raises(TypeError, match="the catalogue under 'age' has"):

        class Age(_FilterModel):  # one key too many
            json_path: typing.ClassVar[str] = "age"
            min_age: int | None = _key("age.minAge")
            max_age: int | None = _key("age.maxAge")
            mean_age: int | None = None


def test_the_value_checks_take_their_lists_from_the_catalogue() -> None:
    bundled = {s.path: s for s in FILTERS if s.values == "bundled"}
    assert set(BUNDLED) == set(bundled)
    for path, vocabulary in BUNDLED.items():
        assert vocabulary.values == bundled[path].labels, path
        assert vocabulary.closed is bundled[path].closed, path
    live = {s.path: s.attribute for s in (*FILTERS, SEGMENT) if s.values == "live"}
    assert dict(LIVE) == dict(LIVE_ATTRIBUTES) == live
    assert set(operations.ATTRIBUTE_NAMES) == {*live.values(), "gender"}
    assert "25 Million to 50 Miliion" in BUNDLED["businessProfile.companyRevenue"].values


def test_descriptions_never_cite_the_reference() -> None:
    for spec in (*FILTERS, SEGMENT):
        assert spec.description, spec.path
        assert "§" not in spec.description, spec.path
        assert "reference" not in spec.description.lower(), spec.path
    assert "§" not in json.dumps(filters_schema())


def _node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    for part in path.split("."):
        schema = schema["properties"][part]
    return schema


def test_the_mcp_schema_follows_the_catalogue() -> None:
    schema = filters_schema()
    paths = [p for p in filter_paths() if p.rsplit(".", 1)[-1] not in ("min", "max")]
    assert paths == [s.path for s in FILTERS]
    for spec in FILTERS:
        node = _node(schema, spec.path)
        assert node["description"].startswith(spec.description), spec.path
        enum = node.get("items", {}).get("enum")
        if spec.values == "bundled" and spec.closed:
            assert enum == list(spec.labels), spec.path  # a closed list is an enum
        else:
            assert enum is None, spec.path
        if spec.values == "bundled" and not spec.closed and spec.labels:
            assert node["examples"] == [list(spec.labels[:3])], spec.path
            assert all(f'"{label}"' in node["description"] for label in spec.labels)
    revenue = _node(schema, "businessProfile.companyRevenue")["items"]["enum"]
    assert "25 Million to 50 Miliion" in revenue  # the drift the issue found
    # list_attribute_values serves the API's lists and the bundled ones (issue 19, point 1)
    assert typing.get_args(AttributeName) == (
        *operations.ATTRIBUTE_NAMES,
        *operations.BUNDLED_LISTS,
    )
    assert set(ATTRIBUTE_FILTERS) == set(operations.ATTRIBUTE_NAMES)
    for name, where in ATTRIBUTE_FILTERS.items():
        if where.startswith("filters."):
            assert operations.FILTERS_BY_PATH[where.removeprefix("filters.")].attribute == name


@pytest.mark.parametrize("command", ["create", "preview"])
def test_the_cli_has_a_flag_for_every_catalogue_key_that_has_one(command: str) -> None:
    result = CliRunner().invoke(app, ["audiences", command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    flags = [spec.flag for spec in FILTERS if spec.flag is not None]
    assert "--department" in flags
    for flag in flags:
        assert flag in result.output, flag
    assert "--filters-file" in result.output


def test_each_flag_sets_its_catalogue_key(tmp_path: Path) -> None:
    values = {
        "--min-age": "30", "--max-age": "40", "--city": "Boston", "--state": "MA",
        "--zip": "02108", "--gender": "F", "--industry": "Retail", "--seniority": "VP",
        "--company": "Acme", "--job-title": "Nurse", "--exclude-job-title": "Intern",
        "--department": "Sales", "--education": "master's", "--exclude-education": "high school",
    }  # fmt: skip
    assert set(values) == {spec.flag for spec in FILTERS if spec.flag is not None}
    args = [a for flag, value in values.items() for a in (flag, value)]
    filters_file = tmp_path / "f.yaml"
    filters_file.write_text(
        "business_profile: {department: [Legal]}\nprofile: {married: ['yes']}\n"
    )
    result = CliRunner().invoke(
        app,
        [
            "audiences",
            "create",
            "--name",
            "x",
            *args,
            "--filters-file",
            str(filters_file),
            "--dry-run",
        ],
        env={"AUDIENCELAB_API_KEY": ""},
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.strip().splitlines()[-1])
    for spec in FILTERS:
        if spec.flag is None:
            continue
        node: Any = body["filters"]
        for part in spec.path.split("."):
            node = node[part]
        given = values[spec.flag]
        assert node == (int(given) if spec.kind == "number" else [given]), spec.path
    # The flag replaced the key the file spelled in snake_case; the rest of the file stays.
    assert "business_profile" not in body["filters"]
    assert body["filters"]["profile"] == {"married": ["yes"]}


def test_the_docs_tables_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "filter_tables.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in ("docs/cli.md", "docs/filters.md"):
        assert "| `--department DEPARTMENT` | `businessProfile.department` |" in (
            ROOT / name
        ).read_text(encoding="utf-8")


# -- the sandbox's own table ------------------------------------------------------------------

_KINDS = {"object": "object", "string[]": "list", "number": "number", "range": "range"}


def _sandbox_keys(fields: tuple[Any, ...] = FILTER_SPECS, prefix: str = "") -> dict[str, str]:
    found: dict[str, str] = {}
    for field in fields:
        path = prefix + field.name
        found[path] = _KINDS[field.kind]
        if field.kind == "object":
            found.update(_sandbox_keys(field.fields, path + "."))
    return found


def test_the_sandbox_has_the_same_keys_of_the_same_types() -> None:
    assert _sandbox_keys() == {spec.path: spec.kind for spec in FILTERS}


# Where the sandbox keeps the labels of each bundled filter (its own tables, written from the
# reference independently of the SDK).
_SANDBOX_LABELS: dict[str, Any] = {
    "businessProfile.employeeCount": _data.EMPLOYEE_COUNTS,
    "businessProfile.companyRevenue": _data.COMPANY_REVENUES,
    "profile.incomeRange": _data.INCOME_RANGES,
    "profile.netWorth": _data.NET_WORTHS,
    "attributes.education": [level for level, _, _ in _data.EDUCATION_LEVELS],
    "attributes.excludeEducation": [level for level, _, _ in _data.EDUCATION_LEVELS],
    "attributes.credit_rating": [label for _, label in _data.CREDIT_RATINGS],
    "attributes.ethnic_code": _data.ETHNICITIES,
    "profile.homeowner": _criteria._HOMEOWNER,
    "profile.married": _criteria._MARRIED,
    "profile.children": _criteria._CHILDREN,
}


@pytest.mark.parametrize("path", sorted(_SANDBOX_LABELS))
def test_the_sandbox_knows_the_same_labels(path: str) -> None:
    spec = operations.FILTERS_BY_PATH[path]
    theirs = {_criteria._norm(label) for label in _SANDBOX_LABELS[path]}
    ours = {_criteria._norm(label) for label in spec.labels}
    assert ours <= theirs, sorted(ours - theirs)
    if spec.closed and not isinstance(_SANDBOX_LABELS[path], dict):
        assert ours == theirs, sorted(theirs - ours)  # a complete list: the very same labels
