"""The inbox: every inbound item is stored under its idempotency key before it is acknowledged.

A redelivery (Slack retries, a Teams resend, a double click) finds the key and is acknowledged without being
processed again, also after a restart. Items are processed from the inbox; on start a channel finishes what a
crash left unprocessed. The payload (who and what) is cleared as soon as the item is processed.

Requests that arrive together share one transaction (group commit): each still waits until its own row is
stored, but a burst costs one commit instead of one per request. That keeps acknowledgements fast on SQLite,
where every commit goes through one connection.

Storing has a deadline (STORE_DEADLINE): when the database is locked, busy or down, `accept` raises
StoreUnavailable in time for the channel to answer inside Slack's three seconds, and the row is not kept (the
batch's transaction is rolled back if the rows are not inserted by its earliest deadline; a commit that lands
after its request gave up is undone). Done marks are written in their own task, so they never hold up intake.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bot.core import faults
from bot.core.clock import Clock
from storage import inbox as store
from storage.db import Database

log = logging.getLogger(__name__)

_PLAIN_KEY = re.compile(r"[\x21-\x7e]{1,200}")
# How long an accepted item belongs to the replica that took it on, before another may finish it.
LEASE = dt.timedelta(seconds=10)
# How long a request may wait for its inbox row; Slack wants an answer within 3 s, the Bot Framework within 15.
STORE_DEADLINE = 2.0
# A request waits this much longer than its batch's deadline, for a commit that is landing (see _store).
COMMIT_GRACE = 0.5
# How long a done mark may take before it is given up (and the item is recovered, so answered again).
MARK_DEADLINE = 10.0


class Abandoned(NamedTuple):
    """An item taken over from the inbox: its key, what it said (payload), and when it arrived."""

    key: str
    payload: dict[str, Any]
    received_at: dt.datetime


class StoreUnavailable(Exception):
    """The item could not be stored before the deadline (the database is locked, busy or down); nothing was kept."""


@dataclass(eq=False)
class _Arrival:
    key: str
    channel: str
    payload: dict[str, Any]
    deadline: float  # on the event loop's clock
    future: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def safe_key(key: str) -> str:
    """The key as stored: as given when short and plain, else its digest (a forged huge or odd id fits too)."""
    if _PLAIN_KEY.fullmatch(key):
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def reference(key: str) -> str:
    """An opaque, stable tag for an item's replies on the platform, so recovery can tell they arrived."""
    return hashlib.sha256(safe_key(key).encode()).hexdigest()[:24]


