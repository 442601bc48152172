"""The MCP Inspector CLI (the official TypeScript SDK's client, which validates structured
content against each tool's output schema, errors included) accepts a refusal and a success.

`.ci/run` installs the Inspector (``npx``, from the npm registry) before the tests; this test is
skipped only when ``npx`` itself is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

#: The version `.ci/run` installs (keep the two in step).
INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"

pytestmark = pytest.mark.skipif(shutil.which("npx") is None, reason="npx is not installed")

#: npm's cache of the real user, where `.ci/run` put the Inspector: read at import, before each
#: test gets a home folder of its own. The test runs npm offline, so it never reaches the
#: registry (no network but loopback): without the package in this cache it fails, saying so.
NPM_CACHE = os.environ.get("npm_config_cache") or str(Path.home() / ".npm")  # noqa: SIM112 (npm reads this spelling)


def _inspect(tmp_path: Path, *args: str) -> tuple[int, Any, str]:
    server = [sys.executable, "-m", "audiencelab.cli", "mcp", "--sandbox"]
    server += ["--export-dir", str(tmp_path / "exports")]
    env_args = [
        "-e",
        f"AUDIENCELAB_SANDBOX_DIR={tmp_path / 'sandbox'}",
        "-e",
        f"AUDIENCELAB_CACHE_DIR={os.environ['AUDIENCELAB_CACHE_DIR']}",
    ]
    run = subprocess.run(
        ["npx", "-y", INSPECTOR, "--cli", *env_args, *args, "--", *server],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env={
            **os.environ,
            "NO_COLOR": "1",
            "npm_config_update_notifier": "false",
            "npm_config_cache": NPM_CACHE,
            "npm_config_offline": "true",
        },
    )
    try:
        out = json.loads(run.stdout)
    except json.JSONDecodeError:
        out = None
    return run.returncode, out, run.stderr


@pytest.mark.slow
def test_the_inspector_accepts_a_refusal_and_a_success(tmp_path: Path) -> None:
    code, refused, err = _inspect(
        tmp_path,
        "--method",
        "tools/call",
        "--tool-name",
        "preview_audience",
        "--tool-arg",
        'filters={"zipCode": ["10001"]}',
    )
    # The Inspector's own verdict on a tool error is exit 5 ("tool_is_error"); a result at odds
    # with the tool's output schema would be a validation error instead.
    assert code == 5, err
    assert "tool_is_error" in err
    assert "must have required property" not in err
    assert refused["isError"] is True
    assert "structuredContent" not in refused
    assert refused["_meta"]["io.audiencelab/error"]["problems"][0]["suggestion"] == "zip"
    assert 'did you mean "zip"?' in refused["content"][0]["text"]

    code, preview, err = _inspect(
        tmp_path,
        "--method",
        "tools/call",
        "--tool-name",
        "preview_audience",
        "--tool-arg",
        'filters={"city": ["Austin"]}',
    )
    assert code == 0, err
    assert preview["structuredContent"]["count"] > 0
    assert "isError" not in preview or preview["isError"] is False

    code, listed, err = _inspect(tmp_path, "--method", "tools/list", "--strict")
    assert code == 0, err  # --strict exits 6 on an error-severity schema problem
    assert {t["name"] for t in listed["tools"]} >= {"preview_audience", "create_audience"}
