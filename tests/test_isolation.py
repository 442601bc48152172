"""The suite's isolation (issue 23, defect 10): every test has its own user folders, so another
program using audiencelab on the machine cannot fail it, and tests never share one; the guard
fails a test that writes under the home folder instead of its XDG folder."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import USER_FOLDERS

ROOT = Path(__file__).resolve().parents[1]


def test_every_folder_the_code_uses_is_the_test_s_own(user_folders: Path) -> None:
    import platformdirs

    from audiencelab._vocabulary_cache import cache_dir
    from audiencelab.cli._context import sandbox_data_dir

    base = user_folders
    for name, folder in USER_FOLDERS.items():
        assert os.environ[name] == str(base / folder)
    assert Path.home() == base / "home"
    used = [
        cache_dir(),
        Path(platformdirs.user_cache_dir("audiencelab", appauthor=False)),
        Path(platformdirs.user_data_dir("audiencelab", appauthor=False)),
        Path(platformdirs.user_config_dir("audiencelab", appauthor=False)),
        Path(platformdirs.user_state_dir("audiencelab", appauthor=False)),
        sandbox_data_dir(),
    ]
    for folder in used:
        assert folder.is_relative_to(base), folder
    if sys.platform.startswith("linux"):
        assert cache_dir() == Path(platformdirs.user_cache_dir("audiencelab", appauthor=False))


def test_dlt_s_folders_are_the_test_s_own(user_folders: Path) -> None:
    pytest.importorskip("dlt")
    from dlt.common.runtime import run_context

    context = run_context.active()
    assert Path(context.data_dir).is_relative_to(user_folders)
    if os.geteuid() != 0:  # root's dlt uses /var/dlt whatever the environment says
        assert Path(context.global_dir).is_relative_to(user_folders)


INNER = textwrap.dedent(
    """
    import os
    from pathlib import Path

    def test_writes_its_cache(tmp_path):
        folder = Path(os.environ["XDG_CACHE_HOME"]) / "audiencelab"
        folder.mkdir()
        (folder / "x.json").write_text("{}")
        Path(os.environ["LOG"]).open("a").write(os.environ["HOME"] + "\\n")

    def test_writes_the_home_folder_directly(tmp_path):
        folder = Path.home() / ".cache" / "audiencelab"
        folder.mkdir(parents=True)
        (folder / "x.json").write_text("{}")
        Path(os.environ["LOG"]).open("a").write(os.environ["HOME"] + "\\n")

    def test_reads_nothing_of_the_others(tmp_path):
        assert not (Path(os.environ["XDG_CACHE_HOME"]) / "audiencelab").exists()
        Path(os.environ["LOG"]).open("a").write(os.environ["HOME"] + "\\n")
    """
)


@pytest.mark.slow
def test_the_guard_fails_a_test_that_writes_the_home_folder_and_no_two_tests_share_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "tests" / "test_inner.py").write_text(INNER)
    log = tmp_path / "homes.txt"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_inner.py"],
        cwd=tmp_path,
        env={**os.environ, "LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "3 passed, 1 error" in done.stdout, done.stdout  # the error: at its teardown
    assert "ERROR at teardown of test_writes_the_home_folder_directly" in done.stdout
    assert "written under the home folder, not in its XDG folder" in done.stdout
    homes = log.read_text().split()
    assert len(homes) == 3
    assert len(set(homes)) == 3  # a folder of its own for every test
