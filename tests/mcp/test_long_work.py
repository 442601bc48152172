"""Waits and exports say how far they are (notifications/progress, when the client asks) and stop
when the client cancels: a wait within a moment, an export after its page, resumable."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from .helpers import connected, error_data, sandbox_client

pytestmark = pytest.mark.anyio

AUSTIN = {"city": ["Austin"]}


class Progress:
    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))


def _counting(obj: Any, name: str) -> list[float]:
    """Record when ``obj.name`` is called (the server's client, seen from the test)."""
    calls: list[float] = []
    original = getattr(obj, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(time.monotonic())
        return original(*args, **kwargs)

    setattr(obj, name, counted)
    return calls


@pytest.mark.slow
async def test_a_wait_reports_progress_until_the_audience_is_ready(tmp_path: Path) -> None:
    progress = Progress()
    with sandbox_client(build_seconds=2.5) as client:
        audience = client.audiences.create("Austin", AUSTIN).audience_id
        async with connected(client, tmp_path) as session:
            ready = await session.call_tool(
                "wait_for_audience",
                {"audience_id": audience, "timeout_seconds": 60},
                progress_callback=progress,
            )
    assert ready.structured_content["ready"] is True  # type: ignore[index]
    assert progress.seen, "no progress notification"
    values = [p for p, _, _ in progress.seen]
    assert values == sorted(values)
    assert len(set(values)) == len(values)  # strictly increasing, as the spec asks
    assert all(total == 60 for _, total, _ in progress.seen)
    assert all(f"Audience {audience} is still being built" in (m or "") for *_, m in progress.seen)


@pytest.mark.slow
async def test_a_cancelled_wait_stops_polling_at_once(tmp_path: Path) -> None:
    progress = Progress()
    with sandbox_client(build_seconds=3600) as client:
        audience = client.audiences.create("Austin", AUSTIN).audience_id
        polls = _counting(client.audiences, "wait_until_ready")
        async with connected(client, tmp_path) as session:
            started = time.monotonic()
            with anyio.move_on_after(2.5):
                await session.call_tool(
                    "wait_for_audience",
                    # long enough that polls after the cancel would show, short enough that a
                    # wait which ignores the cancel still ends the test
                    {"audience_id": audience, "timeout_seconds": 12},
                    progress_callback=progress,
                )
            cancelled_at = time.monotonic()
            await anyio.sleep(4)  # a wait still running would poll again (every 1-2 s here)
    assert cancelled_at - started < 5
    assert polls, "it never polled"
    assert all(t < cancelled_at + 0.5 for t in polls), "it went on polling after the cancel"


@pytest.mark.slow
async def test_an_export_reports_rows_and_a_cancelled_one_resumes(tmp_path: Path) -> None:
    progress = Progress()
    with sandbox_client(latency_ms=300) as client:
        audience = client.audiences.create("Austin", AUSTIN).audience_id
        client.audiences.wait_until_ready(audience, timeout=30)
        async with connected(client, tmp_path) as session:
            # Cancelled when its first rows are reported written: mid-export whatever the
            # machine's speed (a fixed delay let a fast export finish first).
            with anyio.CancelScope() as first_rows:

                async def cancel_on_rows(
                    done: float, total: float | None, text: str | None
                ) -> None:
                    await progress(done, total, text)
                    if text and "people written" in text:
                        first_rows.cancel()

                await session.call_tool(
                    "export_audience",
                    {"audience_id": audience, "path": "austin.csv"},
                    progress_callback=cancel_on_rows,
                )
            await anyio.sleep(1)
            leftovers = sorted(p.name for p in tmp_path.iterdir())
            again = await session.call_tool(
                "export_audience", {"audience_id": audience, "path": "austin.csv"}
            )
            resumed = await session.call_tool(
                "export_audience",
                {"audience_id": audience, "path": "austin.csv", "resume": True},
                progress_callback=progress,
            )
    assert "austin.csv.part" in leftovers
    assert "austin.csv.part.json" in leftovers  # the checkpoint: resume=true continues
    assert "austin.csv" not in leftovers
    (problem,) = error_data(again)["problems"]  # no resume=true: the checkpoint is not ignored
    assert problem["fix"] == "call export_audience again with resume=true to continue it"
    summary = resumed.structured_content
    assert summary is not None, resumed.content
    assert summary["rows"] == 10_000
    rows = [p for p, _, m in progress.seen if m and "people written" in m]
    assert rows, progress.seen
    assert any("of 10,000 people written" in (m or "") for *_, m in progress.seen)
    with (tmp_path / "austin.csv").open(encoding="utf-8") as file:
        assert sum(1 for _ in file) == 10_001
