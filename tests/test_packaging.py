"""The package's public face: light imports, typed, every public name importable."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import audiencelab

HEAVY = (
    "audiencelab.cli", "audiencelab.sandbox", "audiencelab.dlt", "audiencelab.mcp", "pyarrow",
    "dlt", "duckdb", "pandas", "polars", "starlette", "uvicorn", "typer", "yaml", "mcp",
    "mcp_types",
)  # fmt: skip


def _imported_after(statement: str) -> list[str]:
    """The heavy modules loaded by ``statement`` in a fresh interpreter."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return [m for m in json.loads(out.stdout) if m in HEAVY or m.startswith(HEAVY)]


def test_core_import_stays_light() -> None:
    """`import audiencelab` loads neither the CLI, the sandbox, the MCP server, dlt, nor pyarrow."""
    assert _imported_after("import audiencelab") == []


def test_the_command_line_loads_dlt_arrow_and_mcp_only_when_a_command_needs_them() -> None:
    heavy = _imported_after("import audiencelab.cli")
    assert not [m for m in heavy if m.split(".")[0] in ("dlt", "pyarrow", "duckdb", "mcp")], heavy
    assert "audiencelab.dlt" not in heavy
    assert "audiencelab.mcp" not in heavy


def test_public_names() -> None:
    for name in audiencelab.__all__:
        assert getattr(audiencelab, name) is not None
    assert audiencelab.__version__.count(".") == 2


def test_ships_py_typed() -> None:
    assert resources.files("audiencelab").joinpath("py.typed").is_file()
