"""The few concurrency primitives the runners need, in both flavours (httpcore's
``_synchronization.py`` idea).

The runners (exports, Arrow record batches, ``create_many``) are written once, in the async
source (``_async/export.py``, ``_async/arrow.py``, ``_async/create_many.py``), against the
``Async*`` names below; ``scripts/unasync.py`` turns each ``AsyncX`` into ``X`` when it writes the
sync twin into ``_sync/``. So both flavours schedule the same way and hold the same memory by
construction: only what is here differs.

* :class:`AsyncTaskGroup` / :class:`TaskGroup`: start work (at most ``limit`` at once); leaving
  the block waits for it all, or, after an error, cancels what has not finished and raises the
  first real error (never an exception group). anyio tasks, or a pool of threads.
* :class:`AsyncQueue` / :class:`Queue`: what finished work hands to the loop that started it,
  put from a task or a worker thread without waiting.
* :class:`AsyncWorker` / :class:`Worker`: where CPU and file work runs. The async flavour sends
  it to one thread of its own (the event loop stays responsive; one thread, so one malloc arena,
  as the sync flavour has) and can call back into the loop from there; the sync flavour runs it
  in the calling thread.
"""

from __future__ import annotations

import concurrent.futures
import math
import queue
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread

__all__ = [
    "MAX_CONCURRENCY",
    "AsyncQueue",
    "AsyncTaskGroup",
    "AsyncWorker",
    "Queue",
    "TaskGroup",
    "Worker",
    "first_error",
]

#: The most requests a runner (export, record batches, ``create_many``) has in flight at once.
MAX_CONCURRENCY = 64

T = TypeVar("T")


def first_error(exc: BaseException) -> BaseException:
    """The real error inside a task group's exception group (cancellations aside)."""
    inner = getattr(exc, "exceptions", None)
    if not inner:
        return exc
    for candidate in inner:
        if not isinstance(candidate, anyio.get_cancelled_exc_class()):
            return first_error(candidate)
    return exc


class AsyncTaskGroup:
    """anyio tasks, at most ``limit`` running at once."""

    def __init__(self, limit: int, name: str) -> None:
        self._limiter = anyio.CapacityLimiter(limit)
        self._name = name
        self._group: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> AsyncTaskGroup:
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._group is not None
        try:
            swallowed = await self._group.__aexit__(exc_type, exc, tb)
        except BaseException as group:
            raise first_error(group) from None
        return swallowed  # True only for the cancellation the group made itself

    def start_soon(self, work: Callable[..., Awaitable[Any]], *args: Any) -> None:
        assert self._group is not None, "start work inside the block"

        async def limited() -> None:
            async with self._limiter:
                await work(*args)

        self._group.start_soon(limited, name=self._name)

    def cancel(self) -> None:
        """Stop the work still running (it is not needed any more)."""
        assert self._group is not None
        self._group.cancel_scope.cancel()


class TaskGroup:
    """A pool of ``limit`` threads."""

    def __init__(self, limit: int, name: str) -> None:
        self._limit = limit
        self._name = name
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._futures: list[concurrent.futures.Future[Any]] = []

    def __enter__(self) -> TaskGroup:
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self._limit, thread_name_prefix=self._name
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._pool is not None
        if exc is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            return
        try:
            for future in concurrent.futures.as_completed(self._futures):
                if not future.cancelled():
                    future.result()  # the first error is raised; the rest is cancelled below
        except BaseException:
            self._pool.shutdown(wait=False, cancel_futures=True)
            raise
        self._pool.shutdown(wait=True)

    def start_soon(self, work: Callable[..., Any], *args: Any) -> None:
        assert self._pool is not None, "start work inside the block"
        self._futures.append(self._pool.submit(work, *args))

    def cancel(self) -> None:
        """Drop the work not started yet (a thread cannot be stopped midway: it finishes)."""
        for future in self._futures:
            future.cancel()


class AsyncQueue(Generic[T]):
    """Unbounded: what a task finished, for the loop that started it."""

    def __init__(self) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[T](math.inf)

    def put_nowait(self, item: T) -> None:
        self._send.send_nowait(item)

    async def get(self) -> T:
        return await self._receive.receive()

    def close(self) -> None:
        self._send.close()
        self._receive.close()


class Queue(Generic[T]):
    """Unbounded and thread-safe: what a worker thread finished, for the calling thread."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[T] = queue.SimpleQueue()

    def put_nowait(self, item: T) -> None:
        self._queue.put_nowait(item)

    def get(self) -> T:
        return self._queue.get()

    def close(self) -> None:
        pass


class AsyncWorker:
    """Work off the event loop, in one thread of its own for the runner's whole run.

    One thread, not any of anyio's worker threads: the pages are joined and parsed there, and
    each thread that allocates big buffers gets a malloc arena of its own that keeps its peak
    (several arenas cost an async export about a third more memory than the sync one, whose
    calling thread does this work). Used as ``async with AsyncWorker() as worker:``.
    """

    def __init__(self) -> None:
        self._thread: concurrent.futures.ThreadPoolExecutor | None = None
        self._token: Any = None

    async def __aenter__(self) -> AsyncWorker:
        self._token = anyio.lowlevel.current_token()
        self._thread = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="audiencelab-worker"
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._thread is not None
        self._thread.shutdown(wait=False)  # nothing runs there now: each run was waited for

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        assert self._thread is not None, "use the worker inside its block"
        done = self._thread.submit(work, *args)
        # Waiting is not cancellable, as anyio.to_thread.run_sync's is not: the work ends first.
        return await anyio.to_thread.run_sync(done.result)

    def calling_back(self, work: Callable[[], None]) -> Callable[[], None]:
        """``work`` as a callable that code running in :meth:`run` may call: it runs in the
        event loop's thread."""
        token = self._token
        return lambda: anyio.from_thread.run_sync(work, token=token)

    @staticmethod
    async def sleep(seconds: float) -> None:
        await anyio.sleep(seconds)


class Worker:
    """Work in the calling thread. Used as ``with Worker() as worker:``."""

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def run(self, work: Callable[..., T], *args: Any) -> T:
        return work(*args)

    def calling_back(self, work: Callable[[], None]) -> Callable[[], None]:
        return work

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)
