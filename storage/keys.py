"""Rotating secrets for keyed hashes, and the hashes that depend on them (votes, flood counts)."""

from __future__ import annotations

import secrets

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FloodCount, RotatingKey, TopicVote


async def period_secret(session: AsyncSession, *, purpose: str, period: str) -> bytes:
    """The secret for `purpose` in `period`. A new period replaces the old secret and deletes its hashes.

    Once the old secret is gone, nobody (not even someone with the database) can test which person is behind
    an old hash.
    """
    statement = select(RotatingKey).where(col(RotatingKey.purpose) == purpose).with_for_update()
    row = (await session.exec(statement)).first()
    if row is not None and row.period == period:
        return bytes.fromhex(row.secret)
    if row is None:
        row = RotatingKey(purpose=purpose, period=period, secret="")
    row.period, row.secret = period, secrets.token_hex(32)
    session.add(row)
    if purpose == "votes":
        await session.exec(delete(TopicVote).where(col(TopicVote.period) != period))
    elif purpose == "flood":
        await session.exec(delete(FloodCount).where(col(FloodCount.period) != period))
    await session.flush()
    return bytes.fromhex(row.secret)


async def count_submission(session: AsyncSession, *, sender_hash: str, period: str) -> int:
    """Count one more submission by this (hashed) sender in this period; returns the new count."""
    row = await session.get(FloodCount, sender_hash, with_for_update=True)
    if row is None or row.period != period:
        row = row or FloodCount(sender_hash=sender_hash, period=period, count=0)
        row.period, row.count = period, 0
    row.count += 1
    session.add(row)
    await session.flush()
    return row.count
