from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# dlt's anonymous telemetry is process-wide and starts with the first pipeline a process runs: off
# for the whole run (and every command a test starts), so that no test, in whatever order
# pytest-xdist gives a worker, makes dlt reach for dlthub's servers. A test of the CLI's own
# setting removes it for its command (tests/cli/test_load.py).
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"

# Where each test's own user folders go, by the variable that names them (what platformdirs reads
# on Linux, HOME for macOS and for everything that falls back to ~, and dlt's data folder).
USER_FOLDERS = {
    "HOME": "home",
    "XDG_CACHE_HOME": "cache",
    "XDG_DATA_HOME": "data",
    "XDG_CONFIG_HOME": "config",
    "XDG_STATE_HOME": "state",
    "DLT_DATA_DIR": "dlt",
}
# Variables that point at folders of the machine's user that a test must not inherit.
_INHERITED = ("XDG_RUNTIME_DIR", "XDG_DATA_DIRS", "XDG_CONFIG_DIRS", "AUDIENCELAB_SANDBOX_DIR")


def _written(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if not p.is_dir())


@pytest.fixture(autouse=True)
def user_folders(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Every test (and every command it runs) gets its own home, cache, data, config, state and
    dlt folders, made for it alone: what another program on the machine does to the user's real
    folders cannot fail a test, and tests running at once (pytest-xdist) share nothing.

    The guard: the home folder is only a fallback, since each XDG folder is set. A file written
    under it means something ignored its folder's variable and would have written to the
    user's real home; the test fails, naming it.
    """
    base = tmp_path_factory.mktemp("user")
    for name, folder in USER_FOLDERS.items():
        (base / folder).mkdir()
        monkeypatch.setenv(name, str(base / folder))
    for name in _INHERITED:
        monkeypatch.delenv(name, raising=False)
    # The SDK's cache under the test's cache folder, named as some tests read it.
    monkeypatch.setenv("AUDIENCELAB_CACHE_DIR", str(base / "cache" / "audiencelab"))
    yield base
    stray = _written(base / USER_FOLDERS["HOME"])
    assert stray == [], f"written under the home folder, not in its XDG folder: {stray[:5]}"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's real key or base URL, or their sandbox; nor a terminal size
    (pytest-xdist's workers run with COLUMNS=80, which would make Rich wrap piped tables)."""
    for name in ("AUDIENCELAB_API_KEY", "AUDIENCELAB_BASE_URL", "AUDIENCELAB_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    for name in ("COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
