"""The README's shell examples run verbatim, in order, in one folder, against the sandbox.

How each fenced block of README.md is treated:

* ```` ```sh ```` blocks are run, as they are, in one ``bash`` process (``set -euo pipefail``),
  so that variables such as ``$ID`` carry over from block to block as in a reader's terminal. The
  process runs in a fresh temporary folder, with ``AUDIENCELAB_SANDBOX_DIR`` in that folder,
  ``AUDIENCELAB_SANDBOX_BUILD_SECONDS=0``, no ``AUDIENCELAB_*`` variable of the machine (so no
  API key), ``HOME`` in the folder, and the virtual environment's ``audiencelab`` and ``python``
  first on ``PATH``. An ``sh`` block can therefore not use the real API or the network: such an
  example belongs in a ``console`` or ``text`` block, or gets ``--sandbox``. Any line starting with
  ``error:`` on stderr fails the test, even where the example goes on after a failure (``|| echo``),
  and every file an example writes with ``-o FILE`` must exist and hold something.
* ``pip install ...`` cannot run in a test (no network). Instead, the test checks that every
  distribution the line would install (the project's extras, read from ``pyproject.toml``) is
  installed and its top-level modules import, then runs the rest of the line (``pip install X &&
  REST`` runs ``REST``). ``python -m pytest``, the quick start's second command, runs this very
  suite: it is checked the same way (pytest imports), not run.
* A ```` ```yaml ```` block whose first line is a comment naming a file (``# filters.yaml``) is
  written to that file before the ``sh`` blocks after it run, since they use it.
* ``console`` blocks (``$`` prompts followed by what the commands print), ``text`` blocks
  (synopses with placeholders, sample output), blocks without a language, and ``python`` blocks
  (they need a key; the SDK tests cover the same calls) are shown, not run.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PROJECT = "audiencelab"

FENCE = re.compile(r"^```(\S*)\s*$")
YAML_FILE = re.compile(r"^#\s*([\w.-]+\.ya?ml)\s*$")
PIP_LINE = re.compile(
    r"""^pip install (?P<spec>"[^"]*"|'[^']*'|\S+)\s*(?:&&\s*(?P<rest>.+?))?\s*(?:\#.*)?$"""
)
OUTPUT_FILE = re.compile(r"""(?:^|\s)-o\s+("[^"$]+"|[^\s"$]+)""")


@dataclass
class Block:
    language: str
    line: int  # of the opening fence, 1-based
    text: str


def readme_blocks() -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        if current is None:
            match = FENCE.match(line)
            if match:
                current = Block(match.group(1), number, "")
        elif line.startswith("```"):
            blocks.append(current)
            current = None
        else:
            current.text += line + "\n"
    assert current is None, f"README: the block opened at line {current.line} is never closed"
    return blocks


def _requirements(spec: str) -> list[Requirement]:
    """What ``pip install SPEC`` installs, SPEC being the project (``.``, ``.[cli]``,
    ``audiencelab[cli]``), resolved through ``pyproject.toml``, the project itself excluded."""
    spec = spec.strip("'\"")
    name, _, extras = spec.partition("[")
    assert name in (".", PROJECT), f"README: pip installs {spec!r}, which is not this project"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional: dict[str, list[str]] = pyproject["optional-dependencies"]
    wanted = [e.strip() for e in extras.rstrip("]").split(",") if e.strip()]
    found = [Requirement(r) for r in pyproject["dependencies"]]
    seen: set[str] = set()
    while wanted:
        extra = wanted.pop()
        if extra in seen:
            continue
        seen.add(extra)
        assert extra in optional, f"README: pip installs the extra {extra!r}, which does not exist"
        for raw in optional[extra]:
            requirement = Requirement(raw)
            if requirement.name == PROJECT:
                wanted.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _top_level_modules() -> dict[str, list[str]]:
    """Each installed distribution's importable top-level modules (private ones left out)."""
    modules: dict[str, list[str]] = {}
    for module, owners in metadata.packages_distributions().items():
        if module.isidentifier() and not module.startswith("_"):
            for owner in owners:
                modules.setdefault(_normal(owner), []).append(module)
    return modules


