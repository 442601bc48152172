"""The fenced blocks of README.md and docs/*.md, and how the tests run them (tests/test_docs.py).

How each fenced block is treated:

* ```` ```sh ```` blocks of one page are run, as they are, in order, in one ``bash`` process
  (``set -euo pipefail``), so that variables such as ``$ID`` carry over from block to block as in
  a reader's terminal. The process runs in a fresh folder of its own, with ``HOME``, the XDG
  folders, ``AUDIENCELAB_SANDBOX_DIR`` and dlt's folder in the test's temporary folder,
  ``AUDIENCELAB_SANDBOX_BUILD_SECONDS=0``, no ``AUDIENCELAB_*`` variable of the machine (so no API
  key), and the virtual environment's ``audiencelab`` and ``python`` first on ``PATH``. An ``sh``
  block can therefore not use the real API or the network: such an example belongs in a
  ``console`` or ``text`` block, or gets ``--sandbox``. A sandbox server (``audiencelab sandbox
  serve``, what a reader runs in a second terminal) is running on the same sandbox folder, so
  ``eval "$(audiencelab sandbox env)"`` works. Any line starting with ``error:`` on stderr fails
  the test, even where the example goes on after a failure (``|| echo``), and every file an
  example writes with ``-o FILE`` must exist and hold something.
* ``pip install ...`` cannot run in a test (no network). Instead, the test checks that every
  distribution the line would install (the project's extras, read from ``pyproject.toml``) is
  installed and its top-level modules import, then runs the rest of the line (``pip install X &&
  REST`` runs ``REST``). ``python -m pytest``, the quick start's second command, runs this very
  suite: it is checked the same way (pytest and, for ``-n``, pytest-xdist import), not run.
* A ```` ```yaml ```` block whose first line is a comment naming a file (``# filters.yaml``) is
  written to that file before the page's ``sh`` blocks run, since they use it.
* ```` ```python ```` blocks of one page are run in order in one Python process, in one namespace
  (as a reader pastes them into one session), with the environment ``audiencelab sandbox env``
  prints for the running sandbox server: ``AudienceLab()`` talks to it. A ``python`` block whose
  first line names a test file (``# test_nyc.py``) is a pytest file: the page's test files are
  written to a folder and run with pytest (the package's plugin provides the fixtures).
* ``console`` blocks (``$`` prompts followed by what the commands print), ``text`` blocks
  (synopses with placeholders, sample output, excerpts of the source), ``json``/``ini``/... blocks
  and blocks without a language are shown, not run.
"""

from __future__ import annotations

import functools
import re
import shlex
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
PROJECT = "audiencelab"

FENCE = re.compile(r"^```(\S*)\s*$")
YAML_FILE = re.compile(r"^#\s*([\w.-]+\.ya?ml)\s*$")
TEST_FILE = re.compile(r"^#\s*(test_\w+\.py)\b")
PIP_LINE = re.compile(
    r"""^pip install (?P<spec>"[^"]*"|'[^']*'|\S+)\s*(?:&&\s*(?P<rest>.+?))?\s*(?:\#.*)?$"""
)
OUTPUT_FILE = re.compile(r"""(?:^|\s)-o\s+("[^"$]+"|[^\s"$]+)""")


@dataclass
class Block:
    language: str
    line: int  # of the opening fence, 1-based
    text: str

    @property
    def test_file(self) -> str | None:
        """The file name of a pytest file (``# test_x.py`` on its first line), else None."""
        first = self.text.splitlines()[0] if self.text else ""
        match = TEST_FILE.match(first)
        return match.group(1) if match else None


def blocks_of(page: Path) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if current is None:
            match = FENCE.match(line)
            if match:
                current = Block(match.group(1), number, "")
        elif line.startswith("```"):
            blocks.append(current)
            current = None
        else:
            current.text += line + "\n"
    assert current is None, f"{page.name}: the block opened at line {current.line} is never closed"
    return blocks


def _requirements(spec: str) -> list[Requirement]:
    """What ``pip install SPEC`` installs, SPEC being the project (``.``, ``.[cli]``,
    ``audiencelab[cli]``), resolved through ``pyproject.toml``, the project itself excluded."""
    spec = spec.strip("'\"")
    name, _, extras = spec.partition("[")
    assert name in (".", PROJECT), f"pip installs {spec!r}, which is not this project"
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
        assert extra in optional, f"pip installs the extra {extra!r}, which does not exist"
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
                f"{requirement} (from `pip install {spec}`) is not installed"
            ) from None
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)
        provided = _top_level_modules().get(_normal(requirement.name), [])
        assert provided, f"{requirement.name} provides no module"
        # The module named like the distribution, when there is one: others may be optional
        # parts with dependencies of their own (duckdb ships adbc_driver_duckdb).
        modules += [m for m in provided if _normal(m) == _normal(requirement.name)] or provided
    return modules


def shell_script(blocks: list[Block], folder: Path | None) -> tuple[str, set[str]]:
    """The ``sh`` blocks as one bash script (``pip`` lines checked, not run), and the modules the
    ``pip`` lines install. The ``yaml`` files the blocks use are written into ``folder``."""
    lines = [
        "set -euo pipefail",
        "trap 'echo \"block at line $DOC_LINE failed (status $?)\" >&2' ERR",
    ]
    modules: set[str] = set()
    for block in blocks:
        if block.language == "yaml":
            first = block.text.splitlines()[0] if block.text else ""
            match = YAML_FILE.match(first)
            if match and folder is not None:
                (folder / match.group(1)).write_text(block.text, encoding="utf-8")
            continue
        if block.language != "sh":
            continue
        lines.append(f"DOC_LINE={block.line}")
        for line in block.text.splitlines():
            if not line.startswith("pip "):
                lines.append(line)
                continue
            match = PIP_LINE.match(line)
            assert match, f"line after {block.line}: cannot check {line!r}"
            modules.update(check_installed(match.group("spec")))
            rest = match.group("rest")
            if rest is None:
                continue
            words = shlex.split(rest)
            if words[:3] == ["python", "-m", "pytest"]:
                modules.add("pytest")  # runs this very suite: not run again here
                if "-n" in words:
                    modules.add("xdist")
                continue
            lines.append(rest)
    return "\n".join(lines) + "\n", modules


def written_files(script: str) -> set[str]:
    """The files the script's commands write with ``-o FILE``."""
    return {m.group(1).strip('"') for m in OUTPUT_FILE.finditer(script)}
