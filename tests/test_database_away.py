"""When the database is locked, down or restarting: every request answered in time, the person told, nothing lost.

Real signed Slack requests go into the running app (local fake Web API). The database is taken away three ways:
another process holds the SQLite write lock; a proxy in front of PostgreSQL refuses connections (a server that
is down); the bot's PostgreSQL backends are terminated in the middle of a burst (a restart or a failover).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.app import build_bot
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.runtime import scheduler as scheduler_module
from bot.runtime.leader import LeaderLock
from bot.runtime.scheduler import Job, build_scheduler
from storage.topics import all_topics
from tests.conftest import REPORT, FrozenClock, fresh_postgres_database
from tests.conversation import Conversation
from tests.db_outage import SqliteLock, TcpProxy
from tests.running import RunningApp
from tests.slack_fake import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    block_action,
    command_body,
    event_body,
    interaction_body,
    signed_headers,
    view_submission,
)
from tests.teams_fake import FakeConnector, message

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
SLACK_DEADLINE = 3.0
UNAVAILABLE = "Jeg får ikke lagret akkurat nå. Prøv igjen om litt."


@dataclasses.dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]
    seconds: float


class Running(RunningApp):
    async def post(self, body: str, content: dict[str, str], **headers: str) -> Answer:
        started = time.perf_counter()
        response = await self.client.post(
            "/slack/events", data=body, headers={**content, **signed_headers(body), **headers}
        )
        text = await response.text()
        return Answer(response.status, text, dict(response.headers), time.perf_counter() - started)

    async def health(self) -> int:
        return (await self.client.get("/healthz")).status


def _settings(url: str, slack_api: FakeSlackApi) -> Settings:
    return Settings(
        database_url=url,
        municipality_path=BUNDLED_MUNICIPALITY,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.url,
    )


def _burst(prefix: str, events: int, commands: int) -> tuple[list[str], list[str]]:
    """Direct messages from different people, and /slt-tema suggestions (which Slack never retries)."""
    return (
        [
            event_body("kontakter", event_id=f"Ev{prefix}{i}", user=f"U0{prefix}{i}", channel=f"D0{prefix}{i}")
            for i in range(events)
        ],
        [
            command_body("/slt-tema", f"Tema {prefix} {i}", user=f"U0C{prefix}{i}", trigger=f"t{prefix}{i}")
            for i in range(commands)
        ],
    )


async def _send(app: Running, events: list[str], commands: list[str]) -> tuple[list[Answer], list[Answer]]:
    answers = await asyncio.gather(*(app.post(b, JSON) for b in events), *(app.post(b, FORM) for b in commands))
    return list(answers[: len(events)]), list(answers[len(events) :])


def _assert_refused_in_time(events: list[Answer], commands: list[Answer]) -> float:
    """Events get 503 with Retry-After; commands a friendly reply in the acknowledgement; all within 3 s."""
    for answer in events:
        assert answer.status == 503 and answer.headers.get("Retry-After"), answer
    for answer in commands:
        # (bolt sends a text-only acknowledgement as text/plain; Slack shows it to the person alone)
        assert answer.status == 200 and UNAVAILABLE in answer.body, answer
    slowest = max(answer.seconds for answer in events + commands)
    assert slowest < SLACK_DEADLINE
    return slowest


async def _retry_until_answered(app: Running, events: list[str], slack_api: FakeSlackApi) -> None:
    """Slack delivers each refused event again (X-Slack-Retry-Num); every one is answered exactly once."""
    for attempt in range(1, 4):
        answers = [await app.post(body, JSON, **{"X-Slack-Retry-Num": str(attempt)}) for body in events]
        if all(answer.status == 200 for answer in answers):
            break
        await asyncio.sleep(1)
    await slack_api.wait_for("chat.postMessage", len(events), timeout=15)
    await asyncio.sleep(0.3)  # anything doubled would have arrived by now
    posted = Counter(params["channel"] for params in slack_api.of("chat.postMessage"))
    channels = [json.loads(body)["event"]["user"] for body in events]  # a reply to a DM goes to the person
    assert all(posted[channel] == 1 for channel in channels), posted


async def _inbox_keys(app: Running) -> set[str]:
    from sqlmodel import select

    from storage.models import InboxItem

    async with app.bot.db.session(all_municipalities=True) as session:
        return {item.key.split(":")[-1] for item in (await session.exec(select(InboxItem))).all()}


def _channels(app: Running) -> list[Any]:
    from bot.app import CHANNELS

    assert app.client.server is not None
    return list(app.client.server.app[CHANNELS])


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """An expected fault is one line with its type: nothing the bot (or its libraries) logs has a traceback."""
    for record in caplog.records:
        if not record.name.startswith("tests"):
            assert record.exc_info is None and not record.exc_text, record.getMessage()


async def test_sqlite_locked_by_another_process(
    tmp_path: Path, slack_api: FakeSlackApi, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "slt.db"
    caplog.set_level(logging.INFO)
    async with Running(_settings(f"sqlite:///{path}", slack_api), clock) as app:
        assert (await app.post(event_body("hjelp", event_id="EvWarm"), JSON)).status == 200
        await slack_api.wait_for("chat.postMessage")
        slack_api.calls.clear()
        events, commands = _burst("L", 10, 5)
        with SqliteLock(path) as lock:
            event_answers, command_answers = await _send(app, events, commands)
            health_while_locked = await app.health()
            lock.release()
        slowest = _assert_refused_in_time(event_answers, command_answers)
        assert health_while_locked == 503 and await app.health() == 200
        # Nothing half-written: no inbox row for any refused request, so nothing is answered behind the person's
        # back later (recovery, after the claims would have run out, finds nothing).
        assert await _inbox_keys(app) == {"EvWarm"}
        clock.advance(minutes=1)
        assert sum([await channel.recover() for channel in _channels(app)]) == 0
        health = await (await app.client.get("/healthz")).json()
        assert health["faults"]["database_unavailable"] >= 15
        await _retry_until_answered(app, events, slack_api)
        async with app.bot.db.session() as session:
            assert await all_topics(session) == []  # the refused suggestions left nothing behind
    _no_tracebacks(caplog)
    REPORT.append(
        f"database away (SQLite locked by another process): 15 requests refused, slowest answer "
        f"{slowest * 1000:.0f} ms; after the lock: 10 events redelivered and answered once each"
    )


async def test_a_form_or_a_button_while_the_database_is_locked_tells_the_person(
    tmp_path: Path, slack_api: FakeSlackApi, clock: FrozenClock
) -> None:
    path = tmp_path / "slt.db"
    async with Running(_settings(f"sqlite:///{path}", slack_api), clock) as app:
        submission = view_submission("topic-submit", {"tekst": {"type": "plain_text_input", "value": "Trygg skolevei"}})
        press = block_action("home", "kontakter", channel="D0STAFF", trigger="b1")
        with SqliteLock(path):
            form = await app.post(interaction_body(submission), FORM)
            button = await app.post(interaction_body(press), FORM)
        assert form.status == 200 and form.seconds < SLACK_DEADLINE and button.seconds < SLACK_DEADLINE
        view = json.loads(form.body)
        assert view["response_action"] == "update" and UNAVAILABLE in json.dumps(view["view"], ensure_ascii=False)
        assert button.status == 200
        (notice,) = await slack_api.wait_for("chat.postMessage")
        assert notice["channel"] == "U0STAFF" and UNAVAILABLE in notice["text"]
        async with app.bot.db.session() as session:
            assert await all_topics(session) == []


async def test_teams_gets_a_503_the_bot_framework_retries(
    tmp_path: Path, connector: FakeConnector, clock: FrozenClock
) -> None:
    path = tmp_path / "slt.db"
    settings = Settings(database_url=f"sqlite:///{path}", municipality_path=BUNDLED_MUNICIPALITY, teams_emulator=True)
    async with RunningApp(settings, clock) as app:
        activity = message(connector.url, "kontakter", activity_id="act-locked")
        with SqliteLock(path):
            started = time.perf_counter()
            refused = await app.client.post("/api/messages", json=activity)
            seconds = time.perf_counter() - started
        assert refused.status == 503 and refused.headers.get("Retry-After") and seconds < SLACK_DEADLINE
        assert connector.posted == []
        assert (await app.client.post("/api/messages", json=activity)).status == 200  # delivered again
        await connector.wait_for(1)
        assert len(connector.posted) == 1


async def test_the_console_says_so_and_keeps_nothing(tmp_path: Path, clock: FrozenClock) -> None:
    path = tmp_path / "slt.db"
    bot = build_bot(Settings(database_url=f"sqlite:///{path}", municipality_path=BUNDLED_MUNICIPALITY), clock=clock)
    await bot.start()
    try:
        with SqliteLock(path):
            started = time.perf_counter()
            reply = await Conversation(bot, user="ansatt").say("tema Trygg skolevei")
            seconds = time.perf_counter() - started
        assert UNAVAILABLE in reply and seconds < SLACK_DEADLINE
        async with bot.db.session() as session:
            assert await all_topics(session) == []
    finally:
        await bot.close()


@pytest.fixture
def proxied_postgres() -> Any:
    """A fresh PostgreSQL database, and its URL through a proxy that a test can take down."""
    yield from fresh_postgres_database()


async def test_postgres_refusing_connections(
    proxied_postgres: str, slack_api: FakeSlackApi, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_url(proxied_postgres)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.up()
    caplog.set_level(logging.INFO)
    through = url.set(port=proxy.port).render_as_string(hide_password=False)
    async with Running(_settings(through, slack_api), clock) as app:
        assert (await app.post(event_body("hjelp", event_id="EvWarm"), JSON)).status == 200
        await slack_api.wait_for("chat.postMessage")
        slack_api.calls.clear()
        await proxy.down()
        events, commands = _burst("P", 10, 5)
        event_answers, command_answers = await _send(app, events, commands)
        started = time.perf_counter()
        health_while_down = await app.health()
        health_seconds = time.perf_counter() - started
        await proxy.up()
        slowest = _assert_refused_in_time(event_answers, command_answers)
        assert health_while_down == 503 and health_seconds < SLACK_DEADLINE
        assert await app.health() == 200  # dead pooled connections are replaced (pool_pre_ping)
        await _retry_until_answered(app, events, slack_api)
    await proxy.down()
    _no_tracebacks(caplog)
    REPORT.append(
        f"database away (PostgreSQL refusing connections): 15 requests refused, slowest answer "
        f"{slowest * 1000:.0f} ms, /healthz 503 in {health_seconds * 1000:.0f} ms; after it came back: 10 events "
        "answered once each"
    )


async def test_postgres_backends_terminated_mid_burst(
    postgres_url: str, slack_api: FakeSlackApi, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    database = make_url(postgres_url).database
    caplog.set_level(logging.INFO)
    async with Running(_settings(postgres_url, slack_api), clock) as app:
        assert (await app.post(event_body("hjelp", event_id="EvWarm"), JSON)).status == 200
        await slack_api.wait_for("chat.postMessage")
        slack_api.calls.clear()
        events, _ = _burst("T", 40, 0)

        async def spaced(index: int, body: str) -> Answer:
            await asyncio.sleep(index * 0.01)  # a burst over 0.4 s, so the restart falls in the middle of it
            return await app.post(body, JSON)

        sending = asyncio.gather(*(spaced(i, body) for i, body in enumerate(events)))
        await asyncio.sleep(0.2)
        terminated = await _terminate_backends(postgres_url, str(database))
        answers = await sending
        assert terminated >= 1 and all(answer.status in (200, 503) for answer in answers)
        slowest = max(answer.seconds for answer in answers)
        assert slowest < SLACK_DEADLINE
        refused = [body for body, answer in zip(events, answers, strict=True) if answer.status == 503]
        await _retry_until_answered(app, events, slack_api)
    _no_tracebacks(caplog)
    REPORT.append(
        f"database away (PostgreSQL restart: {terminated} backends terminated mid-burst): 40 events, "
        f"{len(refused)} refused and redelivered, "
        f"slowest answer {slowest * 1000:.0f} ms; every one answered once"
    )


async def _terminate_backends(url: str, database: str) -> int:
    """What a restart of the server does to the bot: every connection it holds is cut."""
    import asyncpg

    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, password=parsed.password, database="postgres"
    )
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    return sum(1 for row in rows if row[0])


async def test_a_commit_that_lands_after_its_request_gave_up_is_undone(tmp_path: Path, monkeypatch: Any) -> None:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.runtime.inbox import Inbox, StoreUnavailable
    from storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 'slt.db'}")
    await db.upgrade(owner="eksempel-kommune")
    original = AsyncConnection.commit

    async def slow_commit(self: AsyncConnection) -> None:
        await asyncio.sleep(3.0)  # the rows are in; the commit lands after the request's deadline
        await original(self)

    monkeypatch.setattr(AsyncConnection, "commit", slow_commit)
    inbox = Inbox(db, FrozenClock(dt.datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Europe/Oslo"))))
    started = time.perf_counter()
    with pytest.raises(StoreUnavailable):
        await inbox.accept(key="slack:late", channel="slack", payload={"text": "Trygg skolevei"})
    assert time.perf_counter() - started < SLACK_DEADLINE
    await inbox.flush()  # the commit lands, and the refused row is deleted again
    monkeypatch.setattr(AsyncConnection, "commit", original)
    assert await inbox.abandoned("slack") == []
    async with db.transaction() as connection:
        from sqlalchemy import text

        assert (await connection.execute(text("SELECT count(*) FROM inbox"))).scalar_one() == 0
    await db.close()


async def test_a_job_at_a_time_of_day_tries_again_until_the_database_answers() -> None:
    calls: list[str] = []

    async def digest() -> int:
        calls.append("run")
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    async def missed() -> int:
        calls.append("catch-up")
        if calls.count("catch-up") == 1:
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))
        return 1

    class Leader(LeaderLock):
        def __init__(self) -> None:
            self.held = True

    tz = ZoneInfo("Europe/Oslo")
    job = Job("digest", digest, at=dt.time(8, 0), weekday=0, catch_up=missed)
    leader = Leader()
    scheduler = build_scheduler([job], tz=tz, leader=leader)
    await scheduler.get_job("digest").func()
    again = scheduler.get_job("digest:again")
    assert again is not None  # the week's digest is not left for next Monday
    delay = (again.trigger.run_date - dt.datetime.now(tz)).total_seconds()
    assert 0 < delay <= scheduler_module.RETRY_SECONDS
    await again.func()  # still away: tried again once more
    leader.held = False  # the outage cost the leader lock too (it is refreshed through the database)
    first_again = scheduler.get_job("digest:again")
    await first_again.func()
    assert scheduler.get_job("digest:again") is not None  # still trying, not dropped
    leader.held = True
    await scheduler.get_job("digest:again").func()  # back: the catch-up does what was missed, once
    assert calls == ["run", "catch-up", "catch-up"]


async def test_reminders_due_while_the_database_was_locked_go_out_once_afterwards(tmp_path: Path) -> None:
    from bot.app import scheduled_jobs
    from bot.runtime.scheduler import _guarded
    from handlers.reminders import planned_reminders
    from tests.test_outbox import FakeNotifier

    path = tmp_path / "slt.db"
    probe = build_bot(Settings(database_url=f"sqlite:///{path}", municipality_path=BUNDLED_MUNICIPALITY))
    start = dt.datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    due = planned_reminders(probe.municipality, start, start + dt.timedelta(days=30), {})
    first = due[0]
    clock = FrozenClock(first.due)
    bot = build_bot(Settings(database_url=f"sqlite:///{path}", municipality_path=BUNDLED_MUNICIPALITY), clock=clock)
    await bot.start()
    notifier = FakeNotifier()
    jobs = {job.name: job for job in scheduled_jobs(bot, {"slack": notifier, "teams": notifier})}
    reminders, outbox = (_guarded(name, jobs[name].run) for name in ("reminders", "outbox"))
    try:
        with SqliteLock(path):
            await reminders()  # the reminder's minute: the database is locked, one warning, no traceback
            await outbox()
        assert notifier.sent == []
        clock.advance(minutes=3)
        for _ in range(3):  # the next runs, once it answers
            await reminders()
            await outbox()
        sent = [target for target, _ in notifier.sent]
        assert sent and len(sent) == len(set(sent))  # every channel of the reminder got it, once
    finally:
        await bot.close()
