"""The one place that wires storage, the municipality, the router, the dialog engine and the aiohttp app."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.commands import build_router
from bot.config import Settings
from bot.core import faults
from bot.core.bot import Bot
from bot.core.catalog import languages, t
from bot.core.clock import Clock, utc_now
from bot.core.content import Content
from bot.core.context import Context
from bot.core.dialogs import DialogEngine
from bot.core.flows import Flow, FlowError, load_flow, structure_differences
from bot.municipality import Municipality, load_municipalities
from bot.routes import add_content_routes
from bot.runtime.leader import LeaderLock
from bot.runtime.outbox import Notifier, OutboxWorker
from bot.runtime.scheduler import Job, build_scheduler, catch_up, stop
from handlers import (
    digest,
    escalation,
    measures,
    outcomes,
    questions,
    reminders,
    retention,
)
from handlers.planning import yearwheel
from handlers.privacy.screen import screen_for
from handlers.search.index import KEEP as KEPT_INDEXES
from storage.db import Database
from storage.outbox import count_failed

log = logging.getLogger(__name__)

FLOWS_DIR = Path(__file__).resolve().parent / "data" / "flows"
DIALOG_TIMEOUT = dt.timedelta(hours=24)
OUTBOX_SECONDS = 10
RECOVERY_SECONDS = 5
CHECKPOINT_SECONDS = 10
REMINDER_SECONDS = 60
DIALOG_SWEEP_SECONDS = 3600
FOLLOW_UP_AT = dt.time(7, 30)
RETENTION_AT = dt.time(3, 0)
# The channels a web app serves (for operators' tools and tests: recover, backlog).
CHANNELS: web.AppKey[list[Channel]] = web.AppKey("channels")
# /healthz answers within this, whatever the database does.
HEALTH_TIMEOUT = 2.0


def _flow_paths(municipality: Municipality, base: Path) -> dict[str, Path]:
    paths = {path.stem: path for path in sorted(FLOWS_DIR.glob("*.yaml"))}
    paths.update({name: (base / path) for name, path in municipality.flows.items()})
    return paths


def load_flows(municipality: Municipality, base: Path) -> dict[str, Flow]:
    """The bundled flows, replaced or added to by the municipality file's `flows` (paths relative to it)."""
    flows = {}
    for name, path in _flow_paths(municipality, base).items():
        flow = load_flow(path)
        flows[flow.id] = flow
        if flow.id != name:
            log.info("flow file %s has id %s", path.name, flow.id)
    return flows


def load_translations(municipality: Municipality, base: Path) -> dict[str, dict[str, Flow]]:
    """The flows in other languages, each with its flow's steps and values exactly (FlowError otherwise).

    bot/data/flows/<lang>/<name>.yaml for the bundled ones, <name>.<lang>.yaml beside a municipality's own.
    """
    found: dict[str, dict[str, Flow]] = {}
    for path in _flow_paths(municipality, base).values():
        original = load_flow(path)
        for code in languages()[1:]:
            bundled = path.parent == FLOWS_DIR
            translated = FLOWS_DIR / code / path.name if bundled else path.with_suffix(f".{code}.yaml")
            if not translated.is_file():
                continue
            flow = load_flow(translated)
            differences = structure_differences(original, flow)
            if differences:
                raise FlowError(t("flow.translation_differs", path=translated, problem=differences[0]))
            found.setdefault(code, {})[flow.id] = flow
    return found


def build_bot(settings: Settings, *, clock: Clock = utc_now) -> Bot:
    """Build the bot from settings; raises MunicipalityError or FlowError with one clear line if misconfigured.

    Every municipality gets its own context: its file, its flows, and a database view scoped to its rows. With
    several, an unscoped query on a municipality's table is refused (storage/tenancy.py).
    """
    files = load_municipalities(settings.municipality_path)
    base = Database(settings.database_url, strict=len(files) > 1)
    router = build_router()
    hooks = {"escalation": escalation.record_outcome}
    contexts = {}
    for key, (municipality, path) in files.items():
        db = base.scoped(key)
        flows = load_flows(municipality, path.parent)
        content = Content(municipality, path)
        translations = load_translations(municipality, path.parent)
        dialogs = DialogEngine(
            db=db,
            content=content,
            clock=clock,
            flows=flows,
            hooks=hooks,
            timeout=DIALOG_TIMEOUT,
            translations=translations,
        )
        contexts[key] = Context(
            db=db,
            content=content,
            clock=clock,
            dialogs=dialogs,
            commands=router.help_entries,
            public_url=settings.public_url,
        )
    everyone = tuple(municipality for municipality, _ in files.values())
    contexts = {key: replace(ctx, deployment=everyone) for key, ctx in contexts.items()}
    # With one municipality the runtime's database is that municipality's view, so what it writes is its own.
    db = next(iter(contexts.values())).db if len(contexts) == 1 else base
    return Bot(settings=settings, db=db, router=router, contexts=contexts)


