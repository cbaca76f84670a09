"""Rotating secrets for keyed hashes, and the hashes that depend on them (votes, flood counts)."""

from __future__ import annotations

import secrets

from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FloodCount, RotatingKey, TopicVote
from storage.tenancy import ALL, STRICT, UnscopedQuery, scope_of


async def period_secret(session: AsyncSession, *, purpose: str, period: str) -> bytes:
    """The secret for `purpose` in `period`. A new period replaces the old secret and deletes its hashes.

    Once the old secret is gone, nobody (not even someone with the database) can test which person is behind
    an old hash. Safe when several requests (or replicas) ask at once: exactly one creates or rotates it.
    """
    statement = select(RotatingKey).where(col(RotatingKey.purpose) == purpose)
    for _ in range(3):
        row = (await session.exec(statement)).first()
        if row is not None and row.period == period:
            return bytes.fromhex(row.secret)
        secret = secrets.token_hex(32)
        if row is None:
            try:
                async with session.begin_nested():
                    session.add(RotatingKey(purpose=purpose, period=period, secret=secret))
            except IntegrityError:
                continue  # someone else created it a moment ago: read theirs
        else:
            # Compare-and-swap: only the first request of the new period rotates the secret.
            swap = (
                update(RotatingKey)
                .where(col(RotatingKey.purpose) == purpose, col(RotatingKey.period) == row.period)
                .values(period=period, secret=secret)
                .execution_options(synchronize_session=False)
            )
            if not getattr(await session.exec(swap), "rowcount", 0):
                session.expire_all()
                continue
        if purpose == "votes":
            await session.exec(delete(TopicVote).where(col(TopicVote.period) != period))
        elif purpose == "flood":
            await session.exec(delete(FloodCount).where(col(FloodCount.period) != period))
        await session.flush()
        return bytes.fromhex(secret)
    raise RuntimeError(f"could not settle the {purpose} key for {period}")


async def forget_key_unless(session: AsyncSession, *, purpose: str, period: str) -> int:
    """Delete the secret of `purpose` unless it is this period's (a quiet day must not keep yesterday's key)."""
    statement = delete(RotatingKey).where(col(RotatingKey.purpose) == purpose, col(RotatingKey.period) != period)
    result = await session.exec(statement)
    return int(getattr(result, "rowcount", 0))


async def count_submission(session: AsyncSession, *, sender_hash: str, period: str) -> int:
    """Count one more submission by this (hashed) sender in this period; returns the new count (atomic).

    An upsert starts the sender's row, bumps it, or (from an old period) starts it again; then the count is read
    (not with RETURNING, which SQLite has only since 3.35, newer than some servers' system library).
    """
    municipality = scope_of(session)
    if municipality is None and session.info.get(STRICT) and not session.info.get(ALL):
        raise UnscopedQuery("a flood count from a session without a municipality")
    table = FloodCount.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect
    insert = sqlite_insert if dialect.name == "sqlite" else postgresql_insert
    new = insert(table).values(municipality_id=municipality or "", sender_hash=sender_hash, period=period, count=1)
    await session.exec(
        new.on_conflict_do_update(
            index_elements=[table.c.municipality_id, table.c.sender_hash],
            set_={"count": case((table.c.period == period, table.c.count + 1), else_=1), "period": period},
        )
    )
    mine = (table.c.municipality_id == (municipality or "")) & (table.c.sender_hash == sender_hash)
    return int((await session.exec(select(table.c.count).where(mine))).one())
