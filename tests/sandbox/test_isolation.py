"""Architecture rules: the sandbox never imports the SDK, and import costs stay where they belong."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import audiencelab.sandbox as sandbox

SANDBOX_DIR = Path(sandbox.__file__).parent


def test_the_sandbox_imports_nothing_from_the_sdk() -> None:
    offenders = []
    files = sorted(SANDBOX_DIR.glob("*.py"))
    assert len(files) > 5
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    offenders.append(f"{path.name}:{node.lineno}: relative import")
                    continue
                names = [node.module or ""]
            for name in names:
                if name == "audiencelab" or (
                    name.startswith("audiencelab.") and not name.startswith("audiencelab.sandbox")
                ):
                    offenders.append(f"{path.name}:{node.lineno}: imports {name}")
    assert offenders == []


@pytest.mark.slow
def test_sibling_modules_share_only_public_names() -> None:
    """A module's underscore names are its own: what siblings share is a public name of its owner."""
    offenders = []
    for path in sorted(SANDBOX_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "audiencelab.sandbox"
            ):
                private = [a.name for a in node.names if a.name.startswith("_")]
                # importing a sibling *module* (``from audiencelab.sandbox import _data``) is fine
                if node.module != "audiencelab.sandbox" and private:
                    offenders.append(f"{path.name}:{node.lineno}: {node.module} {private}")
    assert offenders == []


def _modules_after(statement: str, before: str = "pass") -> set[str]:
    """Modules that ``statement`` imports, in a fresh interpreter, beyond those of ``before``."""
    code = (
        f"import sys; {before}; seen = set(sys.modules); {statement}; "
        "print(chr(10).join(sorted(set(sys.modules) - seen)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_sandbox_does_not_import_the_cli_stack() -> None:
    # httpx imports click and rich by itself when they are installed (its own CLI), and the
    # package's __init__ (the SDK) imports httpx; what the sandbox adds must not include them,
    # nor typer at all. uvicorn (which imports click) is only imported when a server starts.
    added = _modules_after("import audiencelab.sandbox", before="import httpx, audiencelab")
    assert "audiencelab.sandbox" in added
    assert not {m for m in added if m.split(".")[0] in ("typer", "rich", "click", "uvicorn")}
    everything = _modules_after("import audiencelab.sandbox")
    assert not {m for m in everything if m.split(".")[0] == "typer"}


def test_importing_the_sdk_does_not_import_the_sandbox() -> None:
    modules = _modules_after("import audiencelab")
    assert not {m for m in modules if m.startswith("audiencelab.sandbox")}
    assert "starlette" not in modules
    assert "uvicorn" not in modules


def test_public_api() -> None:
    for name in ("SandboxConfig", "create_app", "Sandbox", "serve", "DEFAULT_API_KEY"):
        assert name in sandbox.__all__
        assert hasattr(sandbox, name)
    assert sandbox.DEFAULT_API_KEY == "sk_test_sandbox"
    assert not sandbox.DEFAULT_API_KEY.startswith("sk_live_")


def test_no_sandbox_module_is_longer_than_600_lines() -> None:
    """Modules stay readable; only the pure data tables (``_data.py``) may be longer."""
    lengths = {
        path.name: len(path.read_text(encoding="utf-8").splitlines())
        for path in SANDBOX_DIR.glob("*.py")
        if path.name != "_data.py"
    }
    assert {name: n for name, n in lengths.items() if n > 600} == {}