def scheduled_jobs(bot: Bot, notifiers: Mapping[str, Notifier], channels: Sequence[Channel] = ()) -> list[Job]:
    """Every recurring job, wired in one place (the scheduler itself knows none of them).

    On start, the jobs with `catch_up` run once in this order, for what was missed while the server was down.
    """
    contexts = list(bot.contexts.values())
    worker = OutboxWorker(db=bot.db, clock=bot.context.clock, notifiers=dict(notifiers))

    async def due_reminders() -> int:
        return sum([await reminders.queue_due_reminders(ctx) for ctx in contexts])

    async def expire_dialogs() -> int:
        return sum([await ctx.dialogs.expire() for ctx in contexts])

    async def follow_ups() -> int:
        queued = 0
        for ctx in contexts:
            for remind in (outcomes.remind_follow_ups, measures.remind_measures, yearwheel.remind_tasks):
                try:
                    queued += await remind(ctx)
                except (SQLAlchemyError, OSError):
                    raise  # the scheduler's outage handling: the whole job runs again
                except Exception:
                    # A bug in one kind of reminder, or one municipality's content, must not stop the others.
                    log.exception("job follow-ups: %s failed for %s", remind.__name__, ctx.municipality.id)
        return queued

    async def retention_run() -> dict[str, int]:
        totals: dict[str, int] = {}
        for ctx in contexts:
            for kind, count in (await retention.apply_retention(ctx)).items():
                totals[kind] = totals.get(kind, 0) + count
        return totals

    async def recover_inbox() -> int:
        return sum([await channel.recover() for channel in channels])

    jobs = [
        Job("outbox", worker.deliver_due, seconds=OUTBOX_SECONDS),
        # What a replica that died had accepted but not answered, finished by the leader.
        Job("inbox-recovery", recover_inbox, seconds=RECOVERY_SECONDS),
        Job("reminders", due_reminders, seconds=REMINDER_SECONDS, catch_up=due_reminders),
        Job("expire-dialogs", expire_dialogs, seconds=DIALOG_SWEEP_SECONDS),
        Job("follow-ups", follow_ups, at=FOLLOW_UP_AT, catch_up=follow_ups),
        Job("retention", retention_run, at=RETENTION_AT, catch_up=retention_run),
    ]
    if bot.db.sqlite_file is not None:
        jobs.append(Job("sqlite-checkpoint", bot.db.checkpoint, seconds=CHECKPOINT_SECONDS))
    # Each municipality has its own digest time; a coordinator of several gets one digest from each.
    for ctx in contexts:
        jobs.append(_digest_job(ctx, suffix=f":{ctx.municipality.id}" if len(contexts) > 1 else ""))
    return jobs


def _digest_job(ctx: Context, *, suffix: str) -> Job:
    async def weekly() -> int:
        return await digest.queue_weekly_digest(ctx)

    async def missed() -> int:
        return await digest.catch_up_weekly_digest(ctx)

    at = ctx.municipality.digest
    return Job(f"digest{suffix}", weekly, at=at.at, weekday=at.weekday, catch_up=missed, tz=ctx.municipality.tz)


