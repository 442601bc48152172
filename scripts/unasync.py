"""Generate the synchronous client from the asynchronous one, as httpcore does.

``src/audiencelab/_async/*.py`` is the source; ``src/audiencelab/_sync/*.py`` is written from it by
the substitutions below, applied line by line. So the two clients have the same methods,
signatures and docstrings by construction, and are never two hand-kept copies.

    python scripts/unasync.py          # regenerate
    python scripts/unasync.py --check  # exit 1 if a generated file is out of date (CI)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "audiencelab" / "_async"
TARGET = ROOT / "src" / "audiencelab" / "_sync"

HEADER = (
    "# Generated from audiencelab/_async/{name} by scripts/unasync.py: do not edit.\n"
    "# Edit the async source, then run `python scripts/unasync.py`.\n"
)

# (pattern, replacement), in order. Whole lines first, then tokens.
SUBS: list[tuple[str, str]] = [
    # imports: anyio's sleep becomes time's; what is left unused is removed by ruff below
    (r"^import anyio$", "import time"),
    # the async-only words of the docstrings
    (
        r"Asynchronous client for the AudienceLab API \(asyncio or trio, through anyio\)",
        "Synchronous client for the AudienceLab API",
    ),
    (r"\(``await`` it\)", "(returned at once)"),
    (r"The asynchronous client:", "The synchronous client:"),
    # the I/O
    (r"await anyio\.to_thread\.run_sync\(([\w.]+), ", r"\1("),
    (r"await anyio\.sleep\(", "time.sleep("),
    (r"\.aiter_bytes\(", ".iter_bytes("),
    (r"\.aread\(", ".read("),
    (r"\.aclose\(", ".close("),
    (r"httpx2\.AsyncClient", "httpx2.Client"),
    (r"\basynchronous=True\b", "asynchronous=False"),
    (r"\b(export|create_many|record_batches)_async\b", r"\1_sync"),
    (r"audiencelab\._async\.", "audiencelab._sync."),
    # types
    (r"Coroutine\[Any, Any, (.*)\]", r"\1"),
    (r"Awaitable\[(\w+\[\w+\])\]", r"\1"),
    (r"Awaitable\[(\w+)\]", r"\1"),
    (r"Awaitable\[([^\[\]]*)\]", r"\1"),
    (r"\basynccontextmanager\b", "contextmanager"),
    (r"AsyncIterator", "Iterator"),
    (r"AbstractAsyncContextManager", "AbstractContextManager"),
    (r"\bAsync([A-Z]\w*)", r"\1"),
    # the language
    (r"\basync def ", "def "),
    (r"\basync with ", "with "),
    (r"\basync for ", "for "),
    (r"\bawait ", ""),
    (r"__aenter__", "__enter__"),
    (r"__aexit__", "__exit__"),
    (r"__aiter__", "__iter__"),
    # what a sync generator says more simply
    (r"^(\s*)for (\w+) in (.+):\n\s+yield \2$", r"\1yield from \3"),
]
_COMPILED = [(re.compile(p, re.MULTILINE), r) for p, r in SUBS]


def unasync(text: str) -> str:
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    lines: list[str] = []
    for line in text.splitlines(keepends=True):  # an import both sides had, now twice
        if not (line.startswith("import ") and line in lines):
            lines.append(line)
    return "".join(lines)


def _ruff(args: list[str], text: str, path: Path) -> str:
    """``text`` through ruff (unused imports, import order, format), as CI would want it."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode not in (0, 1) or not result.stdout:
        raise SystemExit(f"ruff failed on {path}: {result.stderr}")
    return result.stdout


def tidy(text: str, path: Path) -> str:
    text = _ruff(["check", "--fix", "--quiet", "--select", "F401,I", "--exit-zero"], text, path)
    return _ruff(["format", "--quiet"], text, path)


def generated() -> dict[Path, str]:
    out: dict[Path, str] = {}
    for source in sorted(SOURCE.glob("*.py")):
        text = unasync(source.read_text(encoding="utf-8"))
        if source.name != "__init__.py":
            text = HEADER.format(name=source.name) + text
        else:
            text = (
                '"""The synchronous client and its resources, generated from ``audiencelab/_async``\n'
                'by ``scripts/unasync.py``: do not edit these files."""\n'
            )
        target = TARGET / source.name
        out[target] = tidy(text, target)
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale: list[str] = []
    files = generated()
    for path, text in files.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    extra = [p for p in TARGET.glob("*.py") if p not in files]
    for path in extra:
        stale.append(str(path.relative_to(ROOT)))
        if not check:
            path.unlink()
    if check and stale:
        print("out of date (run `python scripts/unasync.py`):", *stale, sep="\n  ")
        return 1
    if not check:
        print(f"{len(stale)} file(s) written" if stale else "up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
