"""A small pool of workers that does acknowledged work in the background, in arrival order.

The work is already safe in the inbox when it is queued, so it is done as soon as a worker is free: never held
back for the sake of throughput (a person waits for the answer, not for the acknowledgement). Under overload the
queue grows and replies still come, in order; `backlog()` says how far behind the pool is (shown in /healthz).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
_STOP = object()


class WorkerPool(Generic[Item]):
    """`workers` tasks that take items from a queue and `process` them; one failing item never stops a worker."""

    def __init__(self, process: Callable[[Item], Awaitable[None]], *, name: str, workers: int) -> None:
        self._process, self.name, self.size = process, name, workers
        self._queue: asyncio.Queue[tuple[float, object]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = False

    def start(self) -> None:
        """Start the workers (inside the running event loop)."""
        loop = asyncio.get_running_loop()
        self._workers = [loop.create_task(self._drain()) for _ in range(self.size)]

    def put(self, item: Item) -> None:
        """Queue one item of work."""
        self._queue.put_nowait((time.monotonic(), item))

    def backlog(self) -> dict[str, float]:
        """How far behind the pool is: items waiting, and how long the oldest of them has waited (seconds)."""
        waiting = list(self._queue._queue)  # type: ignore[attr-defined]  # asyncio.Queue keeps a deque
        oldest = min((queued for queued, item in waiting if item is not _STOP), default=None)
        return {"queued": len(waiting), "oldest_seconds": round(time.monotonic() - oldest, 3) if oldest else 0.0}

    async def close(self, grace: float) -> None:
        """Let the items in hand finish (bounded by `grace` seconds); queued ones are left (they are in the inbox)."""
        if not self._workers:
            return
        self._stopping = True
        self._queue.put_nowait((time.monotonic(), _STOP))
        await asyncio.wait(self._workers, timeout=grace)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _drain(self) -> None:
        while not self._stopping:
            queued, item = await self._queue.get()
            if item is _STOP:
                self._queue.put_nowait((queued, _STOP))  # wake the next worker too
                return
            try:
                await self._process(item)  # type: ignore[arg-type]
            except Exception as exc:  # one bad item must not stop the worker; it stays in the inbox
                log.error("%s: processing failed: %s", self.name, type(exc).__name__)
            finally:
                self._queue.task_done()
