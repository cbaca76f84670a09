"""Storage for the outbox: proactive messages, each under a unique key so it is sent once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage


async def enqueue(session: AsyncSession, *, key: str, target: str, payload: dict[str, Any], now: dt.datetime) -> bool:
    """Queue a message unless one with this key exists already; True if it was queued."""
    try:
        async with session.begin_nested():
            session.add(OutboxMessage(key=key, target=target, payload=payload, created_at=now, next_attempt_at=now))
    except IntegrityError:
        return False
    return True


async def due(
    session: AsyncSession, *, now: dt.datetime, platforms: tuple[str, ...], limit: int = 50
) -> list[OutboxMessage]:
    """Unsent, not given-up messages for these platforms whose next attempt is due, oldest first.

    The platform is chosen in SQL, so messages for a target no channel serves never fill the batch.
    """
    if not platforms:
        return []
    statement = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.sent_at).is_(None),
            col(OutboxMessage.failed).is_(False),
            col(OutboxMessage.next_attempt_at) <= now,
            or_(*(col(OutboxMessage.target).startswith(f"{platform}:", autoescape=True) for platform in platforms)),
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def pending_for(session: AsyncSession, *, target: str) -> list[OutboxMessage]:
    """Unsent messages for one target (the console picks these up when that user starts a chat)."""
    statement = (
        select(OutboxMessage)
        .where(col(OutboxMessage.target) == target, col(OutboxMessage.sent_at).is_(None))
        .order_by(col(OutboxMessage.id))
    )
    return list((await session.exec(statement)).all())


async def claim(session: AsyncSession, *, message: OutboxMessage, now: dt.datetime, lease: dt.timedelta) -> bool:
    """Take a due message for sending, as it was read; False if another worker changed it since.

    The attempt is counted when it starts and marked in flight until its outcome is recorded: one a crash cut
    short still counts (a message that brings the process down cannot loop forever), and the next attempt sees
    that the post may have arrived.
    """
    statement = (
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message.id,
            col(OutboxMessage.sent_at).is_(None),
            col(OutboxMessage.next_attempt_at) <= now,
            col(OutboxMessage.attempts) == message.attempts,
        )
        .values(next_attempt_at=now + lease, attempts=col(OutboxMessage.attempts) + 1, in_flight=True)
    )
    result = await session.exec(statement)
    return bool(getattr(result, "rowcount", 0))


async def mark_sent(session: AsyncSession, *, message_id: int, now: dt.datetime) -> None:
    """Record that a message was delivered, and drop its content: only the key is needed from now on."""
    message = await session.get(OutboxMessage, message_id)
    if message is not None:
        message.sent_at, message.payload, message.in_flight = now, {}, False
        session.add(message)


async def mark_retry(session: AsyncSession, *, message_id: int, next_attempt_at: dt.datetime, give_up: bool) -> int:
    """Schedule the next attempt after a failed one (counted by its claim), or give up; returns the attempts."""
    message = await session.get(OutboxMessage, message_id)
    if message is None:
        return 0
    message.next_attempt_at, message.failed, message.in_flight = next_attempt_at, give_up, False
    session.add(message)
    return message.attempts


async def get_by_key(session: AsyncSession, *, key: str) -> OutboxMessage | None:
    """The message queued under this key, if any."""
    return (await session.exec(select(OutboxMessage).where(col(OutboxMessage.key) == key))).first()


async def count_failed(session: AsyncSession) -> int:
    """How many messages were given up (kept until retention deletes them), for /healthz and operators."""
    statement = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.failed).is_(True))
    return int((await session.exec(statement)).one())


async def delete_unsent_before(session: AsyncSession, *, when: dt.datetime) -> int:
    """Forget messages created before `when` that were never delivered (given up, or for nobody); how many."""
    statement = delete(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.created_at) < when)
    result = await session.exec(statement)
    return int(getattr(result, "rowcount", 0))


async def delete_sent_before(session: AsyncSession, *, when: dt.datetime) -> int:
    """Forget delivered messages (their keys) sent before `when`; returns how many."""
    statement = delete(OutboxMessage).where(col(OutboxMessage.sent_at).is_not(None), col(OutboxMessage.sent_at) < when)
    result = await session.exec(statement)
    return int(getattr(result, "rowcount", 0))
