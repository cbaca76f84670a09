"""A small pool of workers that does acknowledged work in the background, in arrival order.

Acknowledging has a hard deadline (Slack: 3 seconds) and the work is already safe in the inbox, so while
requests are streaming in a worker may wait for a quiet moment, but never longer than `max_defer`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
_STOP = object()


class WorkerPool(Generic[Item]):
    """`workers` tasks that take items from a queue and `process` them; one failing item never stops a worker."""

    def __init__(
        self,
        process: Callable[[Item], Awaitable[None]],
        *,
        name: str,
        workers: int,
        busy: Callable[[], bool] = lambda: False,
        quiet: float = 0.005,
        max_defer: float = 0.0,
    ) -> None:
        self._process, self.name, self.size = process, name, workers
        self._busy, self._quiet, self._max_defer = busy, quiet, max_defer
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = False

    def start(self) -> None:
        """Start the workers (inside the running event loop)."""
        loop = asyncio.get_running_loop()
        self._workers = [loop.create_task(self._drain()) for _ in range(self.size)]

    def put(self, item: Item) -> None:
        """Queue one item of work."""
        self._queue.put_nowait(item)

    async def close(self, grace: float) -> None:
        """Let the items in hand finish (bounded by `grace` seconds); queued ones are left (they are in the inbox)."""
        if not self._workers:
            return
        self._stopping = True
        self._queue.put_nowait(_STOP)
        await asyncio.wait(self._workers, timeout=grace)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _drain(self) -> None:
        while not self._stopping:
            item = await self._queue.get()
            if item is _STOP:
                self._queue.put_nowait(_STOP)  # wake the next worker too
                return
            waited = 0.0
            while self._busy() and waited < self._max_defer:
                await asyncio.sleep(self._quiet)
                waited += self._quiet
            try:
                await self._process(item)  # type: ignore[arg-type]
            except Exception as exc:  # one bad item must not stop the worker; it stays in the inbox
                log.error("%s: processing failed: %s", self.name, type(exc).__name__)
            finally:
                self._queue.task_done()
