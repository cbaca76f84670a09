"""The database: async engine and sessions for SQLite (default) or PostgreSQL, and migrations on start."""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import sqlite, tenancy

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant works; it only has to be the same in every replica.
MIGRATION_LOCK_ID = 0x51_7B_07_01


class DatabaseConfigError(ValueError):
    """DATABASE_URL names a database or driver the bot cannot use."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached, or is locked for longer than a lock is waited out; `detail` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"database unavailable ({detail})")
        self.detail = detail


def async_url(url: str) -> str:
    """Turn a plain SQLAlchemy URL into one with an async driver (aiosqlite or asyncpg)."""
    parsed = make_url(url)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
    }
    backend = parsed.drivername.split("+", 1)[0]
    if backend not in driver:
        raise DatabaseConfigError(
            f"unsupported database URL scheme {parsed.drivername!r} (use sqlite:/// or postgresql://)"
        )
    if "+" in parsed.drivername and parsed.drivername not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
        raise DatabaseConfigError(f"unsupported database driver {parsed.drivername!r} (use aiosqlite or asyncpg)")
    return parsed.set(drivername=driver[backend]).render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the server read while the scheduler writes (short locks are waited out in storage/sqlite.py).

    secure_delete overwrites deleted content with zeros, so a cleared payload or a deleted record does not linger
    in free pages for anyone who copies the file; journal_size_limit=0 truncates the WAL after each checkpoint, so
    old frames (with what was deleted since) do not stay in it either.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA journal_size_limit=0")
    # Checkpoints run in a thread on a timer (Database.checkpoint), never inside a request's commit.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """One engine per process; hands out sessions and applies migrations.

    `scoped(id)` gives a view on the same engine whose sessions see and write one municipality's rows only
    (storage/tenancy.py). With `strict`, an unscoped session may not touch a municipality's table unless it says
    `all_municipalities=True`.
    """

    def __init__(self, url: str, *, strict: bool = False) -> None:
        self.municipality: str | None = None
        self.strict = strict
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.sqlite_file: str | None = None
        # hide_parameters: an SQL error anywhere must not write bound values (free text, ids) into the log.
        options: dict[str, Any] = {"pool_pre_ping": not self.is_sqlite, "hide_parameters": True}
        if self.is_sqlite:
            # SQLite has one writer. Several pooled connections would fight over its lock; one connection makes
            # sessions queue in asyncio. Its statements run on the event loop (storage/sqlite.py).
            options.update(pool_size=1, max_overflow=0, pool_timeout=30)
            parsed = make_url(self.url)
            if parsed.query:  # the connection is opened here (storage/sqlite.py), not by the URL's driver
                raise DatabaseConfigError(f"SQLite URL options are not supported: {', '.join(parsed.query)}")
            self.sqlite_file = parsed.database if parsed.database not in (None, "", ":memory:") else None
            options["async_creator"] = sqlite.connector(parsed.database or ":memory:")
        else:
            # A server that does not answer (restarting, unreachable) fails a new connection after 5 s, not 60;
            # pool_pre_ping replaces connections that died with the server (a restart, a failover).
            # command_timeout: a statement on a connection that hangs (half-open after a failover) gives up too.
            options["connect_args"] = {"timeout": 5, "command_timeout": 30}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        # The marks that record an effect (a reply went out, a message was sent) must not wait behind the queue
        # of other work on SQLite's one connection: every millisecond they wait is a reply a crash would repeat.
        # They get a second connection of their own; their transactions are a single short UPDATE, which runs
        # without giving the event loop up in between (nothing else can come first) unless the file is busy.
        self.urgent_engine: AsyncEngine = create_async_engine(self.url, **options) if self.is_sqlite else self.engine
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.urgent_engine.sync_engine, "connect", _sqlite_pragmas)

    def scoped(self, municipality: str) -> Database:
        """The same database seen by one municipality (same engine and pool)."""
        view = copy.copy(self)
        view.municipality = municipality
        return view

    @asynccontextmanager
    async def session(self, *, all_municipalities: bool = False, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error.

        `urgent` is for recording that an effect happened (storage of marks only): it does not queue behind
        other work on SQLite.
        """
        async with AsyncSession(self.urgent_engine if urgent else self.engine, expire_on_commit=False) as session:
            session.sync_session.info.update(
                {
                    tenancy.SCOPE: None if all_municipalities else self.municipality,
                    tenancy.ALL: all_municipalities,
                    tenancy.STRICT: self.strict,
                }
            )
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A Core connection in one transaction, for the few hot paths where the ORM's overhead shows."""
        async with (self.urgent_engine if urgent else self.engine).begin() as connection:
            yield connection

    async def record_effect(self, work: Callable[[Connection], None]) -> None:
        """Run `work` in one transaction at once, ahead of other work: recording that an effect happened."""
        async with self.urgent_engine.begin() as connection:
            await connection.run_sync(work)

    async def checkpoint(self) -> None:
        """On SQLite, copy the write-ahead log into the database file, in a thread (the scheduler's job)."""
        if self.sqlite_file is not None:
            await asyncio.to_thread(sqlite.checkpoint, self.sqlite_file)

    async def upgrade(self, *, owner: str | None = None) -> None:
        """Apply every pending migration; on PostgreSQL, replicas starting together take turns.

        `owner` is the municipality that rows from before municipalities belong to (given when only one is served).
        """
        try:
            async with self.engine.begin() as connection:
                if not self.is_sqlite:
                    await connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
                await connection.run_sync(_upgrade_to_head, owner)
        except tenancy.OwnerUnknown as exc:
            raise DatabaseConfigError(str(exc)) from None
        except (SQLAlchemyError, OSError) as exc:
            cause = getattr(exc, "orig", None) or exc.__cause__ or exc
            raise DatabaseUnavailable(f"{type(cause).__name__}: {cause}") from exc

    async def ping(self, timeout: float = 2.0) -> bool:
        """Whether the database answers, and could take a write, within `timeout` seconds.

        On SQLite a read answers even while another process holds the write lock (WAL), so the probe takes the
        write lock for an instant (BEGIN IMMEDIATE, then ROLLBACK: nothing is written).
        """
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as connection:
                if self.is_sqlite:
                    await connection.exec_driver_sql("BEGIN IMMEDIATE")
                    await connection.exec_driver_sql("ROLLBACK")
                else:
                    await connection.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError):
            return False

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self.urgent_engine is not self.engine:
            await self.urgent_engine.dispose()


