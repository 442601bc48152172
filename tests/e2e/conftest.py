"""End-to-end: the SDK against a real sandbox server on 127.0.0.1, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from audiencelab import AsyncAudienceLab, AudienceLab
from audiencelab.sandbox import Sandbox, SandboxConfig

API_KEY = "sk_test_e2e_distinct_7f3a9c"
OTHER_KEY = "sk_test_e2e_other_tenant_51b2"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(
        port=0,
        build_seconds=0,
        enrichment_seconds=0,
        max_audience_size=12_000,
        api_keys=(API_KEY, OTHER_KEY),
    )
    with Sandbox(config) as server:
        yield server


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[AudienceLab]:
    with AudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as c:
        yield c


@pytest.fixture
async def aclient(sandbox: Sandbox) -> AsyncIterator[AsyncAudienceLab]:
    async with AsyncAudienceLab(api_key=API_KEY, base_url=sandbox.base_url) as c:
        yield c


@pytest.fixture
def other_client(sandbox: Sandbox) -> Iterator[AudienceLab]:
    with AudienceLab(api_key=OTHER_KEY, base_url=sandbox.base_url) as c:
        yield c


def start_sandbox(tmp_path: Path, **options: object) -> Sandbox:
    """A sandbox of its own (faults, build time...), on a file DB in ``tmp_path`` unless given."""
    settings: dict[str, object] = {
        "port": 0,
        "build_seconds": 0,
        "enrichment_seconds": 0,
        "api_keys": (API_KEY,),
        "db": str(tmp_path / "sandbox.db"),
    }
    settings.update(options)
    return Sandbox(SandboxConfig(**settings))  # type: ignore[arg-type]
