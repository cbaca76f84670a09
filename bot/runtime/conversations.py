"""The conversations the bot can post into later (Teams ConversationReferences), kept in the database.

Proactive posts (reminders, digests) and private replies need the reference of a conversation the bot has
seen; this is the channels' door to that store, as the inbox is their door to theirs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage import references as store
from storage.db import Database


class Conversations:
    """Find, save and forget conversation references."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def find(self, target: str) -> dict[str, Any] | None:
        """The reference of a conversation id, or of a user's personal chat; None if none is stored."""
        async with self.db.session() as session:
            return await store.find_reference(session, target=target)

    async def save(
        self, *, conversation_id: str, user_id: str, kind: str, reference: dict[str, Any], now: dt.datetime
    ) -> None:
        """Create or refresh one conversation's reference (a personal chat also remembers its user)."""
        async with self.db.session() as session:
            await store.save_reference(
                session, conversation_id=conversation_id, user_id=user_id, kind=kind, reference=reference, now=now
            )

    async def forget(self, conversation_id: str) -> None:
        """Drop a conversation the bot can no longer post into."""
        async with self.db.session() as session:
            await store.delete_reference(session, conversation_id=conversation_id)
