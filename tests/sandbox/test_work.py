"""Issue 20: work off the event loop is bounded, and pages are encoded once and served as bytes.

No timings here (benchmarks show speed: ``bench/sandbox_page.py``): the tests pin the mechanisms,
with events that hold the work still, so that they cannot pass by luck.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2 as httpx
import pydantic_core
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiencelab.sandbox import Sandbox, SandboxConfig
from audiencelab.sandbox import _generate as generate
from audiencelab.sandbox import _pages as pages
from audiencelab.sandbox._http import encode_json
from audiencelab.sandbox._work import WORK_THREADS, ByteBudget

from .conftest import KEY, OTHER_KEY

# ---------------------------------------------------------------------------------------------
# The byte budget


@pytest.mark.anyio
@pytest.mark.slow
async def test_the_budget_hands_out_bytes_in_order_and_times_out() -> None:
    budget = ByteBudget(100)
    assert await budget.acquire(60, 1) == 60
    granted: list[int] = []

    async def later(amount: int) -> None:
        share = await budget.acquire(amount, 5)
        assert share is not None
        granted.append(amount)

    async with anyio.create_task_group() as tg:
        tg.start_soon(later, 50)  # waits: 60 + 50 > 100
        await anyio.sleep(0.01)
        tg.start_soon(later, 10)  # would fit, but comes after the 50: first come, first served
        await anyio.sleep(0.01)
        assert granted == []
        assert await budget.acquire(30, 0.05) is None  # behind them, it times out
        budget.release(60)
    assert granted == [50, 10]
    assert budget.used == 60
    assert budget.peak == 60
    assert await budget.acquire(500, 1) is None  # the whole budget at most, and 60 are in use
    budget.release(60)
    assert await budget.acquire(500, 1) == 100
    budget.release(100)


@pytest.mark.anyio
async def test_a_large_body_that_gives_up_lets_the_smaller_ones_behind_it_through() -> None:
    budget = ByteBudget(100)
    await budget.acquire(60, 1)
    got: dict[str, int | None] = {}

    async def ask(name: str, amount: int, timeout: float) -> None:
        got[name] = await budget.acquire(amount, timeout)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask, "large", 50, 0.05)  # does not fit; gives up after 50 ms
        await anyio.sleep(0.01)
        tg.start_soon(ask, "small", 30, 5)  # fits, but waits behind the large one
    assert got == {"large": None, "small": 30}  # granted as the large one left: no release
    assert budget.used == 90


# ---------------------------------------------------------------------------------------------
# Pages are built in worker threads, at most WORK_THREADS at once


@pytest.fixture
def held_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Page generation that waits for ``release`` (and counts how many wait at once)."""
    state: dict[str, Any] = {"inside": 0, "most": 0, "release": threading.Event(), "calls": 0}
    lock = threading.Lock()
    columns = generate.Plan.columns

    def held(self: generate.Plan, start: int, stop: int) -> list[list[str]]:
        state["calls"] += 1
        if state.get("forbidden"):
            raise RuntimeError("no person may be generated now")
        with lock:
            state["inside"] += 1
            state["most"] = max(state["most"], state["inside"])
        state["release"].wait(30)
        with lock:
            state["inside"] -= 1
        return columns(self, start, stop)

    monkeypatch.setattr(generate.Plan, "columns", held)
    monkeypatch.setattr(pages, "CACHE", pages.PageCache())  # nothing kept from other tests
    yield state
    state["release"].set()


@pytest.mark.slow
def test_pages_are_built_off_the_event_loop_a_few_at_a_time(held_pages: dict[str, Any]) -> None:
    config = SandboxConfig(port=0, build_seconds=0, api_keys=(KEY, OTHER_KEY))
    with Sandbox(config) as sb, sb.client(timeout=30) as client:
        ids = [
            client.post(
                "/audiences", json={"name": f"a{i}", "filters": {"zip": [f"7870{i}"]}}
            ).json()["audienceId"]
            for i in range(8)
        ]
        answers: list[httpx.Response] = []

        def read(audience_id: str) -> None:
            with sb.client(timeout=30) as c:
                answers.append(c.get(f"/audiences/{audience_id}", params={"page_size": 1000}))

        threads = [threading.Thread(target=read, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        deadline = anyio_deadline(10)
        while held_pages["inside"] < WORK_THREADS and not deadline():
            pass
        # eight pages are being built, held: the event loop answers others meanwhile
        with sb.client(timeout=5, headers={"X-Api-Key": OTHER_KEY}) as other:
            assert other.get("/healthz").status_code == 200
            assert other.get("/audiences").json()["total_records"] == 0
        assert held_pages["inside"] == WORK_THREADS  # the other four wait for a thread
        held_pages["release"].set()
        for t in threads:
            t.join(30)
    assert [a.status_code for a in answers] == [200] * 8
    assert held_pages["most"] == WORK_THREADS


def anyio_deadline(seconds: float) -> Any:
    import time

    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


def test_a_kept_page_is_answered_without_generating_anything(held_pages: dict[str, Any]) -> None:
    """Once a page's rows are kept, reading it again (or another page of the same block) does not
    generate a single person."""
    held_pages["release"].set()
    config = SandboxConfig(port=0, build_seconds=0, api_keys=(KEY,))
    with Sandbox(config) as sb, sb.client(timeout=30) as client:
        audience = client.post("/audiences", json={"name": "k", "filters": {"state": ["VT"]}})
        path = f"/audiences/{audience.json()['audienceId']}"
        first = client.get(path, params={"page": 2, "page_size": 100})
        assert first.status_code == 200
        assert held_pages["calls"] == 1  # the page's block, generated whole and kept
        held_pages["forbidden"] = True  # from now on, generating is a 500
        for page, size in ((2, 100), (3, 50), (1, 256)):  # all within the kept block
            again = client.get(path, params={"page": page, "page_size": size})
            assert again.status_code == 200, again.text
        assert again.json()["data"][100:200] == first.json()["data"]
        assert held_pages["calls"] == 1


# ---------------------------------------------------------------------------------------------
# The encoder writes what pydantic-core (and so the previous sandbox) wrote

TEXT = st.text(st.characters(exclude_categories=("Cs",)))
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=30,
)


@pytest.mark.slow
@settings(max_examples=400, derandomize=True, database=None)
@given(value=JSON)
def test_the_encoder_writes_pydantic_cores_bytes(value: Any) -> None:
    assert encode_json(value) == pydantic_core.to_json(value)


def test_what_orjson_refuses_is_encoded_by_pydantic_core() -> None:
    assert encode_json({"n": 2**64}) == b'{"n":18446744073709551616}'
    with pytest.raises(pydantic_core.PydanticSerializationError):  # as before: unsendable
        encode_json(["\udfff"])
