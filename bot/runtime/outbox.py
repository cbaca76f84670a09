"""Proactive messages: the Notifier interface each channel implements, and the outbox worker that drives them.

Handlers and jobs never send directly: they queue a Reply in the outbox under a unique key (what, occurrence,
target), so a restart, a retry or a second replica never sends it twice. The worker delivers due messages
through the notifier of the target's platform, backing off on failure and honouring Retry-After.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.core.clock import Clock
from bot.core.messages import Reply, reply_from_payload
from bot.core.proactive import queue
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 5.0
MAX_DELAY_SECONDS = 3600.0
# How long a claimed message is reserved for the worker sending it before another may try.
CLAIM_LEASE = dt.timedelta(minutes=2)


class SendFailed(Exception):
    """A notifier could not deliver; `retry_after` (seconds) when the platform said when to try again."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.retry_after, self.permanent = retry_after, permanent


class Notifier(Protocol):
    """Posts a Reply to a target on one platform (a channel id, or a user for a direct message).

    `min_interval` is the platform's pace per target in seconds (Slack: about one message a second per channel).
    """

    platform: str
    min_interval: float

    async def send(self, target: str, reply: Reply, *, municipality: str, tag: str = "") -> None:
        """Deliver as the message's municipality (whose workspace token, say), or raise SendFailed.

        `tag` is the message's opaque reference, for the platform to keep with the post where it can.
        """

    async def arrived(self, target: str, tag: str, *, municipality: str, since: dt.datetime) -> bool:
        """Whether a post with this tag is at the target already (False when the platform cannot tell)."""


class Outbox:
    """The channels' door to the outbox: a reply that could not be delivered now is queued for the worker."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def later(self, *, key: str, target: str, reply: Reply, municipality: str | None = None) -> None:
        """Queue a reply for the outbox worker, which retries with backoff (as the municipality's row)."""
        db = self.db.scoped(municipality) if municipality else self.db
        async with db.session() as session:
            await queue(session, key=key, target=target, reply=reply, now=self.clock())


async def take_pending(db: Database, clock: Clock, *, target: str) -> list[Reply]:
    """Collect and mark sent the messages waiting for a target that pulls them (the console on start)."""
    async with db.session() as session:
        messages = await outbox.pending_for(session, target=target)
        replies = [reply_from_payload(message.payload) for message in messages]
        for message in messages:
            assert message.id is not None
            await outbox.mark_sent(session, message_id=message.id, now=clock())
    return replies


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds to wait before the next attempt: the platform's Retry-After, or exponential with jitter."""
    if retry_after is not None:
        return max(retry_after, 0.0)
    delay = min(BASE_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_DELAY_SECONDS)
    return float(delay * random.uniform(0.8, 1.2))


class OutboxWorker:
    """Delivers due outbox messages through the channels' notifiers."""

    def __init__(self, *, db: Database, clock: Clock, notifiers: dict[str, Notifier]) -> None:
        self.db, self.clock, self.notifiers = db, clock, notifiers

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many were delivered. Failures are rescheduled, never lost.

        Targets are served side by side; messages to one target go one at a time at the platform's pace.
        """
        if not self.notifiers:
            return 0
        try:
            async with self.db.session(all_municipalities=True) as session:
                messages = await outbox.due(session, now=self.clock(), platforms=tuple(self.notifiers))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("outbox: database unavailable (%s); will try again", type(exc).__name__)
            return 0
        by_target: dict[str, list[OutboxMessage]] = {}
        for message in messages:
            by_target.setdefault(message.target, []).append(message)
        sent = await asyncio.gather(*(self._deliver_to(target, queued) for target, queued in by_target.items()))
        return sum(sent)

    async def _deliver_to(self, target: str, messages: list[OutboxMessage]) -> int:
        notifier = self.notifiers[target.split(":", 1)[0]]
        delivered = 0
        for index, message in enumerate(messages):
            assert message.id is not None
            if index:
                await asyncio.sleep(notifier.min_interval)
            if message.attempts >= MAX_ATTEMPTS:  # every attempt was cut short (a crash each time)
                await self._failed(message.id, message.attempts, SendFailed("attempts never finished"))
                continue
            async with self.db.session(all_municipalities=True) as session:
                # Another worker (a second replica) may have taken it: then it is theirs to send.
                if not await outbox.claim(session, message=message, now=self.clock(), lease=CLAIM_LEASE):
                    continue
            try:
                # An earlier attempt that a crash cut short may have posted it: then it is only marked sent.
                if message.in_flight and message.tag and await self._arrived(notifier, message):
                    log.info("outbox: message %d had been sent before a crash (found at the target)", message.id)
                else:
                    reply = reply_from_payload(message.payload)
                    await notifier.send(target, reply, municipality=message.municipality_id, tag=message.tag)
            except SendFailed as exc:
                await self._failed(message.id, message.attempts + 1, exc)
                if exc.retry_after is not None:
                    break  # the platform asked us to slow down for this target
                continue
            except Exception as exc:  # a bug or an odd payload counts as an attempt too, so it cannot loop forever
                await self._failed(message.id, message.attempts + 1, SendFailed(f"error: {type(exc).__name__}"))
                continue
            # Recorded at once, not behind other work: a crash now would send it again.
            async with self.db.session(all_municipalities=True, urgent=True) as session:
                await outbox.mark_sent(session, message_id=message.id, now=self.clock())
            delivered += 1
        return delivered

    @staticmethod
    async def _arrived(notifier: Notifier, message: OutboxMessage) -> bool:
        return await notifier.arrived(
            message.target, message.tag, municipality=message.municipality_id, since=message.created_at
        )

    async def _failed(self, message_id: int, attempts: int, exc: SendFailed) -> None:
        give_up = exc.permanent or attempts >= MAX_ATTEMPTS
        wait = backoff(attempts, exc.retry_after)
        async with self.db.session(all_municipalities=True) as session:
            await outbox.mark_retry(
                session,
                message_id=message_id,
                give_up=give_up,
                next_attempt_at=self.clock() + dt.timedelta(seconds=wait),
            )
        if give_up:
            # Counted: storage.outbox.count_failed, shown at /healthz as outbox_failed.
            log.error("outbox: gave up on message %d after %d attempts: %s", message_id, attempts, exc)
        else:
            log.warning("outbox: message %d failed (%s); retrying in %.0f s", message_id, exc, wait)
