"""The MCP registry entry (server.json) and the package's mcp-name marker agree with the package:
the registry proves a PyPI package is ours by finding the marker in its README."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from audiencelab import API_KEY_ENV, __version__

ROOT = Path(__file__).resolve().parents[2]


def test_server_json_names_this_package_its_version_and_how_to_run_it() -> None:
    server = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    assert server["$schema"].startswith("https://static.modelcontextprotocol.io/schemas/")
    assert re.fullmatch(r"[a-z0-9.-]+/[a-z0-9-]+", server["name"])
    assert len(server["description"]) <= 100  # the registry's limit
    assert server["version"] == __version__
    (package,) = server["packages"]
    assert package["registryType"] == "pypi"
    assert package["identifier"] == "audiencelab"
    assert package["version"] == __version__
    assert package["transport"] == {"type": "stdio"}
    command = [part for a in package["runtimeArguments"] for part in (a["name"], a["value"])]
    command += [a["value"] for a in package["packageArguments"]]
    assert shlex.join(command) == f"--from 'audiencelab[mcp]=={__version__}' mcp"
    (key,) = package["environmentVariables"]
    assert key["name"] == API_KEY_ENV
    assert key["isSecret"] is True


def test_the_readme_carries_the_mcp_name_marker_of_server_json() -> None:
    name = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))["name"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"mcp-name: (\S+)", readme) == [name]
