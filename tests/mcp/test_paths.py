"""Export paths chosen by a model stay inside the export folder, whatever they say."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audiencelab import InputValidationError
from audiencelab.mcp._paths import export_path


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
