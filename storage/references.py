"""Storage for Teams conversation references."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ConversationRef


async def save_reference(
    session: AsyncSession, *, conversation_id: str, user_id: str, kind: str, reference: dict[str, Any], now: dt.datetime
) -> None:
    """Create or refresh the reference of one conversation (a personal chat also remembers its user).

    One upsert statement, so two replicas saving the same conversation at once cannot both insert.
    """
    bind = session.get_bind()
    insert = postgres_insert if bind.dialect.name == "postgresql" else sqlite_insert
    values = {
        "conversation_id": conversation_id,
        "user_id": user_id,
        "kind": kind,
        "reference": dict(reference),
        "updated_at": now,
    }
    statement = insert(ConversationRef).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["conversation_id"],
        set_={name: statement.excluded[name] for name in ("user_id", "kind", "reference", "updated_at")},
    )
    await session.exec(statement)


async def find_reference(session: AsyncSession, *, target: str) -> dict[str, Any] | None:
    """The reference for a target: a conversation id, or a user id (their personal chat with the bot)."""
    row = await session.get(ConversationRef, target)
    if row is None:
        statement = select(ConversationRef).where(
            col(ConversationRef.user_id) == target, col(ConversationRef.kind) == "personal"
        )
        row = (await session.exec(statement.order_by(col(ConversationRef.updated_at).desc()))).first()
    return dict(row.reference) if row is not None else None


async def delete_personal_unused_since(session: AsyncSession, *, when: dt.datetime, keep_users: set[str]) -> int:
    """Forget personal chats nobody used since `when`, except those of `keep_users` (the coordinators); how many."""
    statement = delete(ConversationRef).where(
        col(ConversationRef.kind) == "personal",
        col(ConversationRef.updated_at) < when,
        col(ConversationRef.user_id).not_in(keep_users or {""}),
    )
    result = await session.exec(statement)
    return int(getattr(result, "rowcount", 0))


async def delete_reference(session: AsyncSession, *, conversation_id: str) -> None:
    """Forget a conversation the bot can no longer post to (removed from it)."""
    await session.exec(delete(ConversationRef).where(col(ConversationRef.conversation_id) == conversation_id))
