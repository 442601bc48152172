from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's real key or base URL, or writes to their cache directory."""
    for name in ("AUDIENCELAB_API_KEY", "AUDIENCELAB_BASE_URL", "AUDIENCELAB_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUDIENCELAB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
