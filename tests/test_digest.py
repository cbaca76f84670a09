"""The coordinators' digest: the figures, on demand (audited) and weekly (once per week and coordinator)."""

from __future__ import annotations

import datetime as dt

from bot.core.bot import Bot
from handlers.digest import queue_weekly_digest
from storage.audit import audit_entries
from storage.outbox import pending_for
from tests.conftest import OSLO, FrozenClock
from tests.conversation import Conversation
from tests.test_dialogs import BRANCHES


async def test_digest_on_demand(staff: Conversation, coordinator: Conversation, bot: Bot) -> None:
    await staff.say("tema Trygg skolevei")
    await staff.say("stem 1")
    for branch in ("consent given", "group, needs action"):
        for answer in ["bekymring", *BRANCHES[branch][0], "2"]:
            await staff.say(answer)
    reply = await coordinator.say("oppsummering")
    assert "Oppsummering for SLT-arbeidet i Eksempel kommune" in reply
    assert "Nye siste uke: 1" in reply and "Åpne: 1 (1 stemmer)" in reply and "#1: Trygg skolevei (1)" in reply
    # Two escalation records: too few to count or break down (tests/test_small_counts.py).
    assert "I alt: under 5" in reply and "SLT-innsatsteam" not in reply and "Gjaldt:" not in reply
    assert "SLT-frokostmøte: fredag 27. november 2026" in reply
    assert "bare for SLT-koordinatorene" in await staff.say("oppsummering")
    async with bot.db.session() as session:
        assert [(e.action, e.kind) for e in await audit_entries(session)] == [("read", "digest")]


async def test_weekly_digest_goes_to_each_coordinator_once_a_week(bot: Bot, clock: FrozenClock) -> None:
    assert await queue_weekly_digest(bot.context) == 2  # console:koordinator and slack:U0EKSKOORD
    assert await queue_weekly_digest(bot.context) == 0
    clock.advance(days=7)
    assert await queue_weekly_digest(bot.context) == 2
    async with bot.db.session() as session:
        assert len(await pending_for(session, target="console:koordinator")) == 2


async def test_a_restart_across_the_digest_time_still_sends_that_weeks_digest(bot: Bot, clock: FrozenClock) -> None:
    from handlers.digest import catch_up_weekly_digest

    clock.now = dt.datetime(2026, 11, 23, 7, 59, tzinfo=OSLO)  # Monday, just before 08:00: not yet
    assert await catch_up_weekly_digest(bot.context) == 0
    clock.now = dt.datetime(2026, 11, 23, 9, 30, tzinfo=OSLO)  # the server was down at 08:00 and is back
    assert await catch_up_weekly_digest(bot.context) == 2
    assert await catch_up_weekly_digest(bot.context) == 0  # once per week and coordinator
    clock.now = dt.datetime(2026, 11, 27, 9, 30, tzinfo=OSLO)  # a start on Friday does not send Monday's late
    assert await catch_up_weekly_digest(bot.context) == 0
