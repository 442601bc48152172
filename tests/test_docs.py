"""Every ``sh`` and ``python`` block of README.md and docs/*.md runs, as written, against the
sandbox (how each kind of block is treated: tests/docs_blocks.py).

The quick checks (the blocks parse, compile, and name what they install) run in the quick loop;
running the pages is ``slow``: one test per page, each in a folder of its own, all pages against
one ``audiencelab sandbox serve`` per worker, started as a reader starts it in a second terminal.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .docs_blocks import PAGES, ROOT, Block, blocks_of, shell_script, written_files

BIN = Path(sys.executable).parent
IDS = [str(page.relative_to(ROOT)) for page in PAGES]
# Files the pages write with -o, at least (so that a page that stops writing them fails).
WRITES = {
    "README.md": {"people.csv"},
    "docs/cli.md": {"boston-nurses.csv", "enriched.csv", "austin.csv", "doctor.json"},
}

# Runs the python blocks of one page in order, in one namespace, naming the block that fails.
RUNNER = """
import json, sys
page, blocks = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
namespace = {"__name__": "__main__"}
for line, source in blocks:
    exec(compile(source, f"{page}, block at line {line}", "exec"), namespace)
"""


def _base_env(folder: Path) -> dict[str, str]:
    """A reader's environment: own folders, no AUDIENCELAB_* of the machine, this venv first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    for name in ("HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env.pop(name, None)
    env.update(
        HOME=str(folder / "home"),
        AUDIENCELAB_SANDBOX_DIR=str(folder / "sandbox-data"),
        AUDIENCELAB_SANDBOX_BUILD_SECONDS="0",
        DLT_DATA_DIR=str(folder / "dlt"),  # root's dlt would share /var/dlt between runs
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


@dataclass
class Served:
    """``audiencelab sandbox serve`` (the reader's second terminal) and its ``sandbox env``."""

    folder: Path
    env: dict[str, str]
    sandbox_env: dict[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("docs")
    env = _base_env(folder)
    proc = subprocess.Popen(
        [str(BIN / "audiencelab"), "sandbox", "serve", "--port", "0", "--build-seconds", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, f"sandbox serve exited: {proc.communicate()[1]}"
            if line.startswith("Press Ctrl-C"):
                break
        printed = subprocess.run(
            [str(BIN / "audiencelab"), "--json", "sandbox", "env"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        yield Served(folder, env, json.loads(printed.stdout))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _reader_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "reader"
    folder.mkdir()
    return folder


# -- the quick loop -------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_every_block_parses_and_names_what_it_installs(page: Path) -> None:
    blocks = blocks_of(page)
    script, modules = shell_script(blocks, None)  # pip lines: installed and importable
    bash = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True, check=False)
    assert bash.returncode == 0, f"{page.name}: {bash.stderr}"
    for module in modules:  # importing them all is the slow run's part
        assert importlib.util.find_spec(module) is not None, f"{page.name}: no module {module}"
    for block in blocks:
        if block.language == "python":
            compile(block.text, f"{page.name}, block at line {block.line}", "exec")


def test_python_blocks_that_cannot_run_are_not_python() -> None:
    """Excerpts of the source, or a call that blocks forever, would fail the page: they are
    ``text``. The docs are found by file, so a new page's blocks run too."""
    assert len(PAGES) >= 14
    names = {page.name for page in PAGES}
    assert {"cli.md", "limits.md", "decisions.md", "benchmarks.md", "sdk.md"} <= names
    python = [b for page in PAGES for b in blocks_of(page) if b.language == "python"]
    assert len(python) >= 20
    for block in python:
        assert not re.search(r"^serve\(", block.text, re.M), block.line


# -- the pages, run ---------------------------------------------------------------------------


def _run_shell(page: Path, blocks: list[Block], folder: Path, served: Served) -> None:
    script, modules = shell_script(blocks, folder)
    if modules:  # what the pip lines install imports, in a fresh interpreter
        imported = subprocess.run(
            [sys.executable, "-c", "import " + ", ".join(sorted(modules))],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert imported.returncode == 0, imported.stderr
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=folder,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, f"{page.name}: {run.stderr}\n--- script ---\n{script}"
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert not errors, run.stderr
    if "--sandbox" in script:
        assert "Using the local sandbox" in run.stderr  # the commands went to the sandbox
    written = written_files(script)
    assert WRITES.get(str(page.relative_to(ROOT)), set()) <= written
    for name in written:
        assert (folder / name).is_file(), f"{page.name}: {name} was not written"
        assert (folder / name).stat().st_size > 0, f"{page.name}: {name} is empty"


def _run_python(page: Path, blocks: list[Block], folder: Path, served: Served) -> None:
    env = {**served.env, **served.sandbox_env}
    snippets = [(b.line, b.text) for b in blocks if b.language == "python" and not b.test_file]
    if snippets:
        (folder / "blocks.json").write_text(json.dumps(snippets), encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-c", RUNNER, page.name, "blocks.json"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert run.returncode == 0, f"{page.name}:\n{run.stdout}\n{run.stderr}"
    tests = [b for b in blocks if b.language == "python" and b.test_file]
    if tests:
        suite = folder / "doc_tests"
        suite.mkdir()
        for block in tests:
            assert block.test_file is not None
            assert not (suite / block.test_file).exists(), f"{page.name}: two {block.test_file}"
            (suite / block.test_file).write_text(block.text, encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "doc_tests"],
            cwd=folder,
            env={k: v for k, v in env.items() if not k.startswith("PYTEST_")},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert run.returncode == 0, f"{page.name}:\n{run.stdout}\n{run.stderr}"
        count = sum(len(re.findall(r"^def test_", b.text, re.M)) for b in tests)
        assert f"{count} passed" in run.stdout, run.stdout


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_the_page_runs_as_written(page: Path, served: Served, tmp_path: Path) -> None:
    blocks = blocks_of(page)
    folder = _reader_folder(tmp_path)
    _run_shell(page, blocks, folder, served)
    _run_python(page, blocks, folder, served)
