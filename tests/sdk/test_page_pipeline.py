"""When the export's thread pool starts fetches: as soon as they are allowed, not after a batch.

The bytes and order of exports are tested end to end (tests/e2e/test_export_e2e.py); these pin the
timing that the benchmark bench/export_startup.py measures, with a fake client whose fetches are
held on events, so that what was started at each moment is known exactly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import anyio

from audiencelab._export import PageScheduler
from audiencelab._export.scheduler import ReadinessProbe
from audiencelab._sansio import Operation
from audiencelab._sync.export import handle_pages_in_order


class FakeClient:
    """Records which pages were asked for; a page's fetch ends when its event is set."""

    def __init__(self, pages: int) -> None:
        self.started: set[int] = set()
        self.ended: set[int] = set()
        self.release = {n: threading.Event() for n in range(1, pages + 1)}
        self.lock = threading.Lock()

    def send(self, op: Operation[bytes], **options: Any) -> None:
        number = int(dict(op.params)["page"])
        with self.lock:
            self.started.add(number)
        assert self.release[number].wait(5), f"page {number} was never released"
        buffer = options["body_to"]()
        buffer.write(b"page %d" % number)
        with self.lock:
            self.ended.add(number)

    def has_started(self, *numbers: int, within: float = 2.0) -> bool:
        return self._soon(self.started, numbers, within)

    def has_ended(self, *numbers: int, within: float = 2.0) -> bool:
        return self._soon(self.ended, numbers, within)

    def _soon(self, pages: set[int], numbers: tuple[int, ...], within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self.lock:
                if set(numbers) <= pages:
                    return True
            time.sleep(0.005)
        return False


def page_op(number: int) -> Operation[bytes]:
    return Operation("GET", "/audiences/a", params=[("page", str(number))], parse=lambda r: b"")


def run(client: FakeClient, scheduler: PageScheduler, handle: Callable[[int], None]) -> list[int]:
    """The export's runner loop (the sync twin generated from ``_async/export.py``)."""
    seen = []

    def handle_page(number: int, _chunks: Any) -> None:
        seen.append(number)
        handle(number)

    handle_pages_in_order(
        client,  # type: ignore[arg-type]
        scheduler,
        page_op,
        handle_page,
        ReadinessProbe(scheduler, 0.0, None),
        max_retries=0,
        note_retry=lambda status: None,
    )
    return seen


def test_the_other_pages_start_while_the_first_is_written() -> None:
    client = FakeClient(pages=3)
    scheduler = PageScheduler(first=1, concurrency=2)
    client.release[1].set()
    during_first: list[bool] = []

    def handle(number: int) -> None:
        if number == 1:
            scheduler.set_last(3)  # what handling page 1 tells
            during_first.append(client.has_started(2, 3))
            client.release[2].set()
            client.release[3].set()

    assert run(client, scheduler, handle) == [1, 2, 3]
    assert during_first == [True]


def test_fetches_go_on_while_a_run_of_fetched_pages_is_written() -> None:
    """Pages 2 and 3 arrive together; page 4 must start while they are written, not after both."""
    client = FakeClient(pages=5)
    scheduler = PageScheduler(first=1, concurrency=2)
    client.release[1].set()
    during_third: list[bool] = []

    def handle(number: int) -> None:
        if number == 1:
            scheduler.set_last(5)
            client.release[2].set()
            client.release[3].set()
            assert client.has_ended(2, 3)  # both are fetched when the pipeline looks next
        if number == 3:
            during_third.append(client.has_started(4))
            client.release[4].set()
            client.release[5].set()

    assert run(client, scheduler, handle) == [1, 2, 3, 4, 5]
    assert during_third == [True]


class AsyncFakeClient(FakeClient):
    """The same, for the async runner: a fetch is a task that waits (in a thread) for its event."""

    async def send(self, op: Operation[bytes], **options: Any) -> None:  # type: ignore[override]
        number = int(dict(op.params)["page"])
        with self.lock:
            self.started.add(number)
        released = await anyio.to_thread.run_sync(self.release[number].wait, 5)
        assert released, f"page {number} was never released"
        options["body_to"]().write(b"page %d" % number)
        with self.lock:
            self.ended.add(number)


def test_the_async_runner_starts_them_while_the_first_is_written_too() -> None:
    """The async source, whose page handling runs in a worker thread: learning the page count
    there starts the other fetches on the event loop at once (``AsyncWorker.calling_back``)."""
    from audiencelab._async.export import handle_pages_in_order as handle_async

    client = AsyncFakeClient(pages=3)
    scheduler = PageScheduler(first=1, concurrency=2)
    client.release[1].set()
    during_first: list[bool] = []
    seen: list[int] = []

    def handle(number: int, _chunks: Any) -> None:  # in a worker thread
        seen.append(number)
        if number == 1:
            scheduler.set_last(3)
            during_first.append(client.has_started(2, 3))
            client.release[2].set()
            client.release[3].set()

    async def run() -> None:
        await handle_async(
            client,  # type: ignore[arg-type]
            scheduler,
            page_op,
            handle,
            ReadinessProbe(scheduler, 0.0, None),
            max_retries=0,
            note_retry=lambda status: None,
        )

    anyio.run(run)
    assert seen == [1, 2, 3]
    assert during_first == [True]
