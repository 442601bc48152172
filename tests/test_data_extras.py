"""What ``pip install ".[all]"`` brings for the data doors (issue 19, point 17): pandas and Polars
with the Arrow batches (extra ``dataframes``), dlt with DuckDB (extra ``dlt``)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def requirements(extra: str) -> set[str]:
    """The distributions an extra installs, its ``audiencelab[...]`` references followed."""
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    found: set[str] = set()
    for requirement in extras[extra]:
        own = re.fullmatch(r"audiencelab\[([a-z,]+)\]", requirement)
        if own:
            for name in own.group(1).split(","):
                found |= requirements(name)
        else:
            found.add(re.split(r"[\[<>=!~;]", requirement, maxsplit=1)[0])
    return found


def test_all_brings_pandas_polars_pyarrow_dlt_and_duckdb() -> None:
    assert {"pandas", "polars", "pyarrow", "dlt"} <= requirements("all")
    assert requirements("dataframes") == {"pyarrow", "pandas", "polars"}
    assert requirements("dlt") == {"pyarrow", "dlt"}  # dlt[duckdb] brings DuckDB
