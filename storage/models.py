"""SQLModel tables. Every change here comes with an Alembic migration in storage/migrations/versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite would return naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Refuse naive datetimes: an ambiguous local time must never reach the database."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Mark what SQLite returns as UTC; convert what PostgreSQL returns to UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _when(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column."""
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class DialogState(SQLModel, table=True):
    """A guided dialog in progress for one user in one conversation; deleted when it ends."""

    __tablename__ = "dialog_state"

    key: str = Field(primary_key=True, max_length=400)
    flow: str = Field(max_length=100)
    step: str = Field(max_length=100)
    history: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: dt.datetime = _when(nullable=False)
    updated_at: dt.datetime = _when(nullable=False, index=True)
