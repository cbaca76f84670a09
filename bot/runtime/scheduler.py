"""The scheduler: APScheduler 3 (AsyncIOScheduler) in the municipality's time zone, running jobs from handlers/.

Jobs never send directly: they queue in the outbox under unique keys, and the outbox job delivers. So a job
that runs twice (a restart, a late start, a second replica) still sends each message once. With PostgreSQL,
every replica runs the scheduler but only the one holding the advisory lock does the work; when it dies, its
connection closes, the lock is released and another replica takes over within LEADER_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import Bot
from bot.runtime.outbox import Notifier, OutboxWorker
from handlers import outcomes
from handlers.digest import catch_up_weekly_digest, queue_weekly_digest
from handlers.reminders import queue_due_reminders
from handlers.retention import apply_retention
from storage.db import Database

log = logging.getLogger(__name__)

OUTBOX_SECONDS = 10
DIALOG_SWEEP_SECONDS = 3600
FOLLOW_UP_HOUR, FOLLOW_UP_MINUTE = 7, 30
RETENTION_HOUR = 3
REMINDER_SECONDS = 60
LEADER_SECONDS = 15
# Any constant works; it only has to be the same in every replica.
LEADER_LOCK_ID = 0x51_7B_07_02


class LeaderLock:
    """Who runs the jobs: on SQLite the one process; on PostgreSQL the holder of a session advisory lock."""

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
                got = await connection.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": LEADER_LOCK_ID})
                if got.scalar_one():
                    self._connection = connection
                    log.info("scheduler: this replica is the leader")
                else:
                    await connection.close()
            else:
                await self._connection.execute(text("SELECT 1"))
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
                await connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LEADER_LOCK_ID})
                await connection.close()
            except (SQLAlchemyError, OSError):
                await connection.invalidate()


# Jobs running right now, so a shutdown can let them finish before the database is closed under them.
_RUNNING: set[asyncio.Task[Any]] = set()
SHUTDOWN_GRACE_SECONDS = 10.0

# A job that could not run on time (the process was down) still runs if it is at most this late.
MISFIRE_GRACE_SECONDS = 6 * 3600


def _guarded(
    name: str, job: Callable[[], Awaitable[object]], leader: LeaderLock | None = None
) -> Callable[[], Awaitable[None]]:
    """Run a job (only on the leader); a database outage is logged (type only) and the job runs again next time."""

    async def run() -> None:
        if leader is not None and not leader.held:
            return
        task = asyncio.current_task()
        if task is not None:
            _RUNNING.add(task)
        try:
            result = await job()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("job %s: database unavailable (%s); will run again", name, type(exc).__name__)
            return
        finally:
            if task is not None:
                _RUNNING.discard(task)
        if result:
            log.info("job %s: %s", name, result)

    return run


def build_scheduler(bot: Bot, notifiers: dict[str, Notifier], leader: LeaderLock) -> AsyncIOScheduler:
    """Every recurring job, wired in one place."""
    ctx = bot.context
    tz = bot.municipality.tz
    worker = OutboxWorker(db=bot.db, clock=ctx.clock, notifiers=notifiers)
    scheduler = AsyncIOScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )

    def every(seconds: float) -> IntervalTrigger:
        return IntervalTrigger(seconds=seconds, timezone=tz)

    def daily(hour: int, minute: int) -> CronTrigger:
        return CronTrigger(hour=hour, minute=minute, timezone=tz)

    digest_at = bot.municipality.digest
    jobs = {
        "outbox": (worker.deliver_due, every(OUTBOX_SECONDS)),
        "reminders": (lambda: queue_due_reminders(ctx), every(REMINDER_SECONDS)),
        "expire-dialogs": (ctx.dialogs.expire, every(DIALOG_SWEEP_SECONDS)),
        "follow-ups": (lambda: outcomes.remind_follow_ups(ctx), daily(FOLLOW_UP_HOUR, FOLLOW_UP_MINUTE)),
        "retention": (lambda: apply_retention(ctx), daily(RETENTION_HOUR, 0)),
        "digest": (
            lambda: queue_weekly_digest(ctx),
            CronTrigger(day_of_week=digest_at.weekday, hour=digest_at.at.hour, minute=digest_at.at.minute, timezone=tz),
        ),
    }
    for name, (job, trigger) in jobs.items():
        scheduler.add_job(_guarded(name, job, leader), trigger, id=name)
    scheduler.add_job(leader.refresh, every(LEADER_SECONDS), id="leader")
    return scheduler


async def stop(scheduler: AsyncIOScheduler) -> None:
    """Start no new job, let running ones finish (bounded), then shut down (which would cancel them midway)."""
    scheduler.pause()
    running = [task for task in _RUNNING if not task.done()]
    if running:
        await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
    scheduler.shutdown(wait=False)


async def catch_up(bot: Bot, leader: LeaderLock) -> None:
    """On start, do what may have been missed while the process was down (each message is queued once, by key)."""
    await _guarded("reminders", lambda: queue_due_reminders(bot.context), leader)()
    await _guarded("follow-ups", lambda: outcomes.remind_follow_ups(bot.context), leader)()
    await _guarded("retention", lambda: apply_retention(bot.context), leader)()
    await _guarded("digest", lambda: catch_up_weekly_digest(bot.context), leader)()
