"""Rotating secrets for keyed hashes, and the hashes that depend on them (votes, flood counts)."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FloodCount, RotatingKey, TopicVote


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
    """Count one more submission by this (hashed) sender in this period; returns the new count (atomic)."""
    for _ in range(3):
        bump = (
            update(FloodCount)
            .where(col(FloodCount.sender_hash) == sender_hash, col(FloodCount.period) == period)
            .values(count=FloodCount.count + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(await session.exec(bump), "rowcount", 0):
            row = (await session.exec(select(FloodCount.count).where(col(FloodCount.sender_hash) == sender_hash))).one()
            return int(row)
        # No row for this period yet: start one (an old period's row is replaced).
        stale = delete(FloodCount).where(col(FloodCount.sender_hash) == sender_hash, col(FloodCount.period) != period)
        await session.exec(stale)
        try:
            async with session.begin_nested():
                session.add(FloodCount(sender_hash=sender_hash, period=period, count=1))
            return 1
        except IntegrityError:
            continue  # another request started it a moment ago: bump theirs
    raise RuntimeError("could not count the submission")
