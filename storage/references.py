"""Storage for Teams conversation references."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ConversationRef


async def save_reference(
    session: AsyncSession, *, conversation_id: str, user_id: str, kind: str, reference: dict[str, Any], now: dt.datetime
) -> None:
    """Create or refresh the reference of one conversation (a personal chat also remembers its user)."""
    row = await session.get(ConversationRef, conversation_id)
    if row is None:
        row = ConversationRef(conversation_id=conversation_id, updated_at=now)
    row.user_id, row.kind, row.reference, row.updated_at = user_id, kind, dict(reference), now
    session.add(row)


async def find_reference(session: AsyncSession, *, target: str) -> dict[str, Any] | None:
    """The reference for a target: a conversation id, or a user id (their personal chat with the bot)."""
    row = await session.get(ConversationRef, target)
    if row is None:
        statement = select(ConversationRef).where(
            col(ConversationRef.user_id) == target, col(ConversationRef.kind) == "personal"
        )
        row = (await session.exec(statement.order_by(col(ConversationRef.updated_at).desc()))).first()
    return dict(row.reference) if row is not None else None
