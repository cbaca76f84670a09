"""Retention: records older than the municipality's periods are deleted, newer ones kept."""

from __future__ import annotations

from bot.core.bot import Bot
from handlers.exports import export_records
from handlers.retention import apply_retention
from tests.conftest import FrozenClock
from tests.conversation import Conversation
from tests.test_dialogs import BRANCHES


async def test_old_records_are_deleted_and_new_ones_kept(staff: Conversation, bot: Bot, clock: FrozenClock) -> None:
    await staff.say("tema Gammelt tema")
    await staff.say("stem 1")
    for answer in ["bekymring", *BRANCHES["not SLT-relevant"][0], "2"]:
        await staff.say(answer)
    clock.advance(days=731)
    await staff.say("tema Nytt tema")
    assert await apply_retention(bot.context) == {"topics": 1, "escalations": 1, "expired keys": 1}
    topics = (await export_records(bot.context, "topics", actor="t"))[1]
    assert [t["text"] for t in topics] == ["Nytt tema"]
    assert (await export_records(bot.context, "escalations", actor="t"))[1] == []
    assert await apply_retention(bot.context) == {}


async def test_undelivered_messages_stale_inbox_items_and_unused_personal_chats_are_deleted(
    bot: Bot, clock: FrozenClock
) -> None:
    from sqlalchemy import text

    from bot.core.messages import Reply
    from bot.core.proactive import queue
    from storage.db import Database
    from storage.references import save_reference

    db: Database = bot.db
    async with db.session() as session:
        await queue(session, key="nobody", target="console:ingen", reply=Reply.text("Hei"), now=clock())
        await save_reference(
            session, conversation_id="a:1", user_id="aad-x", kind="personal", reference={}, now=clock()
        )
        await save_reference(session, conversation_id="19:c", user_id="", kind="channel", reference={}, now=clock())
    async with db.transaction() as connection:
        from storage.inbox import accept_many

        await accept_many(connection, items=[("k", "slack", {"inbound": {"text": "hei"}})], now=clock())
    clock.advance(days=8)
    assert await apply_retention(bot.context) == {"undelivered messages": 1, "inbox items": 1}
    clock.advance(days=365)
    assert await apply_retention(bot.context) == {"personal chats": 1}
    async with db.engine.connect() as connection:
        kinds = (await connection.execute(text("SELECT kind FROM conversation_reference"))).scalars().all()
    assert kinds == ["channel"]  # a channel's reference (no person in it) is what reminders need