def build_web_app(bot: Bot, notifiers: Mapping[str, Notifier] | None = None) -> web.Application:
    """The aiohttp application: health, calendar, the chat channels that are configured, and the scheduler."""
    app = web.Application()
    running: dict[str, LeaderLock] = {}
    senders: dict[str, Notifier] = dict(notifiers or {})
    channels: list[Channel] = []
    app[CHANNELS] = channels
    settings = bot.settings
    if settings.slack_http_enabled or settings.slack_socket_mode_enabled:
        from bot.channels.slack.channel import SlackChannel

        slack = SlackChannel(bot, settings)
        if settings.slack_http_enabled:
            slack.mount(app)
        channels.append(slack)
        senders.setdefault("slack", slack.notifier)

    if settings.teams_enabled:
        # Without an app id or explicit emulator mode the route does not exist: no unauthenticated door.
        from bot.channels.teams.channel import TeamsChannel

        teams = TeamsChannel(bot, settings)
        teams.mount(app)
        channels.append(teams)
        senders.setdefault("teams", teams.notifier)

    async def outbox_failed() -> int | None:
        """The outbox's given-up count, or None when the database does not answer and take a write."""
        if not await bot.db.ping():
            return None
        async with bot.db.session(all_municipalities=True) as session:
            return await count_failed(session)

    async def healthz(_request: web.Request) -> web.Response:
        # Expected faults since start (requests refused while the database was away, ...), for an alarm.
        unavailable = {"status": "error", "database": "unavailable", "faults": faults.counts()}
        # Answered within HEALTH_TIMEOUT whatever the database does: a probe waiting out a lock (or on a
        # connection that hangs) is left to finish in the background rather than waited for.
        probe = asyncio.ensure_future(outbox_failed())
        done, _ = await asyncio.wait({probe}, timeout=HEALTH_TIMEOUT)
        if not done or probe.exception() is not None or probe.result() is None:
            if not done:
                probe.add_done_callback(lambda task: task.cancelled() or task.exception())
            return web.json_response(unavailable, status=503)
        # Messages the outbox gave up on: an operator's alarm can watch this number.
        failed = probe.result()
        served: dict[str, object] = (
            {"municipality": bot.municipality.name}
            if len(bot.contexts) == 1
            else {"municipalities": list(bot.contexts)}
        )
        # Whether this replica runs the scheduled jobs (one replica does, on PostgreSQL).
        leader = running.get("leader")
        served["leader"] = bool(leader is not None and leader.held)
        # How far behind the replies are, per channel (under overload they still come, in order).
        behind = {type(channel).__name__.removesuffix("Channel").lower(): channel.backlog() for channel in channels}
        return web.json_response(
            {"status": "ok", **served, "outbox_failed": failed, "faults": faults.counts(), "behind": behind}
        )

    app.router.add_get("/healthz", healthz)

    add_content_routes(app, bot)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await bot.start()
        for channel in channels:
            await channel.start()
        leader = LeaderLock(bot.db)
        await leader.refresh()
        jobs = scheduled_jobs(bot, senders, channels)
        running["leader"] = leader
        scheduler = build_scheduler(jobs, tz=bot.municipality.tz, leader=leader)
        scheduler.start()
        await catch_up(jobs, leader)
        warming = asyncio.get_running_loop().create_task(_warm_up(bot))
        yield
        warming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await warming
        await stop(scheduler)
        for channel in channels:
            await channel.close()
        await leader.release()
        await bot.close()

    app.cleanup_ctx.append(lifecycle)
    return app


async def _warm_up(bot: Bot) -> None:
    """Build what the first question and suggestion would otherwise wait for, right after start-up.

    The first question after a start waited about 50 ms for its municipality's search index, the first
    suggestion for the screen's word lists. Done here while the server begins to listen, one municipality at a
    time; a failure only means the first question builds it after all.
    """
    try:
        for municipality in list(bot.municipalities.values())[:KEPT_INDEXES]:
            questions.prepare(municipality)
            screen_for(municipality)("Trygg skolevei")
            await asyncio.sleep(0)  # a request that arrives meanwhile waits for one municipality at most
    except Exception as exc:  # never the server's end: the work is only done earlier than needed
        log.warning("warm-up failed (%s); the first question will build what it needs", type(exc).__name__)


class Channel(Protocol):
    """What the server needs of a chat channel: start (recover, connect), recover, and close."""

    async def start(self) -> None:
        """Finish unprocessed inbound items; connect if the channel holds a connection."""

    async def recover(self) -> int:
        """Finish inbound items a replica that died left unprocessed; returns how many were taken over."""

    def backlog(self) -> dict[str, float]:
        """How far behind the channel's replies are."""

    async def close(self) -> None:
        """Finish running work and disconnect."""
