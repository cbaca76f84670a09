"""Retention: records older than the municipality's periods are deleted, newer ones kept."""

from __future__ import annotations

from bot.app import Bot
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
    assert await apply_retention(bot.context) == {"topics": 1, "escalations": 1}
    topics = (await export_records(bot.context, "topics", actor="t"))[1]
    assert [t["text"] for t in topics] == ["Nytt tema"]
    assert (await export_records(bot.context, "escalations", actor="t"))[1] == []
    assert await apply_retention(bot.context) == {}