class Inbox:
    """Idempotent intake for one process; safe across replicas (the key is unique in the database)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self._pending: list[_Arrival] = []
        # (key, the future its worker waits on, when its effect was seen)
        self._done: list[tuple[str, asyncio.Future[None], float]] = []
        self._flushing: asyncio.Task[None] | None = None
        # The marks being written: a worker writing them itself, or a task (see done()).
        self._marking: asyncio.Future[None] | None = None
        # Items this process has taken on and not finished; their claims are renewed while they are held.
        self.held: set[str] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        # The window a crash would repeat a reply in: from its effect being seen to its mark being committed.
        self.marks, self.window_total, self.window_max = 0, 0.0, 0.0

    async def accept(self, *, key: str, channel: str, payload: dict[str, Any]) -> bool:
        """Store the item; False if it was delivered before (then acknowledge it and do nothing else).

        Raises StoreUnavailable when the row could not be stored within STORE_DEADLINE; then nothing is kept.
        """
        loop = asyncio.get_running_loop()
        arrival = _Arrival(safe_key(key), channel, payload, loop.time() + STORE_DEADLINE)
        self._pending.append(arrival)
        self._schedule_flush()
        try:
            # Shielded: the batch, not this request, decides when its transaction is given up.
            accepted = await asyncio.wait_for(asyncio.shield(arrival.future), STORE_DEADLINE + COMMIT_GRACE)
        except TimeoutError:
            if arrival in self._pending:
                self._pending.remove(arrival)  # never written
            arrival.future.cancel()  # its batch, if it is being written, forgets it (see _store)
            raise self._refused("timeout") from None
        except StoreUnavailable as exc:
            raise self._refused(str(exc)) from None
        if accepted:
            self.hold(arrival.key)
        return accepted

    @staticmethod
    def _refused(reason: str) -> StoreUnavailable:
        faults.count("database_unavailable")
        log.warning("inbox: refused an item, the database did not store it in time (%s)", reason)
        return StoreUnavailable(reason)

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
        while self._pending:
            batch, self._pending = self._pending, []
            await self._store(batch)

    async def _store(self, batch: list[_Arrival]) -> None:
        """Store a batch of arrivals in one transaction.

        The deadline (the batch's earliest) holds until the rows are inserted: given up before that, the
        transaction is rolled back and nothing is kept. The commit itself is not cut short (a commit cancelled
        midway may still land); a request that has given up by the time it lands has its row deleted again.
        """
        try:
            async with self.db.engine.connect() as connection:
                async with asyncio.timeout_at(min(arrival.deadline for arrival in batch)):
                    await connection.begin()
                    items = [(arrival.key, arrival.channel, arrival.payload) for arrival in batch]
                    new = await store.accept_many(connection, items=items, now=self.clock())
                await asyncio.shield(connection.commit())
        except Exception as exc:  # locked, refused, timed out before the insert: nothing of the batch is kept
            for arrival in batch:
                if not arrival.future.done():
                    arrival.future.set_exception(StoreUnavailable(type(exc).__name__))
            return
        seen: set[str] = set()
        ghosts: list[str] = []
        for arrival in batch:
            if arrival.future.cancelled():  # its request gave up while the commit was landing
                if arrival.key in new and arrival.key not in seen:
                    ghosts.append(arrival.key)
                continue
            arrival.future.set_result(arrival.key in new and arrival.key not in seen)
            seen.add(arrival.key)
        if ghosts:
            # The person was told "not stored": make that true.
            try:
                async with self.db.transaction() as connection:
                    await store.forget(connection, keys=ghosts)
            except Exception as exc:  # then the inbox recovery answers them later: late, but not lost
                log.warning("inbox: could not forget %d refused items (%s)", len(ghosts), type(exc).__name__)

    def _schedule_marks(self) -> None:
        if self._marking is None or self._marking.done():
            self._marking = asyncio.get_running_loop().create_task(self._mark_all())

    async def _mark_all(self) -> None:
        # Marks go in their own task and transaction, so a stuck one never holds up the storing of new requests.
        # No waiting for more to join: marks that came in the same turn of the event loop are here already, and
        # every turn a mark waits is a reply a crash would repeat.
        while self._done:
            done, self._done = self._done, []
            await self._mark(done)

    async def _mark(self, done: list[tuple[str, asyncio.Future[None], float]]) -> None:
        """Mark items processed (their replies went out) in one transaction, waiting up to MARK_DEADLINE.

        A mark that is not written means the item is answered again after recovery, so it is worth waiting for,
        but not for ever: a connection that hangs (half-open after a failover) gives up, and recovery follows.
        """
        try:
            keys, stamp = [key for key, _, _ in done], self.clock()
            async with asyncio.timeout(MARK_DEADLINE):
                await self.db.record_effect(lambda c: store.mark_many_processed(c, keys=keys, now=stamp))
        except Exception as exc:
            log.warning("inbox: could not mark %d items processed (%s)", len(done), type(exc).__name__)
            for _, marked, _ in done:
                if not marked.done():
                    marked.set_exception(exc)
            return
        now = asyncio.get_running_loop().time()
        for _, marked, seen in done:
            if not marked.done():
                marked.set_result(None)
                window = now - seen
                self.marks += 1
                self.window_total += window
                self.window_max = max(self.window_max, window)

    def window(self) -> dict[str, float]:
        """How long replies that went out waited for their mark (ms, since start): what a crash would repeat."""
        average = self.window_total / self.marks if self.marks else 0.0
        return {
            "marked": self.marks,
            "unmarked_ms_avg": round(average * 1000, 2),
            "unmarked_ms_max": round(self.window_max * 1000, 2),
        }

    async def done(self, key: str) -> None:
        """Mark the item processed and drop its payload; returns once that is written (in a group commit).

        The mark is written right after the reply went out, so a crash between them (a few milliseconds) is the
        only way an item can be answered twice. A failed write is logged; the item is then recovered later.
        """
        loop = asyncio.get_running_loop()
        marked: asyncio.Future[None] = loop.create_future()
        self._done.append((safe_key(key), marked, loop.time()))
        if self._marking is None or self._marking.done():
            # Nobody is writing marks: this worker writes them (its own and any that join meanwhile) at once. A
            # task of their own would start a turn of the event loop later: a turn a crash would repeat the reply.
            writing: asyncio.Future[None] = loop.create_future()
            self._marking = writing
            try:
                await self._mark_all()
            finally:
                writing.set_result(None)
                if self._done:  # this worker was cancelled with marks still to write: a task writes them
                    self._schedule_marks()
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
        while True:
            running = [task for task in (self._flushing, self._marking) if task is not None and not task.done()]
            if not running:
                break
            await asyncio.gather(*running)
        if self._heartbeat is not None and not self._heartbeat.done():
            # Shutting down: what is still held is unfinished, and another replica (or the next start) takes it.
            self._heartbeat.cancel()

    async def abandoned(self, channel: str, *, starting: bool = False) -> list[Abandoned]:
        """Take over (key, payload) of items left unprocessed by a replica that died (or by this one, crashed).

        An item is abandoned when its claim has not been renewed for LEASE: the replica that holds an item renews
        its claim every few seconds until it is done, however long it waits in a queue, so only a dead replica's
        items qualify. Every replica recovers on start, and the leader every few seconds. (The replicas' clocks
        are compared: keep them in time with NTP.)

        On SQLite there is only ever one server process, so a server `starting` takes over at once everything
        left unprocessed: whoever claimed it was this server before it crashed.
        """
        now = self.clock()
        stale = now if starting and self.db.is_sqlite else now - LEASE
        async with self.db.session(all_municipalities=True) as session:
            found = await store.claim_abandoned(session, channel=channel, now=now, stale=stale)
        # This process's own items are not abandoned, however long they wait in its queue.
        taken = [item for item in found if item.key not in self.held]
        for item in taken:
            self.hold(item.key)
        if taken:
            log.info("inbox: took over %d %s items nobody finished", len(taken), channel)
        return [Abandoned(item.key, dict(item.payload), item.received_at) for item in taken]
