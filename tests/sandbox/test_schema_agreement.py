"""Issue 23, defect 8: the OpenAPI document and the validator say the same thing.

This is the run that found them disagreeing: ``schemathesis run`` with every check, positive and
negative data, in its fuzzing and stateful phases, against a real server on 127.0.0.1.
``positive_data_acceptance`` fails when a request the document allows is refused (an empty topic,
extra record keys, all-null match keys), ``negative_data_rejection`` when one it forbids is
accepted (``"operator": null``), ``ensure_resource_availability`` when a documented operation
always answers 404 (``GET /enrichments/{job_id}``). Seeded and bounded: a few hundred cases.
(A longer run: ``python bench/sandbox_fuzz.py --schemathesis``.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiencelab.sandbox import Sandbox, SandboxConfig
from audiencelab.sandbox._fields import (
    NON_BLANK,
    RECORD_KEY_PATTERN,
    SEGMENT_PATTERN,
    SPACE_CHARS,
    URL_PATTERN,
    pattern_matches,
)

from .conftest import KEY

#: Examples per operation and phase (19 operations: a few hundred cases in all).
EXAMPLES = 12
SEED = 20261207


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    config = SandboxConfig(port=0, build_seconds=0, api_keys=(KEY,), max_audience_size=2000)
    with Sandbox(config) as sb:
        yield sb


def schemathesis_command() -> list[str]:
    script = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert script is not None, "schemathesis is a dev dependency: pip install -e '.[dev]'"
    return [script]


@pytest.mark.slow
def test_schemathesis_with_every_check_finds_no_disagreement(
    server: Sandbox, tmp_path: Path
) -> None:
    command = [
        *schemathesis_command(), "run", f"{server.base_url}/openapi.json",
        "--checks", "all", "--mode", "all", "--phases", "fuzzing,stateful",
        "--max-examples", str(EXAMPLES), "--seed", str(SEED), "--workers", "1",
        "--header", f"X-Api-Key: {KEY}", "--no-color", "--warnings", "off",
    ]  # fmt: skip
    # cwd: where schemathesis keeps its own files
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path
    )
    tail = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, tail
    assert " passed" in run.stdout, tail


# ---------------------------------------------------------------------------------------------
# The patterns mean the same on both sides (Python's ``re`` for the validator, ECMA-262 for
# the document's readers)


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        (NON_BLANK, "x", True),
        (NON_BLANK, " \t\u3000", False),
        (NON_BLANK, "\x85", True),  # NEL is whitespace to Python, not to ECMA-262
        (NON_BLANK, "\x1f", True),
        (SEGMENT_PATTERN, "b2c_1253", True),
        (SEGMENT_PATTERN, "b2c_1253\n", False),  # Python's "$" would match before the newline
        (RECORD_KEY_PATTERN, "first_name", True),
        (RECORD_KEY_PATTERN, "email\n", False),
        (RECORD_KEY_PATTERN, "EMAIL", False),
        (URL_PATTERN, " https://example.com/x", True),
        (URL_PATTERN, "HTTP://example.com", True),
        (URL_PATTERN, "ftp://example.com", False),
        (URL_PATTERN, "https:///path", False),
    ],
)
def test_patterns_have_json_schema_semantics(pattern: str, text: str, matches: bool) -> None:
    assert pattern_matches(pattern, text) is matches


def test_blank_means_the_same_to_the_pattern_and_to_strip() -> None:
    for code in range(0x3100):
        char = chr(code)
        assert (char in SPACE_CHARS) is not pattern_matches(NON_BLANK, char), hex(code)
