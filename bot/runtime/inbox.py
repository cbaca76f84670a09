"""The inbox: every inbound item is stored under its idempotency key before it is acknowledged.

A redelivery (Slack retries, a Teams resend, a double click) finds the key and is acknowledged without being
processed again, also after a restart. Items are processed from the inbox; on start a channel finishes what a
crash left unprocessed. The payload (who and what) is cleared as soon as the item is processed.

Requests that arrive together share one transaction (group commit): each still waits until its own row is
stored, but a burst costs one commit instead of one per request. That keeps acknowledgements fast on SQLite,
where every commit goes through one connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import re
import time
from typing import Any

from bot.core.clock import Clock
from storage import inbox as store
from storage.db import Database

log = logging.getLogger(__name__)

_PLAIN_KEY = re.compile(r"[\x21-\x7e]{1,200}")
# How long an accepted item belongs to the replica that took it on, before another may finish it.
LEASE = dt.timedelta(seconds=10)


def safe_key(key: str) -> str:
    """The key as stored: as given when short and plain, else its digest (a forged huge or odd id fits too)."""
    if _PLAIN_KEY.fullmatch(key):
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class Inbox:
    """Idempotent intake for one process; safe across replicas (the key is unique in the database)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self._pending: list[tuple[str, str, dict[str, Any], asyncio.Future[bool]]] = []
        self._done: list[tuple[str, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None
        self.last_arrival = 0.0
        self._in_flight = 0
        # Items this process has taken on and not finished; their claims are renewed while they are held.
        self.held: set[str] = set()
        self._heartbeat: asyncio.Task[None] | None = None

    async def accept(self, *, key: str, channel: str, payload: dict[str, Any]) -> bool:
        """Store the item; False if it was delivered before (then acknowledge it and do nothing else)."""
        self.last_arrival = time.monotonic()
        key = safe_key(key)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((key, channel, payload, future))
        self._schedule_flush()
        self._in_flight += 1
        try:
            accepted = await future
        finally:
            self._in_flight -= 1
        if accepted:
            self.hold(key)
        return accepted

    def hold(self, key: str) -> None:
        """Keep the item's claim fresh while this process works on it (until done or released)."""
        self.held.add(safe_key(key))
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        """While items are held, renew their claims every third of the lease (a live replica keeps its work)."""
        while self.held:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            await self.renew()

    async def renew(self) -> None:
        """Renew the claims of every item held now (one statement)."""
        keys = sorted(self.held)
        try:
            async with self.db.transaction() as connection:
                await store.renew_claims(connection, keys=keys, now=self.clock())
        except Exception as exc:  # the database is away: the next beat tries again
            log.warning("inbox: could not renew %d claims (%s)", len(keys), type(exc).__name__)

    def _schedule_flush(self) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        # Let everything that arrived in this turn of the event loop join the batch.
        await asyncio.sleep(0)
        while self._pending or self._done:
            batch, self._pending = self._pending, []
            done, self._done = self._done, []
            try:
                async with self.db.transaction() as connection:
                    items = [(key, channel, payload) for key, channel, payload, _ in batch]
                    new = await store.accept_many(connection, items=items, now=self.clock())
                    await store.mark_many_processed(connection, keys=[key for key, _ in done], now=self.clock())
            except Exception as exc:  # every waiting request gets the error (and answers 5xx-free: see channels)
                if done:
                    log.warning("inbox: could not mark %d items processed (%s)", len(done), type(exc).__name__)
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                for _, marked in done:
                    if not marked.done():
                        marked.set_exception(exc)
                continue
            for _, marked in done:
                if not marked.done():
                    marked.set_result(None)
            seen: set[str] = set()
            for key, _, _, future in batch:
                future.set_result(key in new and key not in seen)
                seen.add(key)

    def quiet_for(self, seconds: float) -> bool:
        """Whether no item is being stored and none arrived for `seconds` (workers wait for that in a burst)."""
        return self._in_flight == 0 and time.monotonic() - self.last_arrival >= seconds

    async def done(self, key: str) -> None:
        """Mark the item processed and drop its payload; returns once that is written (in a group commit).

        The mark is written right after the reply went out, so a crash between them (a few milliseconds) is the
        only way an item can be answered twice. A failed write is logged; the item is then recovered later.
        """
        marked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._done.append((safe_key(key), marked))
        self._schedule_flush()
        try:
            await marked
        except Exception as exc:
            log.warning("inbox: an item stays unfinished (%s); it will be recovered", type(exc).__name__)
        finally:
            self.held.discard(safe_key(key))

    def release(self, key: str) -> None:
        """Stop holding an item that failed here, so it is taken over once its claim runs out."""
        self.held.discard(safe_key(key))

    async def flush(self) -> None:
        """Wait until everything accepted or marked done so far is written (on shutdown, and in tests)."""
        while self._flushing is not None and not self._flushing.done():
            await self._flushing
        if self._heartbeat is not None and not self._heartbeat.done():
            # Shutting down: what is still held is unfinished, and another replica (or the next start) takes it.
            self._heartbeat.cancel()

    async def abandoned(self, channel: str) -> list[tuple[str, dict[str, Any]]]:
        """Take over (key, payload) of items left unprocessed by a replica that died (or by this one, crashed).

        An item is abandoned when its claim has not been renewed for LEASE: the replica that holds an item renews
        its claim every few seconds until it is done, however long it waits in a queue, so only a dead replica's
        items qualify. Every replica recovers on start, and the leader every few seconds. (The replicas' clocks
        are compared: keep them in time with NTP.)
        """
        now = self.clock()
        async with self.db.session(all_municipalities=True) as session:
            found = await store.claim_abandoned(session, channel=channel, now=now, stale=now - LEASE)
        # This process's own items are not abandoned, however long they wait in its queue.
        taken = [item for item in found if item.key not in self.held]
        for item in taken:
            self.hold(item.key)
        if taken:
            log.info("inbox: took over %d %s items nobody finished", len(taken), channel)
        return [(item.key, dict(item.payload)) for item in taken]
