"""The scheduler: APScheduler 3 (AsyncIOScheduler) in the municipality's time zone, running the jobs it is given.

The jobs themselves are wired in bot/app.py. They never send directly: they queue in the outbox under unique
keys, and the outbox job delivers. So a job that runs twice (a restart, a late start, a second replica) still
sends each message once. Only the replica holding the leader lock (bot/runtime/leader.py) does the work.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from bot.core import faults
from bot.runtime.leader import LeaderLock

log = logging.getLogger(__name__)

LEADER_SECONDS = 15
# Jobs running right now, so a shutdown can let them finish before the database is closed under them.
_RUNNING: set[asyncio.Task[Any]] = set()
SHUTDOWN_GRACE_SECONDS = 10.0
# A job that could not run on time (the process was down) still runs if it is at most this late.
MISFIRE_GRACE_SECONDS = 6 * 3600
# How soon a job at a time of day tries again after the database was away when it was due.
RETRY_SECONDS = 30


@dataclass(frozen=True)
class Job:
    """A recurring job: every `seconds`, daily `at`, or weekly on `weekday` at `at` (municipality time).

    `catch_up` runs once when the server starts, for what may have been missed while it was down.
    """

    name: str
    run: Callable[[], Awaitable[object]]
    seconds: float | None = None
    at: dt.time | None = None
    weekday: int | None = None
    catch_up: Callable[[], Awaitable[object]] | None = None
    # The time zone of `at` when it is not the scheduler's (a municipality of its own).
    tz: ZoneInfo | None = None

    def __post_init__(self) -> None:
        """A job runs on an interval or at a time of day, never both (the trigger could only honour one)."""
        if (self.seconds is None) == (self.at is None) or (self.weekday is not None and self.at is None):
            raise ValueError(f"job {self.name}: give seconds, or at (with an optional weekday)")

    def trigger(self, tz: ZoneInfo) -> BaseTrigger:
        """The APScheduler trigger for this job."""
        tz = self.tz or tz
        if self.seconds is not None:
            return IntervalTrigger(seconds=self.seconds, timezone=tz)
        assert self.at is not None
        if self.weekday is not None:
            return CronTrigger(day_of_week=self.weekday, hour=self.at.hour, minute=self.at.minute, timezone=tz)
        return CronTrigger(hour=self.at.hour, minute=self.at.minute, timezone=tz)


def _guarded(
    name: str,
    job: Callable[[], Awaitable[object]],
    leader: LeaderLock | None = None,
    on_outage: Callable[[], None] | None = None,
    *,
    retrying: bool = False,
) -> Callable[[], Awaitable[None]]:
    """Run a job (only on the leader); a database outage is logged (type only) and `on_outage` is called."""

    async def run() -> None:
        if leader is not None and not leader.held:
            if retrying and on_outage is not None:
                on_outage()  # the outage may have cost the lock too: keep trying until a leader does it
            return
        task = asyncio.current_task()
        if task is not None:
            _RUNNING.add(task)
        try:
            result = await job()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("job %s: database unavailable (%s); will run again", name, type(exc).__name__)
            faults.count("database_unavailable")
            if on_outage is not None:
                on_outage()
            return
        finally:
            if task is not None:
                _RUNNING.discard(task)
        if result:
            log.info("job %s: %s", name, result)

    return run


def build_scheduler(jobs: list[Job], *, tz: ZoneInfo, leader: LeaderLock) -> AsyncIOScheduler:
    """A scheduler with every job, plus the leader lock's own refresh."""
    scheduler = AsyncIOScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    for job in jobs:
        # An interval job simply runs again; a job at a time of day (digest, follow-ups, retention) would wait a
        # day or a week, so it is tried again soon, until the database answers, and then does what it missed.
        on_outage = None if job.seconds is not None else _again_soon(scheduler, job, leader, tz)
        scheduler.add_job(_guarded(job.name, job.run, leader, on_outage), job.trigger(tz), id=job.name)
    scheduler.add_job(leader.refresh, IntervalTrigger(seconds=LEADER_SECONDS, timezone=tz), id="leader")
    return scheduler


def _again_soon(scheduler: AsyncIOScheduler, job: Job, leader: LeaderLock, tz: ZoneInfo) -> Callable[[], None]:
    """Schedule one more try of the job (its catch-up, which does only what is missing) in RETRY_SECONDS."""

    def again() -> None:
        when = dt.datetime.now(tz) + dt.timedelta(seconds=RETRY_SECONDS)
        work = _guarded(job.name, job.catch_up or job.run, leader, again, retrying=True)
        scheduler.add_job(work, DateTrigger(run_date=when, timezone=tz), id=f"{job.name}:again", replace_existing=True)

    return again


async def stop(scheduler: AsyncIOScheduler) -> None:
    """Start no new job, let running ones finish (bounded), then shut down (which would cancel them midway)."""
    scheduler.pause()
    running = [task for task in _RUNNING if not task.done()]
    if running:
        await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
    scheduler.shutdown(wait=False)


async def catch_up(jobs: list[Job], leader: LeaderLock) -> None:
    """On start, do what may have been missed while the process was down (each message is queued once, by key)."""
    for job in jobs:
        if job.catch_up is not None:
            await _guarded(job.name, job.catch_up, leader)()
