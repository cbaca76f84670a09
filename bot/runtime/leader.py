"""Who runs the scheduled jobs: on SQLite the one process; on PostgreSQL the holder of an advisory lock.

Every replica runs the scheduler, but only the leader does the work. When the leader dies its connection
closes, the lock is released, and another replica takes over at its next refresh.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import leader as store
from storage.db import Database

log = logging.getLogger(__name__)


class LeaderLock:
    """The leader lock of one replica; `held` says whether this replica leads right now."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: AsyncConnection | None = None
        self.held = db.is_sqlite

    async def refresh(self) -> bool:
        """Take the lock if it is free, check it is still held if we have it; returns whether we lead."""
        if self.db.is_sqlite:
            return True
        try:
            if self._connection is None:
                connection = await self.db.engine.connect()
                if await store.try_lock(connection):
                    self._connection = connection
                    log.info("scheduler: this replica is the leader")
                else:
                    await connection.close()
            else:
                await store.still_connected(self._connection)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("scheduler: lost the leader lock (%s)", type(exc).__name__)
            await self.release()
        self.held = self._connection is not None
        return self.held

    async def release(self) -> None:
        """Give the lock up (closing the connection releases it)."""
        connection, self._connection, self.held = self._connection, None, self.db.is_sqlite
        if connection is not None:
            try:
                await store.unlock(connection)
                await connection.close()
            except (SQLAlchemyError, OSError):
                await connection.invalidate()
