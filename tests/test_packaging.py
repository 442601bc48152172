"""The package's public face: light imports, typed, every public name importable."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

import audiencelab


def test_core_import_stays_light() -> None:
    """`import audiencelab` loads neither the CLI, the sandbox, the MCP server, nor pyarrow."""
    code = (
        "import sys, audiencelab\n"
        "heavy = [m for m in sys.modules if m.startswith(('audiencelab.cli', 'audiencelab.sandbox', "
        "'audiencelab.mcp', 'pyarrow', 'starlette', 'uvicorn', 'typer', 'yaml')) "
        "or m.split('.')[0] in ('mcp', 'mcp_types')]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_public_names() -> None:
    for name in audiencelab.__all__:
        assert getattr(audiencelab, name) is not None
    assert audiencelab.__version__.count(".") == 2


def test_ships_py_typed() -> None:
    assert resources.files("audiencelab").joinpath("py.typed").is_file()
