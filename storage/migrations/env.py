"""Alembic environment: runs on the connection handed over by storage.db, or on DATABASE_URL from the CLI."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage import models  # noqa: F401  (registers every table on the metadata)
from storage.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_from_settings() -> None:
    """Used by developers running `alembic revision --autogenerate` against DATABASE_URL."""
    from bot.config import load_settings
    from storage.db import Database

    async def run() -> None:
        database = Database(load_settings().database_url)
        async with database.engine.begin() as connection:
            await connection.run_sync(_run)
        await database.close()

    asyncio.run(run())


bound = config.attributes.get("connection")
if bound is not None:
    _run(bound)
else:
    _run_from_settings()