def check_installed(spec: str) -> list[str]:
    """The top-level modules ``pip install SPEC`` provides; fails if one is not installed."""
    modules = [PROJECT]
    for requirement in _requirements(spec):
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            raise AssertionError(
                f"README: {requirement} (from `pip install {spec}`) is not installed"
            ) from None
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)
        provided = _top_level_modules().get(_normal(requirement.name), [])
        assert provided, f"{requirement.name} provides no module"
        # The module named like the distribution, when there is one: others may be optional
        # parts with dependencies of their own (duckdb ships adbc_driver_duckdb).
        modules += [m for m in provided if _normal(m) == _normal(requirement.name)] or provided
    return modules


def shell_script(blocks: list[Block], folder: Path) -> tuple[str, set[str]]:
    """The ``sh`` blocks as one bash script (``pip`` lines checked, not run), and the modules the
    ``pip`` lines install."""
    lines = [
        "set -euo pipefail",
        "trap 'echo \"README block at line $README_LINE failed (status $?)\" >&2' ERR",
    ]
    modules: set[str] = set()
    for block in blocks:
        if block.language == "yaml":
            first = block.text.splitlines()[0] if block.text else ""
            match = YAML_FILE.match(first)
            if match:
                (folder / match.group(1)).write_text(block.text, encoding="utf-8")
            continue
        if block.language != "sh":
            continue
        lines.append(f"README_LINE={block.line}")
        for line in block.text.splitlines():
            if not line.startswith("pip "):
                lines.append(line)
                continue
            match = PIP_LINE.match(line)
            assert match, f"README line after {block.line}: cannot check {line!r}"
            modules.update(check_installed(match.group("spec")))
            rest = match.group("rest")
            if rest is None:
                continue
            if shlex.split(rest)[:3] == ["python", "-m", "pytest"]:
                modules.add("pytest")  # runs this very suite: not run again here
                continue
            lines.append(rest)
    return "\n".join(lines) + "\n", modules


def test_the_quick_start_is_two_commands() -> None:
    """One creates an audience on the sandbox, one runs the tests."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    first = next(b for b in readme_blocks() if b.language == "sh")
    assert first.text.strip() in section
    commands = first.text.strip().splitlines()
    assert len(commands) == 2
    assert "audiencelab --sandbox audiences create " in commands[0]
    assert commands[1] == 'pip install ".[test]" && python -m pytest'


def test_readme_shell_examples_run_verbatim_in_one_folder(tmp_path: Path) -> None:
    blocks = readme_blocks()
    assert sum(b.language == "sh" for b in blocks) >= 8
    folder = tmp_path / "reader"
    folder.mkdir()
    script, modules = shell_script(blocks, folder)
    # What the pip lines install is there and imports (in a fresh interpreter).
    imported = subprocess.run(
        [sys.executable, "-c", "import " + ", ".join(sorted(modules))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "audiencelab").exists() or (bin_dir / "audiencelab.exe").exists(), (
        "the audiencelab command is not installed next to this Python"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    env.update(
        AUDIENCELAB_SANDBOX_DIR=str(tmp_path / "sandbox-data"),
        AUDIENCELAB_SANDBOX_BUILD_SECONDS="0",
        AUDIENCELAB_CACHE_DIR=str(tmp_path / "cache"),
        DLT_DATA_DIR=str(tmp_path / "dlt"),  # root's dlt would share /var/dlt between runs
        HOME=str(tmp_path / "home"),
        NO_COLOR="1",
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
    )
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, f"{run.stderr}\n--- script ---\n{script}"
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert not errors, run.stderr
    assert "Using the local sandbox" in run.stderr  # every command went to the sandbox
    written = {m.group(1).strip('"') for m in OUTPUT_FILE.finditer(script)}
    assert {"people.csv", "boston-nurses.csv", "enriched.csv", "austin.csv"} <= written
    for name in written:
        assert (folder / name).is_file(), f"README: {name} was not written"
        assert (folder / name).stat().st_size > 0, f"README: {name} is empty"
