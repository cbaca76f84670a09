"""The scheduler: APScheduler 3 (AsyncIOScheduler) in the municipality's time zone, running jobs from handlers/.

Jobs never send directly: they queue in the outbox under unique keys, and the outbox job delivers. So a job
that runs twice (a restart, a late start, a second replica) still sends each message once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from bot.app import Bot
from bot.notify import Notifier, OutboxWorker
from handlers import outcomes
from handlers.retention import apply_retention

log = logging.getLogger(__name__)

OUTBOX_SECONDS = 10
DIALOG_SWEEP_SECONDS = 3600
FOLLOW_UP_HOUR, FOLLOW_UP_MINUTE = 7, 30
RETENTION_HOUR = 3
# A job that could not run on time (the process was down) still runs if it is at most this late.
MISFIRE_GRACE_SECONDS = 6 * 3600


def _guarded(name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """Run a job; a database outage is logged (type only) and the job simply runs again next time."""

    async def run() -> None:
        try:
            result = await job()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("job %s: database unavailable (%s); will run again", name, type(exc).__name__)
            return
        if result:
            log.info("job %s: %s", name, result)

    return run


def build_scheduler(bot: Bot, notifiers: dict[str, Notifier]) -> AsyncIOScheduler:
    """Every recurring job, wired in one place."""
    ctx = bot.context
    worker = OutboxWorker(db=bot.db, clock=ctx.clock, notifiers=notifiers)
    scheduler = AsyncIOScheduler(
        timezone=bot.municipality.tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    scheduler.add_job(_guarded("outbox", worker.deliver_due), IntervalTrigger(seconds=OUTBOX_SECONDS), id="outbox")
    scheduler.add_job(_guarded("expire-dialogs", ctx.dialogs.expire), IntervalTrigger(seconds=DIALOG_SWEEP_SECONDS),
                      id="expire-dialogs")  # fmt: skip
    scheduler.add_job(_guarded("follow-ups", lambda: outcomes.remind_follow_ups(ctx)),
                      CronTrigger(hour=FOLLOW_UP_HOUR, minute=FOLLOW_UP_MINUTE, timezone=bot.municipality.tz),
                      id="follow-ups")  # fmt: skip
    nightly = CronTrigger(hour=RETENTION_HOUR, minute=0, timezone=bot.municipality.tz)
    scheduler.add_job(_guarded("retention", lambda: apply_retention(ctx)), nightly, id="retention")
    return scheduler


async def catch_up(bot: Bot) -> None:
    """On start, do what a daily job may have missed while the process was down (queued once, by key)."""
    await _guarded("follow-ups", lambda: outcomes.remind_follow_ups(bot.context))()
    await _guarded("retention", lambda: apply_retention(bot.context))()