def alembic_config(connection: Connection | None = None, owner: str | None = None) -> Config:
    """An Alembic config pointing at our migrations, optionally bound to an open connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["municipality_id"] = owner
    return config


_REVISION = re.compile(r'^revision: str = "(\w+)"$', re.MULTILINE)
# Alembic's own bookkeeping table, as `alembic stamp` creates it.
_VERSIONS = Table("alembic_version", MetaData(), Column("version_num", String(32), nullable=False),
                  PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))  # fmt: skip


@cache
def head_revision() -> str:
    """The newest migration's revision (the migrations are numbered in order, each revising the one before)."""
    revisions = [_REVISION.search(path.read_text(encoding="utf-8")) for path in (MIGRATIONS / "versions").glob("*.py")]
    return max(match[1] for match in revisions if match)


def _upgrade_to_head(connection: Connection, owner: str | None) -> None:
    """Run the pending migrations; a new, empty database gets the newest schema at once and is stamped.

    Alembic (and Mako under it, 11 MiB) is imported only when there is a migration to run: a server restarting
    on an up-to-date database, the normal case, never loads it.
    """
    tables = inspect(connection).get_table_names()
    if not tables:
        # The same schema the migrations build (tests/test_storage.py compares them), in one step instead of
        # replaying every migration: every test and every new deployment starts from an empty database.
        SQLModel.metadata.create_all(connection)
        _VERSIONS.create(connection)
        connection.execute(_VERSIONS.insert().values(version_num=head_revision()))
        return
    if "alembic_version" in tables:
        current = connection.execute(_VERSIONS.select()).scalars().all()
        if current == [head_revision()]:
            return
    from alembic import command

    command.upgrade(alembic_config(connection, owner), "head")
