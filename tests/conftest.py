from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _the_users_cache_is_left_alone() -> Iterator[None]:
    """No test (nor a command it runs) writes the developer's own cache directory."""
    import platformdirs

    folder = Path(platformdirs.user_cache_dir("audiencelab", appauthor=False))
    before = sorted(folder.rglob("*")) if folder.exists() else []
    yield
    after = sorted(folder.rglob("*")) if folder.exists() else []
    assert after == before, f"tests wrote to {folder}: {sorted(set(after) - set(before))[:5]}"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's real key or base URL, or writes to their cache directory."""
    for name in ("AUDIENCELAB_API_KEY", "AUDIENCELAB_BASE_URL", "AUDIENCELAB_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("AUDIENCELAB_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))  # for subprocesses that drop AUDIENCELAB_*
    # dlt's pipelines (state) of tests in the test's folder, never ~/.dlt (or /var/dlt for root).
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path_factory.mktemp("dlt")))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
