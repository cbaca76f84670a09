"""Storage for the inbox: inbound items keyed for idempotency, kept until processed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboxItem


async def accept_many(
    connection: AsyncConnection, *, items: list[tuple[str, str, dict[str, Any]]], now: dt.datetime
) -> set[str]:
    """Record (key, channel, payload) items in one statement; returns the keys that were new.

    A key seen before (a redelivery) is not inserted and not returned. Within one call, a repeated key counts
    once: the caller gives its first occurrence the news. This runs before every acknowledgement, so it is one
    statement: through Core on PostgreSQL, and on SQLite straight on the driver (one thread hop instead of five).
    """
    if not items:
        return set()
    # A microsecond apart, so the batch keeps its order: recovery takes items oldest first, and the first few of
    # them are the ones a crash may have caught mid-reply (see bot/channels/slack/channel.py).
    times = [now + dt.timedelta(microseconds=number) for number in range(len(items))]
    if connection.dialect.name == "sqlite":
        return await _accept_many_sqlite(connection, items, times)
    statement = postgres_insert(InboxItem).on_conflict_do_nothing(index_elements=["key"]).returning(col(InboxItem.key))
    rows = [
        {"key": key, "channel": channel, "received_at": when, "claimed_at": when, "payload": payload}
        for (key, channel, payload), when in zip(items, times, strict=True)
    ]
    result = await connection.execute(statement, rows)
    return {str(key) for key in result.scalars().all()}


async def _accept_many_sqlite(
    connection: AsyncConnection, items: list[tuple[str, str, dict[str, Any]]], times: list[dt.datetime]
) -> set[str]:
    dialect = connection.dialect
    # SQLAlchemy's own bind processors, so the stored text is exactly what the ORM writes and reads back.
    table = InboxItem.metadata.tables["inbox"]
    to_time = table.c.received_at.type.dialect_impl(dialect).bind_processor(dialect)
    to_json = table.c.payload.type.dialect_impl(dialect).bind_processor(dialect)
    params: list[Any] = []
    for (key, channel, payload), when in zip(items, times, strict=True):
        received = to_time(when) if to_time else when
        params += [key, channel, received, received, to_json(payload) if to_json else payload]
    rows = ", ".join(["(?, ?, ?, ?, ?, NULL)"] * len(items))
    sql = (
        f"INSERT INTO inbox (key, channel, received_at, claimed_at, payload, processed_at) VALUES {rows} "
        "ON CONFLICT (key) DO NOTHING RETURNING key"
    )
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    inserted = await driver.execute_fetchall(sql, params)
    return {str(row[0]) for row in inserted}


def mark_many_processed(connection: Connection, *, keys: list[str], now: dt.datetime) -> None:
    """Mark items processed and drop their payloads (user id, text), in one statement (run by record_effect)."""
    if keys:
        statement = update(InboxItem).where(col(InboxItem.key).in_(keys)).values(processed_at=now, payload={})
        connection.execute(statement)


async def claim_abandoned(
    session: AsyncSession, *, channel: str, now: dt.datetime, stale: dt.datetime, limit: int = 100
) -> list[InboxItem]:
    """Take over unprocessed items nobody has held since `stale` (their replica died), oldest first.

    Each is claimed with a compare-and-set on claimed_at, so of two replicas recovering at once only one gets it.
    """
    # An item accepted by a version without claims counts from its arrival.
    abandoned = or_(
        and_(col(InboxItem.claimed_at).is_(None), col(InboxItem.received_at) < stale),
        col(InboxItem.claimed_at) < stale,
    )
    statement = (
        select(InboxItem)
        .where(col(InboxItem.channel) == channel, col(InboxItem.processed_at).is_(None), abandoned)
        .order_by(col(InboxItem.received_at))
        .limit(limit)
    )
    taken = []
    for item in (await session.exec(statement)).all():
        claim = (
            update(InboxItem)
            .where(col(InboxItem.key) == item.key, col(InboxItem.processed_at).is_(None), abandoned)
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(await session.exec(claim), "rowcount", 0):
            taken.append(item)
    return taken


async def renew_claims(connection: AsyncConnection, *, keys: list[str], now: dt.datetime) -> None:
    """Say that this replica still holds these unprocessed items (so no other takes them over)."""
    if keys:
        statement = (
            update(InboxItem)
            .where(col(InboxItem.key).in_(keys), col(InboxItem.processed_at).is_(None))
            .values(claimed_at=now)
        )
        await connection.execute(statement)


async def delete_received_before(session: AsyncSession, *, when: dt.datetime) -> int:
    """Forget items received before `when`, processed or not (an unprocessed one still holds who and what)."""
    result = await session.exec(delete(InboxItem).where(col(InboxItem.received_at) < when))
    return int(getattr(result, "rowcount", 0))


async def forget(connection: AsyncConnection, *, keys: list[str]) -> None:
    """Delete unprocessed items that were refused after all (stored a moment after their request gave up)."""
    if keys:
        statement = delete(InboxItem).where(col(InboxItem.key).in_(keys), col(InboxItem.processed_at).is_(None))
        await connection.execute(statement)
