"""Shared fixtures: a frozen clock, a fresh database per test (SQLite, or PostgreSQL on request), the bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app import build_bot
from bot.config import BUNDLED_MUNICIPALITY, Settings
from bot.core.bot import Bot
from tests.conversation import Conversation
from tests.slack_fake import FakeSlackApi
from tests.teams_fake import FakeConnector

OSLO = dt.timezone(dt.timedelta(hours=1))  # November: CET, no DST
# A Sunday in November 2026: the next breakfast meeting is Friday 27 November.
FROZEN_NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=OSLO)

# PostgreSQL tests create and drop their own databases on this server.
POSTGRES_URL = os.environ.get("SLT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# SLT_TEST_DATABASE=postgresql runs the whole suite on PostgreSQL instead of SQLite.
SUITE_BACKEND = os.environ.get("SLT_TEST_DATABASE", "sqlite")


# Lines that tests want printed at the end of the run (e.g. the personal-data screen's recall and precision).
REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what tests measured, so it shows in every run's output."""
    if REPORT:
        terminalreporter.section("measurements")
        for line in REPORT:
            terminalreporter.write_line(line)


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


async def _postgres_admin(sql: str) -> None:
    import asyncpg

    url = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password, database=url.database
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def postgres_available() -> str:
    """'' when the test PostgreSQL answers, else the reason it does not."""
    try:
        asyncio.run(asyncio.wait_for(_postgres_admin("SELECT 1"), timeout=5))
    except Exception as exc:
        return f"no PostgreSQL at {POSTGRES_URL} ({type(exc).__name__}); set SLT_TEST_POSTGRES_URL to run these tests"
    return ""


_POSTGRES_REASON: str | None = None


def postgres_skip_reason() -> str:
    """Checked once per run."""
    global _POSTGRES_REASON
    if _POSTGRES_REASON is None:
        _POSTGRES_REASON = postgres_available()
    return _POSTGRES_REASON


def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database for one test and drop it afterwards."""
    reason = postgres_skip_reason()
    if reason:
        pytest.skip(reason)
    name = f"slt_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs on SQLite and on PostgreSQL (skipped with a reason when there is none)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'slt.db'}"
    else:
        yield from fresh_postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (skipped with a reason when there is no server)."""
    yield from fresh_postgres_database()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The database for behaviour tests: SQLite, or PostgreSQL when SLT_TEST_DATABASE=postgresql."""
    if SUITE_BACKEND == "postgresql":
        yield from fresh_postgres_database()
    else:
        yield f"sqlite:///{tmp_path / 'slt.db'}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_NOW)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, municipality_path=BUNDLED_MUNICIPALITY)


@pytest.fixture
async def bot(settings: Settings, clock: FrozenClock) -> AsyncIterator[Bot]:
    instance = build_bot(settings, clock=clock)
    await instance.start()
    yield instance
    await instance.close()


@pytest.fixture
def staff(bot: Bot) -> Conversation:
    """A member of staff talking to the bot in the console."""
    return Conversation(bot, user="ansatt")


@pytest.fixture
def coordinator(bot: Bot) -> Conversation:
    """The SLT coordinator of the example municipality."""
    return Conversation(bot, user="koordinator")


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    """A stand-in Slack Web API on a local port."""
    api = FakeSlackApi()
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    """A stand-in Bot Framework connector on a local port."""
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.close()
