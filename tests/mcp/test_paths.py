"""Export paths chosen by a model stay inside the export folder, whatever they say."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audiencelab import InputValidationError
from audiencelab.mcp._paths import DOWNLOAD_SIBLINGS, export_path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    exports = tmp_path / "exports"
    exports.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", exports / "out-link")
    os.symlink(tmp_path / "outside" / "f.csv", exports / "file-link.csv")
    os.symlink(exports / "real", exports / "in-link")
    return exports


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("people.csv", "people.csv"),
        ("  people.csv ", "people.csv"),
        ("a/b/people.jsonl", "a/b/people.jsonl"),
        ("./people.csv", "people.csv"),
        ("in-link/people.csv", "real/people.csv"),  # a link that stays inside is fine
    ],
)
def test_paths_inside_are_resolved_and_their_folders_made(
    folder: Path, path: str, expected: str
) -> None:
    target = export_path(folder, path)
    assert target == folder.resolve() / expected
    assert target.parent.is_dir()
    assert not target.exists()


def test_an_absolute_path_inside_is_accepted(folder: Path) -> None:
    assert export_path(folder, str(folder / "x.csv")) == folder.resolve() / "x.csv"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../people.csv", "contains '..'"),
        ("a/../../people.csv", "contains '..'"),
        ("a/../people.csv", "contains '..'"),  # refused even when it would land inside
        ("/etc/people.csv", "is outside the export folder"),
        ("out-link/people.csv", "through a symbolic link"),
        ("file-link.csv", "through a symbolic link"),
        ("~/people.csv", "starts with '~'"),
        ("", "a file name is required"),
        (".", "is the export folder itself"),
        ("a\x00.csv", "NUL"),
    ],
)
def test_everything_else_is_refused_with_the_reason(folder: Path, path: str, reason: str) -> None:
    before = sorted(p.name for p in folder.parent.rglob("*"))
    with pytest.raises(InputValidationError) as caught:
        export_path(folder, path)
    (problem,) = caught.value.problems
    assert problem.path == "path"
    assert reason in problem.message
    assert sorted(p.name for p in folder.parent.rglob("*")) == before  # nothing made


def test_a_folder_is_not_a_file(folder: Path) -> None:
    (folder / "sub").mkdir()
    with pytest.raises(InputValidationError, match="is a folder"):
        export_path(folder, "sub")


@pytest.mark.parametrize("working_file", ["x.csv.part", "x.csv.part.json", "x.csv.part.json.tmp"])
def test_a_working_file_planted_as_a_symlink_is_refused(folder: Path, working_file: str) -> None:
    # The SDK writes <name>.part and its checkpoint beside the file, by name: a link planted
    # there would make it write outside the folder.
    (folder / working_file).symlink_to(folder.parent / "outside" / "stolen")
    with pytest.raises(InputValidationError) as caught:
        export_path(folder, "x.csv")
    (problem,) = caught.value.problems
    assert problem.path == "path"
    assert f"{working_file!r}" in problem.message
    assert "symbolic link" in problem.message
    assert not (folder.parent / "outside" / "stolen").exists()


def test_a_working_file_that_is_a_folder_is_refused(folder: Path) -> None:
    (folder / "x.csv.part").mkdir()
    with pytest.raises(InputValidationError, match="not a regular file"):
        export_path(folder, "x.csv")


def test_a_download_checks_only_its_own_working_file(folder: Path) -> None:
    (folder / "x.csv.part.json").symlink_to(folder.parent / "outside" / "f.json")
    assert export_path(folder, "x.csv", siblings=DOWNLOAD_SIBLINGS) == folder.resolve() / "x.csv"


@pytest.mark.parametrize("path", ["n" * 300 + ".csv", "sub/" + "n" * 250 + ".csv", "a/" * 2100])
def test_an_over_long_name_is_an_input_error_naming_the_argument(folder: Path, path: str) -> None:
    with pytest.raises(InputValidationError) as caught:
        export_path(folder, path, "path")
    (problem,) = caught.value.problems
    assert problem.path == "path"
    assert "too long" in problem.message
    assert len(problem.message) < 300
