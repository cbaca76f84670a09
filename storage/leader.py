"""The scheduler's leader lock on PostgreSQL: a session advisory lock held on one dedicated connection."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Any constant works; it only has to be the same in every replica.
LEADER_LOCK_ID = 0x51_7B_07_02


async def try_lock(connection: AsyncConnection) -> bool:
    """Take the leader lock on this connection if no other session holds it."""
    got = await connection.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": LEADER_LOCK_ID})
    return bool(got.scalar_one())


async def still_connected(connection: AsyncConnection) -> None:
    """Round-trip on the lock's connection; raises if it (and so the lock) is gone."""
    await connection.execute(text("SELECT 1"))


async def unlock(connection: AsyncConnection) -> None:
    """Give the lock up on this connection."""
    await connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LEADER_LOCK_ID})
